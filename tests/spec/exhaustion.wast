;; Unbounded recursion exhausts the call stack: a trap, never a crash, and
;; the instance stays usable afterwards.

(module
  (type $v (func))
  (table funcref (elem $indirect))
  (func $self (export "self") (call $self))
  (func $ping (export "ping") (param i32) (result i32) (call $pong (i32.add (local.get 0) (i32.const 1))))
  (func $pong (param i32) (result i32) (call $ping (i32.add (local.get 0) (i32.const 1))))
  (func $indirect (export "indirect") (call_indirect (type $v) (i32.const 0)))
  (func $fat (export "fat") (param i64 i64 i64 i64) (result i64)
    (local f64 f64 f64 f64 v128 v128)
    (call $fat (local.get 0) (local.get 1) (local.get 2) (local.get 3)))
  (func $count (export "count") (param i32) (result i32)
    (if (result i32) (i32.eqz (local.get 0))
      (then (i32.const 0))
      (else (i32.add (i32.const 1) (call $count (i32.sub (local.get 0) (i32.const 1)))))))
)
(assert_exhaustion (invoke "self") "call stack exhausted")
(assert_exhaustion (invoke "ping" (i32.const 0)) "call stack exhausted")
(assert_exhaustion (invoke "indirect") "call stack exhausted")
(assert_exhaustion (invoke "fat" (i64.const 1) (i64.const 2) (i64.const 3) (i64.const 4)) "call stack exhausted")
;; Recursion that ends is fine, before and after an exhaustion.
(assert_return (invoke "count" (i32.const 1000)) (i32.const 1000))
(assert_exhaustion (invoke "self") "call stack exhausted")
(assert_return (invoke "count" (i32.const 1000)) (i32.const 1000))

;; A start function that never returns makes instantiation trap.
(assert_trap
  (module (func $start (call $start)) (start $start))
  "call stack exhausted")
