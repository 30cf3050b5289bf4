;; One export per trap kind, plus `answer`, a normal call that shows the
;; instance still works after any of them. Operands that would let a compiler
;; fold the trap away come from mutable globals.
(module
  (type $to_i32 (func (result i32)))
  (type $i32_to_i32 (func (param i32) (result i32)))

  (memory 1)
  (global $zero (mut i32) (i32.const 0))
  (global $minus_one (mut i32) (i32.const -1))
  (global $nan (mut f32) (f32.const nan))
  (global $too_large (mut f32) (f32.const 1e10))

  ;; Elements 0 and 1 are set, 2 and 3 stay null; the table has 4 elements.
  (table 4 funcref)
  (elem (i32.const 0) $forty_two $add_one)
  (func $forty_two (type $to_i32) (i32.const 42))
  (func $add_one (type $i32_to_i32) (i32.add (local.get 0) (i32.const 1)))

  (func (export "answer") (result i32)
    (call_indirect (type $to_i32) (i32.const 0)))

  (func (export "unreachable")
    (unreachable))

  (func (export "load_out_of_bounds") (result i32)
    (i32.load (i32.const 65536)))

  ;; The last two of the four bytes are past the end.
  (func (export "store_out_of_bounds")
    (i32.store (i32.const 65534) (i32.const 7)))

  (func (export "fill_out_of_bounds")
    (memory.fill (i32.const 65000) (i32.const 0) (i32.const 1000)))

  (func (export "copy_out_of_bounds")
    (memory.copy (i32.const 0) (i32.const 65000) (i32.const 1000)))

  (func (export "table_out_of_bounds") (result i32)
    (call_indirect (type $to_i32) (i32.const 4)))

  (func (export "divide_by_zero") (result i32)
    (i32.div_s (i32.const 1) (global.get $zero)))

  (func (export "remainder_by_zero") (result i32)
    (i32.rem_u (i32.const 1) (global.get $zero)))

  (func (export "integer_overflow") (result i32)
    (i32.div_s (i32.const 0x80000000) (global.get $minus_one)))

  (func (export "convert_nan") (result i32)
    (i32.trunc_f32_s (global.get $nan)))

  (func (export "convert_too_large") (result i32)
    (i32.trunc_f32_s (global.get $too_large)))

  (func $recurse_forever (export "recurse_forever")
    (call $recurse_forever))

  ;; Element 1 is $add_one, which takes a parameter.
  (func (export "indirect_type_mismatch") (result i32)
    (call_indirect (type $to_i32) (i32.const 1)))

  (func (export "indirect_null") (result i32)
    (call_indirect (type $to_i32) (i32.const 2))))
