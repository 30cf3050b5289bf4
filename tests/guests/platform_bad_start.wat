;; `_start` with a parameter: a mistyped export for the wasi-command ABI.
(module
  (memory (export "memory") 1)
  (func (export "_start") (param i32)))
