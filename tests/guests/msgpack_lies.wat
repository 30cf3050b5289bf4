;; A kiln-reactor guest for extension points with "format": "msgpack" whose
;; entries return MessagePack the host must refuse, for
;; tests/platform_msgpack_test.cc. kiln_alloc hands out 1024 whatever the size.
(module
  (memory (export "memory") 1)
  (data (i32.const 2048) "\92\01")                ;; an array of two, one given
  (data (i32.const 2064) "\81\a1a\c4\01\00")      ;; {"a": bin8 of one byte}
  (data (i32.const 2080) "\81\a1e\d4\01\00")      ;; {"e": fixext1}
  (data (i32.const 2096) "\81\01\02")             ;; {1: 2}
  (data (i32.const 2112) "\80\80")                ;; {} and a byte after it
  (func (export "kiln_alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "truncated") (param i32 i32) (result i64) (i64.const 0x0000080000000002))
  (func (export "bin") (param i32 i32) (result i64) (i64.const 0x0000081000000006))
  (func (export "ext") (param i32 i32) (result i64) (i64.const 0x0000082000000006))
  (func (export "int_key") (param i32 i32) (result i64) (i64.const 0x0000083000000003))
  (func (export "trailing") (param i32 i32) (result i64) (i64.const 0x0000084000000002)))
