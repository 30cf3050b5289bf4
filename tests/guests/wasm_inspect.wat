;; A module that declares a bit of everything, for `kiln inspect` and the
;; decoder's mutation test.
(module
  (import "env" "log" (func $log (param i32 i32)))
  (import "env" "memory" (memory 1 4))
  (import "env" "counter" (global $counter (mut i64)))
  (table $callbacks 2 8 funcref)
  (global $limit i32 (i32.const 100))
  (elem (i32.const 0) $add $lanes)
  (data (i32.const 16) "hello")
  (func $add (export "add") (param i32 i32) (result i32)
    local.get 0 local.get 1 i32.add)
  (func $lanes (export "lanes") (param v128) (result i32)
    local.get 0 i32x4.extract_lane 2)
  (func $count (export "count") (param i32) (result i32)
    (local i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get 1) (global.get $limit)))
        (local.set 1 (i32.add (local.get 1) (i32.const 1)))
        (br_if $next (i32.lt_u (local.get 1) (local.get 0)))))
    (call $log (i32.const 16) (i32.const 5))
    local.get 1)
  (export "memory" (memory 0))
  (export "callbacks" (table $callbacks))
  (export "limit" (global $limit))
  (export "weird \"name\"\n" (func $add)))
