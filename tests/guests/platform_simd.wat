;; A wasi-command extension using a SIMD instruction, which WABT 1.0.32's C
;; writer cannot translate: deploy records that the interpreter runs it.
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "{\"result\":1}")
  (func (export "_start")
    (drop (i32x4.extract_lane 0 (i32x4.splat (i32.const 1))))
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store (i32.const 4) (i32.const 12))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))
