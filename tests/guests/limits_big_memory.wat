;; Asks for 32 pages (2 MiB) up front: refused under a smaller memory cap.
(module
  (memory 32)
  (func (export "size") (result i32)
    (memory.size)))
