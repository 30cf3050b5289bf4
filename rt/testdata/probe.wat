;; A small module that exercises what the runtime provides to wasm2c output:
;; a memory with a data segment, growth, a funcref table with call_indirect,
;; traps raised by checks in generated code, and unbounded recursion. Built
;; by rt/CMakeLists.txt twice, once per bounds-check mode.
(module
  (type $i32_to_i32 (func (param i32) (result i32)))
  (memory (export "memory") 1 4)
  (table 3 funcref)
  (elem (i32.const 0) $double $answer)
  (data (i32.const 16) "\2a\00\00\00")

  (func $double (type $i32_to_i32)
    (i32.mul (local.get 0) (i32.const 2)))
  (func $answer (result i32)
    (i32.const 42))

  (func (export "load") (param i32) (result i32)
    (i32.load (local.get 0)))
  ;; the largest address an i32.load can form: index + offset near 8 GiB
  (func (export "load_far") (param i32) (result i32)
    (i32.load offset=0xfffffff0 (local.get 0)))
  (func (export "store") (param i32 i32)
    (i32.store (local.get 0) (local.get 1)))
  (func (export "grow") (param i32) (result i32)
    (memory.grow (local.get 0)))
  (func (export "size") (result i32)
    (memory.size))
  (func (export "fill") (param i32 i32 i32)
    (memory.fill (local.get 0) (local.get 1) (local.get 2)))
  (func (export "div") (param i32 i32) (result i32)
    (i32.div_s (local.get 0) (local.get 1)))
  (func (export "call_indirect") (param i32 i32) (result i32)
    (call_indirect (type $i32_to_i32) (local.get 1) (local.get 0)))
  (func $recurse (export "recurse") (param i32) (result i32)
    (i32.add (call $recurse (i32.add (local.get 0) (i32.const 1))) (i32.const 1)))
  (func (export "unreachable")
    unreachable)
  ;; the sum of the i32s in [0, n): a load-heavy loop, to compare the costs
  ;; of the two bounds-check modes
  (func (export "sum") (param $n i32) (result i32)
    (local $i i32) (local $acc i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $acc (i32.add (local.get $acc) (i32.load (local.get $i))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $next)))
    (local.get $acc))
)
