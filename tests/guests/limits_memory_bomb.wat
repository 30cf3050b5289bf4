;; Grows memory one page at a time until memory.grow returns -1.
(module
  (memory 1)
  (func (export "grow_until_refused") (result i32)
    (local $pages i32)
    (block $refused
      (loop $again
        (br_if $refused (i32.eq (memory.grow (i32.const 1)) (i32.const -1)))
        (local.set $pages (i32.add (local.get $pages) (i32.const 1)))
        (br $again)))
    (local.get $pages))
  (func (export "grow") (param $pages i32) (result i32)
    (memory.grow (local.get $pages)))
  (func (export "size") (result i32)
    (memory.size)))
