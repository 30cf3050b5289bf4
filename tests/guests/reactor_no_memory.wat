;; A kiln-reactor guest without a memory: refused at deploy.
(module
  (func (export "kiln_alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "run") (param i32 i32) (result i64) (i64.const 0)))
