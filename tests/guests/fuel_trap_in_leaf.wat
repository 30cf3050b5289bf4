;; Fuel at a trap (found by tests/fuzz/differential_fuzz.cc, seed 1104 with
;; --denan): a leaf function writes its entry charge to the fuel global, then
;; charges the runs after the `if` to its local, and traps before the return
;; writes them back. The fuel used reported for the trap is what the global
;; holds, so both backends must have written the entry charge; a C compiler
;; that sees the return's write-back through the same pointer drops the
;; entry's as a dead store (a faulting store is invisible to C).
;; aot_differential_test compares the outcome and the fuel used.
(module
  (memory 1)
  (func $leaf (param i32)
    (if (local.get 0) (then (nop)))
    (i32.store16 (local.get 0) (i32.const 7)))
  (func (export "store_out_of_bounds")
    (call $leaf (i32.const 0x7fffffff))))
