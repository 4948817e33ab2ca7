;; Reads a function reference as an i64 through the translator's peephole state: the global.get
;; is dropped, then local.set must store the i64 constant below it, not the reference. Exits 0
;; when the local holds 0 (no kernel address leaked), 1 otherwise.
(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (func $f)
  (global $g funcref (ref.func $f))
  (func (export "_start") (local $x i64)
    i64.const 0
    global.get $g
    drop
    local.set $x
    local.get $x
    i64.const 0
    i64.ne
    call $exit))
