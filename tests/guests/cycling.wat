;; For tests/instance_cycling_test.cc: a guest that writes where the host
;; asks (beyond its data segment, at its last byte, in pages it grew) and
;; reports its size, so a pool's reset can be checked byte by byte.
(module
  (memory (export "memory") 1 4)
  (data (i32.const 16) "kiln")
  (func (export "size") (result i32) (memory.size))
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
  (func (export "store") (param i32 i32) (i32.store8 (local.get 0) (local.get 1)))
  (func (export "load") (param i32) (result i32) (i32.load8_u (local.get 0))))
