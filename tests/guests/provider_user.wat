;; A function linked to a provider by import module name, as a Javy function
;; is to javy_quickjs_provider_v1 (tests/function_providers_test.cc puts
;; linked_library.wasm in a provider directory under that name).
(module
  (import "javy_quickjs_provider_v1" "memory" (memory 1))
  (import "javy_quickjs_provider_v1" "alloc" (func $alloc (param i32) (result i32)))
  (import "javy_quickjs_provider_v1" "sum" (func $sum (param i32 i32) (result i32)))
  (func (export "run") (result i32)
    (local $ptr i32)
    i32.const 2
    call $alloc
    local.tee $ptr
    i32.const 40
    i32.store8
    local.get $ptr
    i32.const 2
    i32.store8 offset=1
    local.get $ptr
    i32.const 2
    call $sum))
