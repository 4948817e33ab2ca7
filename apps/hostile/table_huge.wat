;; Asks for two tables of 10,000,000 elements (80 MB each) at instantiation: over the program's
;; memory limit, so the program fails to start with a reason, and nothing is allocated for it.
(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (table $a 10000000 funcref)
  (table $b 10000000 funcref)
  (func (export "_start") (call $exit (i32.const 0))))
