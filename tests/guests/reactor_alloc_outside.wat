;; A kiln-reactor guest whose allocator returns a pointer near the end of
;; its one page, so the input would run past memory.
(module
  (memory (export "memory") 1)
  (func (export "kiln_alloc") (param i32) (result i32) (i32.const 65530))
  (func (export "run") (param i32 i32) (result i64) (i64.const 0)))
