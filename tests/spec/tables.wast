;; References and tables: ref.null, ref.extern, ref.func, table.get/set/
;; size/grow/fill, and call_indirect with its type and null checks.

(module
  (type $i32->i32 (func (param i32) (result i32)))
  (type $void (func))
  (table $funcs (export "funcs") 4 8 funcref)
  (table $externs 2 externref)
  (elem (table $funcs) (i32.const 0) func $double $triple)
  (elem declare func $nothing)

  (func $double (type $i32->i32) (i32.mul (local.get 0) (i32.const 2)))
  (func $triple (type $i32->i32) (i32.mul (local.get 0) (i32.const 3)))
  (func $nothing (type $void))

  (func (export "call") (param i32 i32) (result i32)
    (call_indirect $funcs (type $i32->i32) (local.get 1) (local.get 0)))
  (func (export "call-void") (param i32)
    (call_indirect $funcs (type $void) (local.get 0)))
  (func (export "set-nothing") (param i32)
    (table.set $funcs (local.get 0) (ref.func $nothing)))
  (func (export "get-func") (param i32) (result funcref) (table.get $funcs (local.get 0)))
  (func (export "func-is-null") (param i32) (result i32) (ref.is_null (table.get $funcs (local.get 0))))
  (func (export "size") (result i32) (table.size $funcs))
  (func (export "grow") (param i32) (result i32) (table.grow $funcs (ref.null func) (local.get 0)))

  (func (export "set-extern") (param i32 externref) (table.set $externs (local.get 0) (local.get 1)))
  (func (export "get-extern") (param i32) (result externref) (table.get $externs (local.get 0)))
  (func (export "fill-extern") (param i32 externref i32)
    (table.fill $externs (local.get 0) (local.get 1) (local.get 2)))
  (func (export "grow-extern") (param externref i32) (result i32)
    (table.grow $externs (local.get 0) (local.get 1)))
  (func (export "id") (param externref) (result externref) (local.get 0))
  (func (export "is-null") (param externref) (result i32) (ref.is_null (local.get 0)))
  (func (export "null-func") (result funcref) (ref.null func))
  (func (export "a-func") (result funcref) (ref.func $double))
)

;; call_indirect: right type, wrong type, null entry, out of range
(assert_return (invoke "call" (i32.const 0) (i32.const 21)) (i32.const 42))
(assert_return (invoke "call" (i32.const 1) (i32.const 5)) (i32.const 15))
(assert_trap (invoke "call-void" (i32.const 0)) "indirect call type mismatch")
(assert_trap (invoke "call" (i32.const 2) (i32.const 1)) "uninitialized element")
(assert_trap (invoke "call" (i32.const 4) (i32.const 1)) "undefined element")
(assert_trap (invoke "call" (i32.const -1) (i32.const 1)) "undefined element")
(assert_return (invoke "set-nothing" (i32.const 2)))
(assert_return (invoke "call-void" (i32.const 2)))
(assert_trap (invoke "call" (i32.const 2) (i32.const 1)) "indirect call type mismatch")

;; funcref values: any non-null funcref matches (ref.func)
(assert_return (invoke "get-func" (i32.const 0)) (ref.func))
(assert_return (invoke "get-func" (i32.const 3)) (ref.null func))
(assert_return (invoke "func-is-null" (i32.const 3)) (i32.const 1))
(assert_return (invoke "func-is-null" (i32.const 1)) (i32.const 0))
(assert_return (invoke "null-func") (ref.null func))
(assert_return (invoke "a-func") (ref.func))
(assert_trap (invoke "get-func" (i32.const 4)) "out of bounds table access")

;; table.size and table.grow, up to the maximum of 8
(assert_return (invoke "size") (i32.const 4))
(assert_return (invoke "grow" (i32.const 3)) (i32.const 4))
(assert_return (invoke "size") (i32.const 7))
(assert_return (invoke "get-func" (i32.const 6)) (ref.null func))
(assert_return (invoke "grow" (i32.const 2)) (i32.const -1))
(assert_return (invoke "grow" (i32.const 1)) (i32.const 7))
(assert_return (invoke "size") (i32.const 8))

;; externref values pass through the guest unchanged
(assert_return (invoke "id" (ref.extern 1)) (ref.extern 1))
(assert_return (invoke "id" (ref.extern 0)) (ref.extern 0))
(assert_return (invoke "id" (ref.null extern)) (ref.null extern))
(assert_return (invoke "is-null" (ref.null extern)) (i32.const 1))
(assert_return (invoke "is-null" (ref.extern 7)) (i32.const 0))
(assert_return (invoke "get-extern" (i32.const 0)) (ref.null extern))
(assert_return (invoke "set-extern" (i32.const 1) (ref.extern 42)))
(assert_return (invoke "get-extern" (i32.const 1)) (ref.extern 42))
(assert_return (invoke "fill-extern" (i32.const 0) (ref.extern 9) (i32.const 2)))
(assert_return (invoke "get-extern" (i32.const 0)) (ref.extern 9))
(assert_return (invoke "get-extern" (i32.const 1)) (ref.extern 9))
(assert_trap (invoke "set-extern" (i32.const 2) (ref.extern 1)) "out of bounds table access")
(assert_trap (invoke "fill-extern" (i32.const 1) (ref.null extern) (i32.const 2)) "out of bounds table access")
(assert_return (invoke "get-extern" (i32.const 1)) (ref.extern 9))
(assert_return (invoke "grow-extern" (ref.extern 5) (i32.const 2)) (i32.const 2))
(assert_return (invoke "get-extern" (i32.const 3)) (ref.extern 5))

;; An element segment past the end of its table makes instantiation trap.
(assert_trap
  (module (table 1 funcref) (func $f) (elem (i32.const 1) $f))
  "out of bounds table access")
