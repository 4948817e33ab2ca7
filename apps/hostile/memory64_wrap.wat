;; memory64: an address and an offset whose sum wraps past 2^64 to a small, in-bounds address.
;; First memory.grow by 2^48 pages (far past any limit) must return -1 and the memory stay one
;; page; then an i64.load at 2^64 - 8 with the offset 16 (the sum wraps to 8) must trap as out of
;; bounds, never read the word at 8. Exits with 1 when the grow was granted, with 2 when the
;; load returned.
(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory i64 1)
  (func (export "_start")
    (i64.store (i64.const 8) (i64.const 42))
    (if (i64.ne (memory.grow (i64.const 0x1000000000000)) (i64.const -1))
      (then (call $exit (i32.const 1))))
    (if (i64.ne (memory.size) (i64.const 1))
      (then (call $exit (i32.const 1))))
    (drop (i64.load offset=16 (i64.const 0xfffffffffffffff8)))
    (call $exit (i32.const 2))))
