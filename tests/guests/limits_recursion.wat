;; depth(n) recurses n calls deep and returns n; depth(-1) never bottoms out.
(module
  (func $depth (export "depth") (param $n i32) (result i32)
    (if (result i32) (i32.eqz (local.get $n))
      (then (i32.const 0))
      (else (i32.add (i32.const 1)
                     (call $depth (i32.sub (local.get $n) (i32.const 1))))))))
