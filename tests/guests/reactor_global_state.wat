;; A reactor whose _initialize leaves state in a global, not in memory: a
;; memory snapshot cannot keep it, so the pool must run _initialize again
;; after every reset (runtime/memory_snapshot.h: is_exact_for).
(module
  (import "test" "initialized" (func $initialized))
  (memory (export "memory") 1)
  (global $sp (mut i32) (i32.const 1024))
  (global $ready (mut i32) (i32.const 0))
  (func (export "_initialize") (call $initialized) (global.set $ready (i32.const 5)))
  (func (export "ready") (result i32)
    (global.set $sp (global.get $sp))
    (global.get $ready)))
