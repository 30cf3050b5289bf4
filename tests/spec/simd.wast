;; SIMD: v128 arguments and results compared lane by lane, for every lane
;; type, with NaN patterns per float lane.

(module
  (func (export "i8x16.add") (param v128 v128) (result v128) (i8x16.add (local.get 0) (local.get 1)))
  (func (export "i8x16.add_sat_s") (param v128 v128) (result v128) (i8x16.add_sat_s (local.get 0) (local.get 1)))
  (func (export "i16x8.mul") (param v128 v128) (result v128) (i16x8.mul (local.get 0) (local.get 1)))
  (func (export "i32x4.sub") (param v128 v128) (result v128) (i32x4.sub (local.get 0) (local.get 1)))
  (func (export "i32x4.splat") (param i32) (result v128) (i32x4.splat (local.get 0)))
  (func (export "i64x2.shl") (param v128 i32) (result v128) (i64x2.shl (local.get 0) (local.get 1)))
  (func (export "f32x4.div") (param v128 v128) (result v128) (f32x4.div (local.get 0) (local.get 1)))
  (func (export "f32x4.sqrt") (param v128) (result v128) (f32x4.sqrt (local.get 0)))
  (func (export "f64x2.add") (param v128 v128) (result v128) (f64x2.add (local.get 0) (local.get 1)))
  (func (export "f64x2.min") (param v128 v128) (result v128) (f64x2.min (local.get 0) (local.get 1)))
  (func (export "i8x16.shuffle") (param v128 v128) (result v128)
    (i8x16.shuffle 15 14 13 12 11 10 9 8 7 6 5 4 3 2 1 0 (local.get 0) (local.get 1)))
  (func (export "i32x4.extract_lane 3") (param v128) (result i32) (i32x4.extract_lane 3 (local.get 0)))
  (func (export "i16x8.eq") (param v128 v128) (result v128) (i16x8.eq (local.get 0) (local.get 1)))
  (func (export "v128.bitselect") (param v128 v128 v128) (result v128)
    (v128.bitselect (local.get 0) (local.get 1) (local.get 2)))
  (func (export "i32x4.trunc_sat_f32x4_s") (param v128) (result v128) (i32x4.trunc_sat_f32x4_s (local.get 0)))
  (func (export "const") (result v128) (v128.const i32x4 0x03020100 0x07060504 0x0b0a0908 0x0f0e0d0c))
  (memory 1)
  (func (export "store-load") (param v128) (result v128)
    (v128.store (i32.const 8) (local.get 0))
    (v128.load (i32.const 8)))
  (func (export "load-oob") (result v128) (v128.load (i32.const 0xfff8)))
)

;; The same bits seen through every lane type.
(assert_return (invoke "const") (v128.const i8x16 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15))
(assert_return (invoke "const") (v128.const i16x8 0x0100 0x0302 0x0504 0x0706 0x0908 0x0b0a 0x0d0c 0x0f0e))
(assert_return (invoke "const") (v128.const i32x4 0x03020100 0x07060504 0x0b0a0908 0x0f0e0d0c))
(assert_return (invoke "const") (v128.const i64x2 0x0706050403020100 0x0f0e0d0c0b0a0908))
(assert_return (invoke "const") (v128.const f32x4 0x1.0402p-121 0x1.0c0a08p-113 0x1.141210p-105 0x1.1c1a18p-97))

(assert_return (invoke "i8x16.add"
    (v128.const i8x16 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 0xff)
    (v128.const i8x16 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1))
  (v128.const i8x16 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 0))
(assert_return (invoke "i8x16.add_sat_s"
    (v128.const i8x16 127 -128 100 -100 0 0 0 0 0 0 0 0 0 0 0 0)
    (v128.const i8x16 1 -1 100 -100 0 0 0 0 0 0 0 0 0 0 0 0))
  (v128.const i8x16 127 -128 127 -128 0 0 0 0 0 0 0 0 0 0 0 0))
(assert_return (invoke "i16x8.mul"
    (v128.const i16x8 2 -3 0x100 0x7fff 1 1 1 1)
    (v128.const i16x8 3 3 0x100 2 -1 0 1 -32768))
  (v128.const i16x8 6 -9 0 -2 -1 0 1 -32768))
(assert_return (invoke "i32x4.sub" (v128.const i32x4 0 1 2 3) (v128.const i32x4 1 1 1 1))
  (v128.const i32x4 -1 0 1 2))
(assert_return (invoke "i32x4.splat" (i32.const -7)) (v128.const i32x4 -7 -7 -7 -7))
(assert_return (invoke "i64x2.shl" (v128.const i64x2 1 0x8000000000000001) (i32.const 65))
  (v128.const i64x2 2 2))
(assert_return (invoke "i8x16.shuffle"
    (v128.const i8x16 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15)
    (v128.const i8x16 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0))
  (v128.const i8x16 15 14 13 12 11 10 9 8 7 6 5 4 3 2 1 0))
(assert_return (invoke "i32x4.extract_lane 3" (v128.const i32x4 1 2 3 -4)) (i32.const -4))
(assert_return (invoke "i16x8.eq" (v128.const i16x8 1 2 3 4 5 6 7 8) (v128.const i16x8 1 0 3 0 5 0 7 0))
  (v128.const i16x8 -1 0 -1 0 -1 0 -1 0))
(assert_return (invoke "v128.bitselect"
    (v128.const i64x2 -1 -1) (v128.const i64x2 0 0) (v128.const i64x2 0xff00ff00ff00ff00 0))
  (v128.const i64x2 0xff00ff00ff00ff00 0))

;; Float lanes: exact values, and NaN patterns lane by lane.
(assert_return (invoke "f32x4.div" (v128.const f32x4 1 -1 0 6) (v128.const f32x4 0 0 0 -2))
  (v128.const f32x4 inf -inf nan:canonical -3))
(assert_return (invoke "f32x4.sqrt" (v128.const f32x4 4 -4 nan:0x200000 0))
  (v128.const f32x4 2 nan:canonical nan:arithmetic 0))
(assert_return (invoke "f64x2.add" (v128.const f64x2 0.5 inf) (v128.const f64x2 0.25 -inf))
  (v128.const f64x2 0.75 nan:canonical))
(assert_return (invoke "f64x2.add" (v128.const f64x2 nan:0x4000000000001 1) (v128.const f64x2 1 -0))
  (v128.const f64x2 nan:arithmetic 1))
(assert_return (invoke "f64x2.min" (v128.const f64x2 -0 1) (v128.const f64x2 0 -inf))
  (v128.const f64x2 -0 -inf))
(assert_return (invoke "i32x4.trunc_sat_f32x4_s" (v128.const f32x4 1.5 -1.5 nan 0x1p40))
  (v128.const i32x4 1 -1 0 0x7fffffff))

;; v128 through memory, and out of bounds.
(assert_return (invoke "store-load" (v128.const i64x2 -2 0x123456789abcdef0))
  (v128.const i64x2 -2 0x123456789abcdef0))
(assert_trap (invoke "load-oob") "out of bounds memory access")
