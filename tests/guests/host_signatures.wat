;; Imports host functions of several signatures and calls each, so the
;; embedding tests see arguments and results cross in both directions.
(module
  (import "host" "mix" (func $mix (param i32 i64 f32 f64) (result f64)))
  (import "host" "tick" (func $tick))
  (import "host" "split" (func $split (param i64) (result i32 i32)))
  (import "host" "fail" (func $fail (param i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "call_mix") (param i32 i64 f32 f64) (result f64)
    (call $mix (local.get 0) (local.get 1) (local.get 2) (local.get 3)))
  (func (export "call_tick") (call $tick) (call $tick))
  ;; split's two results, first minus second
  (func (export "call_split") (param i64) (result i32)
    (local $second i32)
    local.get 0
    call $split
    local.set $second
    local.get $second
    i32.sub)
  (func (export "call_fail") (param i32) (result i32) (call $fail (local.get 0))))
