;; Instance B of the funcref tests: imports A's exports, calls A's functions
;; through its own table and publishes one of its own in A's global.
;; Functions come from an element segment, not ref.func: the guests are
;; assembled with wat2wasm --enable-all, whose function-references typing
;; in 1.0.32 rejects ref.func where a funcref is expected.
(module
  (type $i2i (func (param i32) (result i32)))
  (import "a" "get" (func $get (param i32) (result funcref)))
  (import "a" "g" (global $ag (mut funcref)))
  (table $t 2 funcref)
  (global $count (mut i32) (i32.const 0))
  ;; Counts its calls, so a test can tell it ran in this instance.
  (func $add1 (param i32) (result i32)
    (global.set $count (i32.add (global.get $count) (i32.const 1)))
    (i32.add (local.get 0) (i32.const 1)))
  (table $fns 1 funcref)
  (elem (table $fns) (i32.const 0) func $add1)
  (func (export "store") (param funcref i32) (table.set $t (local.get 1) (local.get 0)))
  (func (export "call") (param i32 i32) (result i32)
    (call_indirect $t (type $i2i) (local.get 1) (local.get 0)))
  (func (export "call-imported") (param i32) (result i32)
    (table.set $t (i32.const 0) (call $get (i32.const 1)))  ;; A's $square
    (call_indirect $t (type $i2i) (local.get 0) (i32.const 0)))
  (func (export "publish") (global.set $ag (table.get $fns (i32.const 0))))
  (func (export "count") (result i32) (global.get $count))
)
