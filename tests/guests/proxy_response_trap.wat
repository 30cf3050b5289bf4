;; proxy-wasm: a filter whose response-header callback traps: the proxy
;; fails that response and carries on.
(module
  (memory (export "memory") 1)
  (func (export "proxy_abi_version_0_2_1"))
  (func (export "proxy_on_memory_allocate") (param i32) (result i32) i32.const 1024)
  (func (export "proxy_on_response_headers") (param i32 i32 i32) (result i32) unreachable))
