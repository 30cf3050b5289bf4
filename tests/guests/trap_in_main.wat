;; A command whose _start traps (integer divide by zero): `kiln run` exits
;; with kiln's trap code.
(module
  (global $zero (mut i32) (i32.const 0))
  (func (export "_start")
    (drop (i32.div_u (i32.const 1) (global.get $zero)))))
