;; Grows four function tables by 65,536 elements at a time, in turn, until every table.grow
;; returns -1: table elements are charged to the program, so the kernel refuses them at
;; program.memory (80 MiB by default, shared with everything else the program holds) instead of
;; giving the kernel heap away (a module with a one-page memory used to take it to 446 MB).
;; Exits with the number of grows that succeeded (each 65,536 elements, 512 KiB).
(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (table $a 0 funcref)
  (table $b 0 funcref)
  (table $c 0 funcref)
  (table $d 0 funcref)
  (func (export "_start") (local $granted i32) (local $refused i32)
    (loop $again
      (local.set $refused (i32.const 0))
      (if (i32.eq (table.grow $a (ref.null func) (i32.const 65536)) (i32.const -1))
        (then (local.set $refused (i32.add (local.get $refused) (i32.const 1))))
        (else (local.set $granted (i32.add (local.get $granted) (i32.const 1)))))
      (if (i32.eq (table.grow $b (ref.null func) (i32.const 65536)) (i32.const -1))
        (then (local.set $refused (i32.add (local.get $refused) (i32.const 1))))
        (else (local.set $granted (i32.add (local.get $granted) (i32.const 1)))))
      (if (i32.eq (table.grow $c (ref.null func) (i32.const 65536)) (i32.const -1))
        (then (local.set $refused (i32.add (local.get $refused) (i32.const 1))))
        (else (local.set $granted (i32.add (local.get $granted) (i32.const 1)))))
      (if (i32.eq (table.grow $d (ref.null func) (i32.const 65536)) (i32.const -1))
        (then (local.set $refused (i32.add (local.get $refused) (i32.const 1))))
        (else (local.set $granted (i32.add (local.get $granted) (i32.const 1)))))
      (br_if $again (i32.lt_u (local.get $refused) (i32.const 4))))
    ;; Refused for good: the tables still work.
    (table.set $a (i32.const 0) (ref.null func))
    (call $exit (local.get $granted))))
