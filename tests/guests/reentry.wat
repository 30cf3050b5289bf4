;; A guest whose host import calls back into the guest: `outer` calls
;; host.callback, which the host implements by calling `work`.
(module
  (import "host" "callback" (func $callback (param i32) (result i32)))
  (func $work (export "work") (param $n i32) (result i32)
    (local $sum i32)
    (block $done
      (loop $next
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $sum (i32.add (local.get $sum) (local.get $n)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $next)))
    (local.get $sum))
  (func (export "outer") (param $n i32) (result i32)
    (i32.add (call $callback (local.get $n)) (i32.const 1))))
