;; Linear memory: loads and stores of every width, data segments, size and
;; grow, bulk operations, and out-of-bounds accesses.

(module
  (memory (export "mem") 1 3)
  (data (i32.const 0) "\01\02\03\04\05\06\07\08")
  (data (i32.const 0xfffc) "\aa\bb\cc\dd")

  (func (export "i32.load") (param i32) (result i32) (i32.load (local.get 0)))
  (func (export "i32.load8_s") (param i32) (result i32) (i32.load8_s (local.get 0)))
  (func (export "i32.load16_u") (param i32) (result i32) (i32.load16_u (local.get 0)))
  (func (export "i64.load") (param i32) (result i64) (i64.load (local.get 0)))
  (func (export "i64.load32_s") (param i32) (result i64) (i64.load32_s offset=4 (local.get 0)))
  (func (export "f32.load") (param i32) (result f32) (f32.load (local.get 0)))
  (func (export "f64.load") (param i32) (result f64) (f64.load (local.get 0)))
  (func (export "i32.store") (param i32 i32) (i32.store (local.get 0) (local.get 1)))
  (func (export "i32.store8") (param i32 i32) (i32.store8 (local.get 0) (local.get 1)))
  (func (export "i64.store16") (param i32 i64) (i64.store16 (local.get 0) (local.get 1)))
  (func (export "f64.store") (param i32 f64) (f64.store (local.get 0) (local.get 1)))
  (func (export "size") (result i32) (memory.size))
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
  (func (export "fill") (param i32 i32 i32) (memory.fill (local.get 0) (local.get 1) (local.get 2)))
  (func (export "copy") (param i32 i32 i32) (memory.copy (local.get 0) (local.get 1) (local.get 2)))
)

(assert_return (invoke "i32.load" (i32.const 0)) (i32.const 0x04030201))
(assert_return (invoke "i32.load" (i32.const 1)) (i32.const 0x05040302))
(assert_return (invoke "i32.load8_s" (i32.const 0xfffc)) (i32.const -86))
(assert_return (invoke "i32.load16_u" (i32.const 0xfffe)) (i32.const 0xddcc))
(assert_return (invoke "i64.load" (i32.const 0)) (i64.const 0x0807060504030201))
(assert_return (invoke "i64.load32_s" (i32.const 0xfff8)) (i64.const 0xffffffffddccbbaa))
(assert_return (invoke "i32.load" (i32.const 0xfffc)) (i32.const 0xddccbbaa))

(assert_return (invoke "i32.store" (i32.const 16) (i32.const 0x3f800000)))
(assert_return (invoke "f32.load" (i32.const 16)) (f32.const 1))
(assert_return (invoke "i32.store8" (i32.const 16) (i32.const 0x1ff)))
(assert_return (invoke "i32.load" (i32.const 16)) (i32.const 0x3f8000ff))
(assert_return (invoke "i64.store16" (i32.const 20) (i64.const -1)))
(assert_return (invoke "i32.load" (i32.const 20)) (i32.const 0xffff))
(assert_return (invoke "f64.store" (i32.const 24) (f64.const -nan:0x12345)))
(assert_return (invoke "f64.load" (i32.const 24)) (f64.const -nan:0x12345))

;; Out of bounds: the last byte is 0xffff; an access may not straddle the end.
(assert_trap (invoke "i32.load" (i32.const 0xfffd)) "out of bounds memory access")
(assert_trap (invoke "i32.load" (i32.const 0x10000)) "out of bounds memory access")
(assert_trap (invoke "i32.load" (i32.const -1)) "out of bounds memory access")
(assert_trap (invoke "i64.load32_s" (i32.const 0xfffa)) "out of bounds memory access")
(assert_trap (invoke "i32.store8" (i32.const 0x10000) (i32.const 1)) "out of bounds memory access")
(assert_trap (invoke "f64.store" (i32.const 0xfff9) (f64.const 1)) "out of bounds memory access")
;; A store that traps writes nothing.
(assert_return (invoke "i32.load" (i32.const 0xfffc)) (i32.const 0xddccbbaa))

;; Growing: the old size comes back, -1 past the maximum, new pages are zero.
(assert_return (invoke "size") (i32.const 1))
(assert_return (invoke "grow" (i32.const 0)) (i32.const 1))
(assert_return (invoke "grow" (i32.const 1)) (i32.const 1))
(assert_return (invoke "size") (i32.const 2))
(assert_return (invoke "i32.load" (i32.const 0xfffd)) (i32.const 0x00ddccbb))
(assert_return (invoke "i32.load" (i32.const 0x1fffc)) (i32.const 0))
(assert_trap (invoke "i32.load" (i32.const 0x1fffd)) "out of bounds memory access")
(assert_return (invoke "grow" (i32.const 2)) (i32.const -1))
(assert_return (invoke "grow" (i32.const 1)) (i32.const 2))
(assert_return (invoke "grow" (i32.const 1)) (i32.const -1))
(assert_return (invoke "size") (i32.const 3))

;; Bulk memory: bounds are checked before anything is written.
(assert_return (invoke "fill" (i32.const 100) (i32.const 0x55) (i32.const 4)))
(assert_return (invoke "i32.load" (i32.const 100)) (i32.const 0x55555555))
(assert_return (invoke "copy" (i32.const 101) (i32.const 0) (i32.const 4)))
(assert_return (invoke "i32.load" (i32.const 100)) (i32.const 0x03020155))
(assert_return (invoke "copy" (i32.const 1) (i32.const 0) (i32.const 4)))
(assert_return (invoke "i64.load" (i32.const 0)) (i64.const 0x0807060403020101))
(assert_trap (invoke "fill" (i32.const 0x2fffe) (i32.const 0x77) (i32.const 3)) "out of bounds memory access")
(assert_return (invoke "i32.load" (i32.const 0x2fffc)) (i32.const 0))
(assert_trap (invoke "copy" (i32.const 0) (i32.const 0x2ffff) (i32.const 2)) "out of bounds memory access")
(assert_return (invoke "fill" (i32.const 0x30000) (i32.const 1) (i32.const 0)))

;; A memory without a maximum grows to the 4 GiB limit of 32-bit memories only.
(module
  (memory 0)
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
  (func (export "load") (param i32) (result i32) (i32.load8_u (local.get 0)))
)
(assert_trap (invoke "load" (i32.const 0)) "out of bounds memory access")
(assert_return (invoke "grow" (i32.const 0x10001)) (i32.const -1))
(assert_return (invoke "grow" (i32.const 1)) (i32.const 0))
(assert_return (invoke "load" (i32.const 0xffff)) (i32.const 0))

;; A data segment past the end of memory makes instantiation trap.
(assert_trap
  (module (memory 1) (data (i32.const 0xffff) "ab"))
  "out of bounds memory access")
