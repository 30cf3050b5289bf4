;; For tests/instance_cycling_test.cc: a reactor whose `_initialize` grows
;; its memory (as a C reactor's heap does) and writes into the grown page,
;; so that a pool's snapshot holds a memory larger than the initial one.
(module
  (memory (export "memory") 1 4)
  (data (i32.const 16) "kiln")
  (func (export "_initialize")
    (drop (memory.grow (i32.const 1)))
    (i32.store8 (i32.const 70000) (i32.const 7)))
  (func (export "size") (result i32) (memory.size))
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
  (func (export "store") (param i32 i32) (i32.store8 (local.get 0) (local.get 1)))
  (func (export "load") (param i32) (result i32) (i32.load8_u (local.get 0))))
