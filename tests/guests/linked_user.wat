;; The importing half of tests/instance_linking_test.cc: its memory and its
;; functions all come from linked_library.
(module
  (import "library" "memory" (memory 1))
  (import "library" "alloc" (func $alloc (param i32) (result i32)))
  (import "library" "sum" (func $sum (param i32 i32) (result i32)))
  (import "library" "spin" (func $spin))
  ;; Writes 1..n into memory the library allocated and asks the library to
  ;; add them up: both instances touch the same bytes.
  (func (export "sum_to") (param $n i32) (result i32)
    (local $ptr i32) (local $i i32)
    local.get $n
    call $alloc
    local.set $ptr
    block $done
      loop $fill
        local.get $i
        local.get $n
        i32.ge_u
        br_if $done
        local.get $ptr
        local.get $i
        i32.add
        local.get $i
        i32.const 1
        i32.add
        i32.store8
        local.get $i
        i32.const 1
        i32.add
        local.set $i
        br $fill
      end
    end
    local.get $ptr
    local.get $n
    call $sum)
  (func (export "peek") (param $at i32) (result i32)
    local.get $at
    i32.load8_u)
  (func (export "grow") (param $pages i32) (result i32)
    local.get $pages
    memory.grow)
  (func (export "spin") call $spin))
