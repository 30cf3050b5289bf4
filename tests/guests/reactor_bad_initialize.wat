;; A kiln-reactor guest whose _initialize takes a parameter: refused at deploy.
(module
  (memory (export "memory") 1)
  (func (export "_initialize") (param i32))
  (func (export "kiln_alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "run") (param i32 i32) (result i64) (i64.const 0)))
