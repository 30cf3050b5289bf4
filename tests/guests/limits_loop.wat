;; `loop {}`: runs until fuel or the deadline stops it.
(module
  (func (export "_start")
    (loop $forever (br $forever))))
