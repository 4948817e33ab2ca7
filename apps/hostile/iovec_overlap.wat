;; An fd_pread whose first iovec covers the iovec array itself: the bytes read rewrite the second
;; iovec to point past the end of memory while the call runs. WASI reads the array once, so the
;; data lands where the array said when the call began (or the call fails with EFAULT); it never
;; lands outside the memory (before, it went to memory + 0xfffffff0: another program's memory in
;; the kernel). Needs a writable "/" (the kernel's root; hosted, a scratch folder given to
;; wasm-run: ctest wasi_program.iovec_overlap). Exit status 0: as expected; otherwise the number
;; of the check that failed.
(module
  (import "wasi_snapshot_preview1" "path_open"
    (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_pread"
    (func $fd_pread (param i32 i32 i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_unlink_file"
    (func $unlink (param i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  ;; The file's contents: a new iovec array {16, 16} {0xfffffff0, 16}, then 16 bytes of data.
  (data (i32.const 512) "\10\00\00\00\10\00\00\00\f0\ff\ff\ff\10\00\00\00BBBBBBBBBBBBBBBB")
  (data (i32.const 600) "iovec_overlap.tmp")
  (func $check (param $ok i32) (param $code i32)
    (if (i32.eqz (local.get $ok)) (then (call $proc_exit (local.get $code)))))
  (func (export "_start")
    (local $fd i32) (local $i i32) (local $e i32)
    ;; Create the file (fd written at 4) and fill it: iovec {512, 32} at 32.
    (call $check
      (i32.eqz (call $path_open (i32.const 3) (i32.const 0) (i32.const 600) (i32.const 17)
                 (i32.const 9) (i64.const 0x7e) (i64.const 0) (i32.const 0) (i32.const 4)))
      (i32.const 10))
    (local.set $fd (i32.load (i32.const 4)))
    (i32.store (i32.const 32) (i32.const 512))
    (i32.store (i32.const 36) (i32.const 32))
    (call $check
      (i32.eqz (call $fd_write (local.get $fd) (i32.const 32) (i32.const 1) (i32.const 8)))
      (i32.const 11))
    ;; The iovec array at 16: {16, 16} covers itself, {1024, 16} is where the rest must go.
    (i32.store (i32.const 16) (i32.const 16))
    (i32.store (i32.const 20) (i32.const 16))
    (i32.store (i32.const 24) (i32.const 1024))
    (i32.store (i32.const 28) (i32.const 16))
    (local.set $e
      (call $fd_pread (local.get $fd) (i32.const 16) (i32.const 2) (i64.const 0) (i32.const 8)))
    (call $check
      (i32.eqz (call $unlink (i32.const 3) (i32.const 600) (i32.const 17))) (i32.const 12))
    ;; EFAULT (21) is an allowed answer; then nothing more to check.
    (if (i32.eq (local.get $e) (i32.const 21)) (then (return)))
    (call $check (i32.eqz (local.get $e)) (i32.const 1))
    (call $check (i32.eq (i32.load (i32.const 8)) (i32.const 32)) (i32.const 2))
    ;; The first 16 bytes rewrote the array (as asked), the next 16 are at 1024.
    (call $check (i32.eq (i32.load (i32.const 24)) (i32.const 0xfffffff0)) (i32.const 3))
    (loop $each
      (call $check (i32.eq (i32.load8_u (i32.add (i32.const 1024) (local.get $i))) (i32.const 66))
        (i32.const 4))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $each (i32.lt_u (local.get $i) (i32.const 16)))))
)
