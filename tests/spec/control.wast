;; Control flow, calls, multiple results, globals and start functions.

(module
  (global $started (export "started") (mut i32) (i32.const 0))
  (global (export "pi") f64 (f64.const 3.14159))
  (global (export "big") i64 (i64.const -9223372036854775808))
  (global (export "nan") f32 (f32.const -nan:0x7fffff))
  (func $start (global.set $started (i32.add (global.get $started) (i32.const 1))))
  (start $start)

  (func $fac (export "fac") (param i64) (result i64)
    (if (result i64) (i64.eqz (local.get 0))
      (then (i64.const 1))
      (else (i64.mul (local.get 0) (call $fac (i64.sub (local.get 0) (i64.const 1)))))))
  (func (export "fac-loop") (param i64) (result i64) (local $acc i64)
    (local.set $acc (i64.const 1))
    (block $done
      (loop $next
        (br_if $done (i64.eqz (local.get 0)))
        (local.set $acc (i64.mul (local.get $acc) (local.get 0)))
        (local.set 0 (i64.sub (local.get 0) (i64.const 1)))
        (br $next)))
    (local.get $acc))
  (func (export "classify") (param i32) (result i32)
    (block $default
      (block $two
        (block $one
          (block $zero
            (br_table $zero $one $two $default (local.get 0)))
          (return (i32.const 100)))
        (return (i32.const 101)))
      (return (i32.const 102)))
    (i32.const 103))
  (func (export "swap") (param i32 i64) (result i64 i32) (local.get 1) (local.get 0))
  (func (export "divmod") (param i32 i32) (result i32 i32)
    (i32.div_u (local.get 0) (local.get 1))
    (i32.rem_u (local.get 0) (local.get 1)))
  (func (export "block-results") (result i32 f32 f64)
    (block (result i32 f32 f64) (i32.const 1) (f32.const 2) (f64.const 3)))
  (func (export "select") (param i32) (result i32)
    (select (i32.const 10) (i32.const 20) (local.get 0)))
  (func (export "early-return") (param i32) (result i32)
    (if (local.get 0) (then (return (i32.const 1))))
    (i32.const 2))
  (func (export "nop"))
  (func (export "unreachable") (result i32) (unreachable))
  (func (export "trap-in-callee") (result i32) (call $trap) (i32.const 0))
  (func $trap (unreachable))
)

(assert_return (get "started") (i32.const 1))
(assert_return (get "pi") (f64.const 3.14159))
(assert_return (get "big") (i64.const 0x8000000000000000))
(assert_return (get "nan") (f32.const -nan:0x7fffff))
(assert_return (invoke "fac" (i64.const 0)) (i64.const 1))
(assert_return (invoke "fac" (i64.const 20)) (i64.const 2432902008176640000))
(assert_return (invoke "fac" (i64.const 25)) (i64.const 7034535277573963776))
(assert_return (invoke "fac-loop" (i64.const 20)) (i64.const 2432902008176640000))
(assert_return (invoke "classify" (i32.const 0)) (i32.const 100))
(assert_return (invoke "classify" (i32.const 1)) (i32.const 101))
(assert_return (invoke "classify" (i32.const 2)) (i32.const 102))
(assert_return (invoke "classify" (i32.const 3)) (i32.const 103))
(assert_return (invoke "classify" (i32.const -1)) (i32.const 103))
(assert_return (invoke "swap" (i32.const 1) (i64.const 2)) (i64.const 2) (i32.const 1))
(assert_return (invoke "divmod" (i32.const 17) (i32.const 5)) (i32.const 3) (i32.const 2))
(assert_trap (invoke "divmod" (i32.const 17) (i32.const 0)) "integer divide by zero")
(assert_return (invoke "block-results") (i32.const 1) (f32.const 2) (f64.const 3))
(assert_return (invoke "select" (i32.const 1)) (i32.const 10))
(assert_return (invoke "select" (i32.const 0)) (i32.const 20))
(assert_return (invoke "early-return" (i32.const 5)) (i32.const 1))
(assert_return (invoke "early-return" (i32.const 0)) (i32.const 2))
(assert_return (invoke "nop"))
(assert_trap (invoke "unreachable") "unreachable")
(assert_trap (invoke "trap-in-callee") "unreachable")
;; A trap leaves the instance usable.
(assert_return (invoke "fac" (i64.const 5)) (i64.const 120))

;; Plain actions: they must run to the end; their results are not checked.
;; (wast2json 1.0.32 writes the result types of a multi-result action without
;; commas between them; the runner repairs that.)
(invoke "nop")
(invoke "fac" (i64.const 3))
(invoke "divmod" (i32.const 7) (i32.const 2))
(get "started")

;; A start function runs once per instantiation, and sees imports.
(module $Counter
  (global (export "runs") (mut i32) (i32.const 0))
  (func (export "bump") (global.set 0 (i32.add (global.get 0) (i32.const 1))))
)
(register "counter" $Counter)
(module
  (import "counter" "bump" (func $bump))
  (start $bump)
)
(module
  (import "counter" "bump" (func $bump))
  (start $bump)
)
(assert_return (get $Counter "runs") (i32.const 2))
