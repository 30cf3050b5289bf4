;; A start function that traps: instantiation fails and names the trap.
(module
  (func $start (unreachable))
  (start $start)
  (func (export "never_reached") (result i32) (i32.const 1)))
