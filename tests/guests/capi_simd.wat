;; Uses SIMD, which WABT 1.0.32's C writer cannot translate: only the
;; interpreter runs it, so libkiln.so must refuse it and say why.
(module
  (func (export "lanes") (result i32)
    (i32x4.extract_lane 1 (i32x4.splat (i32.const 7)))))
