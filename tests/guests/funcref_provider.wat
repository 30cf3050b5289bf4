;; Instance A of the funcref tests (tests/aot_funcref_test.cc): hands out
;; funcrefs, takes them back, keeps one in an exported global and calls them
;; through its own table. Non-null funcrefs come only from exports with
;; parameters: aot_differential_test.cc calls every nullary export on both
;; backends and compares the values printed, and funcref numbering is each
;; backend's own.
;; Functions come from an element segment, not ref.func: the guests are
;; assembled with wat2wasm --enable-all, whose function-references typing
;; in 1.0.32 rejects ref.func where a funcref is expected.
(module
  (type $i2i (func (param i32) (result i32)))
  (table $t (export "table") 4 funcref)
  (global $g (export "g") (mut funcref) (ref.null func))
  (func $double (param i32) (result i32) (i32.mul (local.get 0) (i32.const 2)))
  (func $square (param i32) (result i32) (i32.mul (local.get 0) (local.get 0)))
  (table $fns 2 funcref)
  (elem (table $fns) (i32.const 0) func $double $square)
  ;; 0: $double, 1: $square
  (func (export "get") (param i32) (result funcref) (table.get $fns (local.get 0)))
  (func (export "null") (result funcref) (ref.null func))
  (func (export "id") (param funcref) (result funcref) (local.get 0))
  (func (export "is-null") (param funcref) (result i32) (ref.is_null (local.get 0)))
  (func (export "call") (param funcref i32) (result i32)
    (table.set $t (i32.const 0) (local.get 0))
    (call_indirect $t (type $i2i) (local.get 1) (i32.const 0)))
  (func (export "set-g") (param funcref) (global.set $g (local.get 0)))
  (func (export "call-g") (param i32) (result i32)
    (table.set $t (i32.const 1) (global.get $g))
    (call_indirect $t (type $i2i) (local.get 0) (i32.const 1)))
  (func (export "pair") (param i32) (result funcref i32 funcref)
    (table.get $fns (local.get 0)) (i32.const 7) (ref.null func))
)
