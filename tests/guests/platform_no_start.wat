;; A reactor: it has no `_start`, so it cannot be a wasi-command extension.
(module
  (memory (export "memory") 1)
  (func (export "run") (result i32) (i32.const 1)))
