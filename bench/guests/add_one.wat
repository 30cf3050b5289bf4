;; The smallest useful extension: one export, a 1-page memory.
(module
  (memory (export "memory") 1)
  (func (export "add_one") (param i32) (result i32)
    (i32.add (local.get 0) (i32.const 1))))
