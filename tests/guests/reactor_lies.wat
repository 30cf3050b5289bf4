;; A kiln-reactor guest whose entries lie about their output, for
;; tests/reactor_abi_test.cc: each returns (ptr << 32 | len) for a range the
;; host must refuse, or a failure code. One page of memory (65536 bytes);
;; kiln_alloc hands out 1024 whatever the size.
(module
  (memory (export "memory") 1)
  (data (i32.const 2048) "{\"a\":1}")
  (func (export "kiln_alloc") (param i32) (result i32) (i32.const 1024))
  ;; The input (config spliced in) straight back as the output.
  (func (export "echo") (param $ptr i32) (param $len i32) (result i64)
    (i64.or (i64.shl (i64.extend_i32_u (local.get $ptr)) (i64.const 32)) (i64.extend_i32_u (local.get $len))))
  (func (export "ok") (param i32 i32) (result i64) (i64.const 0x0000080000000007))         ;; [2048, 2055)
  (func (export "past_end") (param i32 i32) (result i64) (i64.const 0x0000fffa0000000a))   ;; [65530, 65540)
  (func (export "wrap") (param i32 i32) (result i64) (i64.const 0x7ffffff0ffffffff))       ;; wraps in 32 bits
  (func (export "huge_len") (param i32 i32) (result i64) (i64.const 0x00000010ffffffff))   ;; len 2^32 - 1
  (func (export "high_ptr") (param i32 i32) (result i64) (i64.const 0xfffffff000000020))   ;; negative as i64
  (func (export "long_len") (param i32 i32) (result i64) (i64.const 0x000008000000000c))   ;; 12 bytes: JSON, then zeros
  (func (export "too_big") (param i32 i32) (result i64) (i64.const 0x0000000000008000))    ;; [0, 32768)
  (func (export "fail_code") (param i32 i32) (result i64) (i64.const -3))
  (func (export "wrong_type") (param i32) (result i32) (i32.const 0)))
