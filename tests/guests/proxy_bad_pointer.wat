;; proxy-wasm: a filter that hands the host a pointer outside its memory.
;; The host answers InvalidMemoryAccess (6) instead of trapping or reading
;; past the memory; the filter reports what it got in x-status.
(module
  (import "env" "proxy_log" (func $log (param i32 i32 i32) (result i32)))
  (import "env" "proxy_add_header_map_value" (func $add (param i32 i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "x-status")
  (data (i32.const 32) "invalid-memory")
  (data (i32.const 48) "other")
  (func (export "proxy_abi_version_0_2_1"))
  (func (export "proxy_on_memory_allocate") (param i32) (result i32) i32.const 1024)
  (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
    (if (i32.eq (call $log (i32.const 2) (i32.const 0xffffff00) (i32.const 1000)) (i32.const 6))
      (then (drop (call $add (i32.const 0) (i32.const 16) (i32.const 8) (i32.const 32) (i32.const 14))))
      (else (drop (call $add (i32.const 0) (i32.const 16) (i32.const 8) (i32.const 48) (i32.const 5)))))
    i32.const 0))
