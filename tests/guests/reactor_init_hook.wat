;; A reactor whose _initialize calls the host (test.initialized) and leaves
;; state in memory: the pool tests count how often it runs and check that
;; a reset restores what it wrote. `bump` writes per-call state.
(module
  (import "test" "initialized" (func $initialized))
  (memory (export "memory") 1)
  (data (i32.const 100) "\01")
  (func (export "_initialize")
    (call $initialized)
    (i32.store (i32.const 200) (i32.const 42))        ;; state _initialize leaves
    (i32.store8 (i32.const 100) (i32.const 0))         ;; zeroes a data-segment byte
    (drop (memory.grow (i32.const 1)))                 ;; and grows the memory
    (i32.store (i32.const 70000) (i32.const 7)))
  (func (export "bump") (result i32)
    (i32.store (i32.const 300) (i32.add (i32.load (i32.const 300)) (i32.const 1)))
    (i32.load (i32.const 300)))
  (func (export "state") (result i32)
    ;; 42 + 7 + the data byte (0) + the per-call counter (0 after a reset)
    (i32.add (i32.add (i32.load (i32.const 200)) (i32.load (i32.const 70000)))
             (i32.add (i32.load8_u (i32.const 100)) (i32.load (i32.const 300)))))
  (func (export "pages") (result i32) (memory.size)))
