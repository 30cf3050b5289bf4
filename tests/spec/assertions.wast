;; Modules that must be rejected (invalid, malformed in binary and in text),
;; binary modules, named modules, and results with alternatives.

;; Invalid: well-formed but ill-typed or referring to what does not exist.
(assert_invalid (module (func (result i32))) "type mismatch")
(assert_invalid (module (func (result i32) (i64.const 0))) "type mismatch")
(assert_invalid (module (func (i32.add (i32.const 1) (f32.const 2)) (drop))) "type mismatch")
(assert_invalid (module (func (param i32) (result i64) (local.get 0))) "type mismatch")
(assert_invalid (module (func (block (result i32) (br 0)) (drop))) "type mismatch")
(assert_invalid (module (func (call 3))) "unknown function")
(assert_invalid (module (func (drop (local.get 1)))) "unknown local")
(assert_invalid (module (func (global.set 0 (i32.const 1)))) "unknown global")
(assert_invalid (module (global i32 (i32.const 0)) (func (global.set 0 (i32.const 1)))) "global is immutable")
(assert_invalid (module (func (drop (i32.load (i32.const 0))))) "unknown memory")
(assert_invalid (module (func (br 1))) "unknown label")
(assert_invalid (module (memory 2 1)) "size minimum must not be greater than maximum")
(assert_invalid (module (memory 65537)) "memory size must be at most 65536 pages (4GiB)")
(assert_invalid (module (start 0)) "unknown function")
(assert_invalid (module (func $f (param i32)) (start $f)) "start function")
(assert_invalid (module (func) (export "a" (func 0)) (export "a" (func 0))) "duplicate export name")
(assert_invalid (module (func (drop (ref.func 0)))) "undeclared function reference")
(assert_invalid (module quote "(func (result i32) (f32.const 0))") "type mismatch")

;; Malformed binaries.
(assert_malformed (module binary "") "unexpected end")
(assert_malformed (module binary "\00asm") "unexpected end")
(assert_malformed (module binary "asm\00") "magic header not detected")
(assert_malformed (module binary "\00asm\02\00\00\00") "unknown binary version")
(assert_malformed (module binary "\00asm\01\00\00\00\0d\00") "malformed section id")
(assert_malformed (module binary "\00asm\01\00\00\00\01\05\01\60\00\00") "unexpected end")
(assert_malformed
  (module binary
    "\00asm\01\00\00\00"
    "\01\04\01\60\00\00"       ;; type section: one type () -> ()
    "\03\02\01\00"             ;; function section: one function of type 0
    "\0a\04\01\03\00\0b"       ;; code section: a body said to be 3 bytes, 2 left
  )
  "section size mismatch")

;; Malformed text.
(assert_malformed (module quote "(func") "unexpected end of file")
(assert_malformed (module quote "(func (i32.add1))") "unknown operator")
(assert_malformed (module quote "(func (result i32) (i32.const 0x100000000))") "constant out of range")
(assert_malformed (module quote "(module (memory 1) (memory $m 1) (bogus))") "unexpected token")

;; A module given as bytes is as good as one given as text.
(module $Bytes binary
  "\00asm\01\00\00\00"
  "\01\05\01\60\00\01\7f"                    ;; type 0: () -> i32
  "\03\02\01\00"                             ;; one function of type 0
  "\07\08\01\04\66\6f\72\74\00\00"           ;; export "fort" = func 0
  "\0a\06\01\04\00\41\2a\0b"                 ;; body: i32.const 42
)
(assert_return (invoke "fort") (i32.const 42))
(module $Empty binary "\00asm" "\01\00\00\00")
(assert_return (invoke $Bytes "fort") (i32.const 42))

;; Named modules stay addressable after others are defined.
(module $A (func (export "which") (result i32) (i32.const 1)) (global (export "g") i32 (i32.const 10)))
(module $B (func (export "which") (result i32) (i32.const 2)) (global (export "g") i32 (i32.const 20)))
(assert_return (invoke "which") (i32.const 2))
(assert_return (invoke $A "which") (i32.const 1))
(assert_return (invoke $B "which") (i32.const 2))
(assert_return (get $A "g") (i32.const 10))
(assert_return (get "g") (i32.const 20))
(invoke $A "which")
(get $B "g")

;; Either of several results is right.
(module
  (func (export "f32.add") (param f32 f32) (result f32) (f32.add (local.get 0) (local.get 1)))
  (func (export "seven") (result i32) (i32.const 7))
  (func (export "lanes") (result v128) (v128.const i32x4 1 2 3 4))
)
(assert_return (invoke "seven") (either (i32.const 6) (i32.const 7) (i32.const 8)))
(assert_return (invoke "f32.add" (f32.const nan) (f32.const 1))
  (either (f32.const nan:canonical) (f32.const 1)))
(assert_return (invoke "lanes")
  (either (v128.const i64x2 0 0) (v128.const i32x4 1 2 3 4)))
