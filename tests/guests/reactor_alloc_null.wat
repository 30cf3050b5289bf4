;; A kiln-reactor guest whose allocator returns null: the host refuses to
;; write the input, and says so.
(module
  (memory (export "memory") 1)
  (func (export "kiln_alloc") (param i32) (result i32) (i32.const 0))
  (func (export "run") (param i32 i32) (result i64) (i64.const 0)))
