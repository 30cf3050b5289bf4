;; proxy-wasm: a filter whose proxy_on_request_headers has the wrong type
;; (one parameter where the ABI passes three). The host refuses to start it,
;; naming the export, rather than calling it with the wrong arguments.
(module
  (memory (export "memory") 1)
  (func (export "proxy_abi_version_0_2_1"))
  (func (export "proxy_on_memory_allocate") (param i32) (result i32) i32.const 1024)
  (func (export "proxy_on_request_headers") (param i32) (result i32) i32.const 0))
