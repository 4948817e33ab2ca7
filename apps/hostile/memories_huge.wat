;; Multi-memory: the most memories a module may have (100), each of 16 pages (1 MiB) at the
;; start: 100 MiB, over program.memory (80 MiB by default). The instantiation fails with a reason,
;; and nothing of the memories made before the one over the limit stays behind.
(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory 16) (memory 16) (memory 16) (memory 16) (memory 16) (memory 16) (memory 16) (memory 16) (memory 16) (memory 16)
  (memory 16) (memory 16) (memory 16) (memory 16) (memory 16) (memory 16) (memory 16) (memory 16) (memory 16) (memory 16)
  (memory 16) (memory 16) (memory 16) (memory 16) (memory 16) (memory 16) (memory 16) (memory 16) (memory 16) (memory 16)
  (memory 16) (memory 16) (memory 16) (memory 16) (memory 16) (memory 16) (memory 16) (memory 16) (memory 16) (memory 16)
  (memory 16) (memory 16) (memory 16) (memory 16) (memory 16) (memory 16) (memory 16) (memory 16) (memory 16) (memory 16)
  (memory 16) (memory 16) (memory 16) (memory 16) (memory 16) (memory 16) (memory 16) (memory 16) (memory 16) (memory 16)
  (memory 16) (memory 16) (memory 16) (memory 16) (memory 16) (memory 16) (memory 16) (memory 16) (memory 16) (memory 16)
  (memory 16) (memory 16) (memory 16) (memory 16) (memory 16) (memory 16) (memory 16) (memory 16) (memory 16) (memory 16)
  (memory 16) (memory 16) (memory 16) (memory 16) (memory 16) (memory 16) (memory 16) (memory 16) (memory 16) (memory 16)
  (memory 16) (memory 16) (memory 16) (memory 16) (memory 16) (memory 16) (memory 16) (memory 16) (memory 16) (memory 16)
  (func (export "_start") (call $exit (i32.const 0))))
