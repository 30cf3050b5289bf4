;; funcrefs through a host function (host.echo gives back its argument) and
;; a host-made global (host.g).
;; Functions come from an element segment, not ref.func: the guests are
;; assembled with wat2wasm --enable-all, whose function-references typing
;; in 1.0.32 rejects ref.func where a funcref is expected.
(module
  (type $i2i (func (param i32) (result i32)))
  (import "host" "echo" (func $echo (param funcref) (result funcref)))
  (import "host" "g" (global $g funcref))
  (table $t 2 funcref)
  (func $triple (param i32) (result i32) (i32.mul (local.get 0) (i32.const 3)))
  (table $fns 1 funcref)
  (elem (table $fns) (i32.const 0) func $triple)
  (func (export "get-triple") (result funcref) (table.get $fns (i32.const 0)))
  (func (export "through-host") (param i32) (result i32)
    (table.set $t (i32.const 0) (call $echo (table.get $fns (i32.const 0))))
    (call_indirect $t (type $i2i) (local.get 0) (i32.const 0)))
  (func (export "global-is-null") (result i32) (ref.is_null (global.get $g)))
  (func (export "call-global") (param i32) (result i32)
    (table.set $t (i32.const 1) (global.get $g))
    (call_indirect $t (type $i2i) (local.get 0) (i32.const 1)))
)
