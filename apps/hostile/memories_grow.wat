;; Multi-memory: grows four memories by 16 pages (1 MiB) at a time, in turn, until every
;; memory.grow returns -1. Every memory is charged to the program (program.memory, 80 MiB by
;; default, shared with everything else it holds), so four memories get no more than one would;
;; then each memory's last granted page still reads back what was stored in it, and the pages of
;; one memory are not those of another. Exits with the number of grows that succeeded.
(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory $a 0)
  (memory $b 0)
  (memory $c 0)
  (memory $d 0)
  (func (export "_start") (local $granted i32) (local $refused i32)
    (loop $again
      (local.set $refused (i32.const 0))
      (if (i32.eq (memory.grow $a (i32.const 16)) (i32.const -1))
        (then (local.set $refused (i32.add (local.get $refused) (i32.const 1))))
        (else (local.set $granted (i32.add (local.get $granted) (i32.const 1)))))
      (if (i32.eq (memory.grow $b (i32.const 16)) (i32.const -1))
        (then (local.set $refused (i32.add (local.get $refused) (i32.const 1))))
        (else (local.set $granted (i32.add (local.get $granted) (i32.const 1)))))
      (if (i32.eq (memory.grow $c (i32.const 16)) (i32.const -1))
        (then (local.set $refused (i32.add (local.get $refused) (i32.const 1))))
        (else (local.set $granted (i32.add (local.get $granted) (i32.const 1)))))
      (if (i32.eq (memory.grow $d (i32.const 16)) (i32.const -1))
        (then (local.set $refused (i32.add (local.get $refused) (i32.const 1))))
        (else (local.set $granted (i32.add (local.get $granted) (i32.const 1)))))
      (br_if $again (i32.lt_u (local.get $refused) (i32.const 4))))
    ;; Refused for good: the last word of each memory is its own.
    (i32.store $a (i32.sub (i32.mul (memory.size $a) (i32.const 65536)) (i32.const 4)) (i32.const 1))
    (i32.store $b (i32.sub (i32.mul (memory.size $b) (i32.const 65536)) (i32.const 4)) (i32.const 2))
    (i32.store $c (i32.sub (i32.mul (memory.size $c) (i32.const 65536)) (i32.const 4)) (i32.const 3))
    (i32.store $d (i32.sub (i32.mul (memory.size $d) (i32.const 65536)) (i32.const 4)) (i32.const 4))
    (if (i32.ne (i32.add
                  (i32.add
                    (i32.load $a (i32.sub (i32.mul (memory.size $a) (i32.const 65536)) (i32.const 4)))
                    (i32.load $b (i32.sub (i32.mul (memory.size $b) (i32.const 65536)) (i32.const 4))))
                  (i32.add
                    (i32.load $c (i32.sub (i32.mul (memory.size $c) (i32.const 65536)) (i32.const 4)))
                    (i32.load $d (i32.sub (i32.mul (memory.size $d) (i32.const 65536)) (i32.const 4)))))
                (i32.const 10))
      (then (call $exit (i32.const 0))))
    (call $exit (local.get $granted))))
