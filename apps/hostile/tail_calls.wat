;; Tail calls in constant stack: a million return_calls of a function to itself, a million
;; return_call_indirects through a table between two functions, then a return_call to a host
;; function (proc_exit) that ends the program with 7. Without constant stack the first loop would
;; reach the call depth (program.depth, 10,000) and trap "call stack exhausted"; a tail call to the
;; host must end the program as a plain call would.
(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (type $step (func (param i64) (result i32)))
  (table funcref (elem $ping $pong))
  (func $self (param $n i64) (result i32)
    (if (result i32) (i64.eqz (local.get $n))
      (then (i32.const 3))
      (else (return_call $self (i64.sub (local.get $n) (i64.const 1))))))
  (func $ping (type $step)
    (if (result i32) (i64.eqz (local.get 0))
      (then (i32.const 4))
      (else (return_call_indirect (type $step) (i64.sub (local.get 0) (i64.const 1)) (i32.const 1)))))
  (func $pong (type $step)
    (return_call_indirect (type $step) (local.get 0) (i32.const 0)))
  (func $last (param $code i32)
    (return_call $exit (local.get $code)))
  (func (export "_start")
    (call $last (i32.add (call $self (i64.const 1000000))
                         (call_indirect (type $step) (i64.const 1000000) (i32.const 0))))
    ;; proc_exit does not return.
    unreachable))
