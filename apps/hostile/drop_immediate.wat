;; The dropped constant must not become the next operation's immediate: exits with 100 + 20.
(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (func (export "_start")
    i32.const 100
    i32.const 20
    i32.const 7
    drop
    i32.add
    call $exit))
