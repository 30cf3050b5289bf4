;; Every kind of trap a guest can raise, at run time and while instantiating.

(module
  (type $v (func))
  (table 2 funcref)
  (elem (i32.const 0) $f)
  (memory 1)
  (func $f (param i32))
  (func (export "unreachable") (unreachable))
  (func (export "memory") (drop (i32.load (i32.const 65536))))
  (func (export "table") (call_indirect (type $v) (i32.const 2)))
  (func (export "null") (call_indirect (type $v) (i32.const 1)))
  (func (export "mismatch") (call_indirect (type $v) (i32.const 0)))
  (func (export "divide") (drop (i64.rem_s (i64.const 1) (i64.const 0))))
  (func (export "overflow") (drop (i32.div_s (i32.const 0x80000000) (i32.const -1))))
  (func (export "conversion") (drop (i64.trunc_f32_u (f32.const nan))))
  (func $deep (export "deep") (param i32) (result i32)
    (if (result i32) (i32.eqz (local.get 0))
      (then (unreachable))
      (else (call $deep (i32.sub (local.get 0) (i32.const 1))))))
)
(assert_trap (invoke "unreachable") "unreachable")
(assert_trap (invoke "memory") "out of bounds memory access")
(assert_trap (invoke "table") "undefined element")
(assert_trap (invoke "null") "uninitialized element")
(assert_trap (invoke "mismatch") "indirect call type mismatch")
(assert_trap (invoke "divide") "integer divide by zero")
(assert_trap (invoke "overflow") "integer overflow")
(assert_trap (invoke "conversion") "invalid conversion to integer")
;; A trap deep in a call chain unwinds all of it.
(assert_trap (invoke "deep" (i32.const 500)) "unreachable")

;; Traps while instantiating: in the start function, or in a segment that
;; does not fit. Writes made before the trap stay (the memory is shared).
(module $Shared
  (memory (export "memory") 1)
  (table (export "table") 2 funcref)
  (func (export "peek") (param i32) (result i32) (i32.load8_u (local.get 0)))
  (func (export "is-null") (param i32) (result i32) (ref.is_null (table.get 0 (local.get 0))))
)
(register "shared" $Shared)

(assert_trap
  (module (func $start (unreachable)) (start $start))
  "unreachable")
(assert_trap
  (module (func $start (drop (i32.div_u (i32.const 1) (i32.const 0)))) (start $start))
  "integer divide by zero")
(assert_trap
  (module
    (import "shared" "memory" (memory 1))
    (data (i32.const 10) "\2a")
    (func $start (unreachable))
    (start $start))
  "unreachable")
(assert_return (invoke $Shared "peek" (i32.const 10)) (i32.const 42))
(assert_trap
  (module
    (import "shared" "memory" (memory 1))
    (data (i32.const 20) "\07")
    (data (i32.const 65535) "\01\02"))
  "out of bounds memory access")
(assert_return (invoke $Shared "peek" (i32.const 20)) (i32.const 7))
(assert_return (invoke $Shared "peek" (i32.const 65535)) (i32.const 0))
(assert_trap
  (module
    (import "shared" "table" (table 2 funcref))
    (func $f)
    (elem (i32.const 0) $f)
    (elem (i32.const 1) $f $f))
  "out of bounds table access")
(assert_return (invoke $Shared "is-null" (i32.const 0)) (i32.const 0))
(assert_return (invoke $Shared "is-null" (i32.const 1)) (i32.const 1))
;; A module that failed to instantiate left the last good one current.
(assert_return (invoke "peek" (i32.const 10)) (i32.const 42))
