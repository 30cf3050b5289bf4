;; The library half of tests/instance_linking_test.cc: a memory and the
;; functions that work on it, exported for another instance to import (as a
;; Javy function imports its QuickJS provider).
(module
  (memory (export "memory") 1 4)
  (global $next (mut i32) (i32.const 1024))
  ;; A bump allocator over the shared memory: the importer writes its data
  ;; where this returns.
  (func (export "alloc") (param $size i32) (result i32)
    (local $at i32)
    global.get $next
    local.set $at
    global.get $next
    local.get $size
    i32.add
    global.set $next
    local.get $at)
  ;; Sums `len` bytes at `ptr`: work metered in the library's own code.
  (func (export "sum") (param $ptr i32) (param $len i32) (result i32)
    (local $total i32)
    block $done
      loop $next
        local.get $len
        i32.eqz
        br_if $done
        local.get $total
        local.get $ptr
        i32.load8_u
        i32.add
        local.set $total
        local.get $ptr
        i32.const 1
        i32.add
        local.set $ptr
        local.get $len
        i32.const 1
        i32.sub
        local.set $len
        br $next
      end
    end
    local.get $total)
  ;; Never returns: fuel or a deadline must stop it even when another
  ;; instance called it.
  (func (export "spin") (loop $forever br $forever)))
