;; A kiln-reactor guest without kiln_alloc: refused at deploy.
(module
  (memory (export "memory") 1)
  (func (export "run") (param i32 i32) (result i64) (i64.const 0)))
