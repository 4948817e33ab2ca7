;; Forges a function reference from an i64 through the translator's peephole state: the i64 is
;; dropped, then local.set must store the null reference below it. The call_indirect through the
;; table entry must then trap on a null element, not jump to the address the program chose.
(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (type $v (func))
  (table 1 funcref)
  (func (export "_start") (local $r funcref)
    ref.null func
    i64.const 0x4141414141
    drop
    local.set $r
    (table.set 0 (i32.const 0) (local.get $r))
    (call_indirect (type $v) (i32.const 0))
    (call $exit (i32.const 0))))
