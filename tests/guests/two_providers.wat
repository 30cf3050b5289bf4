;; Imports from two providers: refused (host/function_providers.h).
(module
  (import "javy_quickjs_provider_v3" "invoke" (func (param i32 i32 i32 i32)))
  (import "shopify_functions_javy_v1" "invoke" (func (param i32 i32 i32 i32))))
