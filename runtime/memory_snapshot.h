// MemorySnapshot: memory 0 of a reactor instance as `_initialize` left it,
// kept by an instance pool so that a reset restores it instead of running
// `_initialize` again (Wizer's idea, done in place). One per pooled
// instance, owned by the pool's slot; immutable once captured.
//
// What it keeps: every 4 KiB chunk that is non-zero after `_initialize` or
// in a fresh instance (data segments), so that a fresh instance plus these
// chunks is byte for byte the initialized memory; and the memory's size.
// What it cannot keep: globals and tables, which a reset returns to their
// initial values. That is exact when `_initialize` leaves them so, as C, C++
// and Rust toolchains do (their one mutable global, the stack pointer, is
// back where it started when a call returns): is_exact_for() says when a
// pool may rely on it.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "kiln/module_info.h"
#include "kiln/result.h"

namespace kiln {

class Instance;

class MemorySnapshot {
 public:
  // One flag per chunk of `memory`: does it hold a non-zero byte?
  static std::vector<bool> nonzero_chunks(std::span<const uint8_t> memory);
  // `initialized` is the memory after `_initialize`; `fresh_nonzero` what
  // nonzero_chunks() said of the same instance before it ran.
  static MemorySnapshot capture(std::span<const uint8_t> initialized, const std::vector<bool>& fresh_nonzero);

  // A single memory, and at most one mutable global of its own (the stack
  // pointer): the modules whose initialized state is all in memory 0.
  static bool is_exact_for(const ModuleInfo& info);

  // Writes the snapshot into `instance`, just reset to a fresh state: grows
  // memory 0 back to the captured size (within the Store's memory limit)
  // and copies the kept chunks. Off the call path, but on every release:
  // no allocation, one memcpy per run of chunks.
  Result<void> restore(const Instance& instance) const;

  uint64_t kept_bytes() const { return bytes_.size(); }
  // The memory's size when captured, which restore() gives it.
  uint64_t memory_size() const { return memory_size_; }

 private:
  struct Run {
    uint64_t offset = 0;  // in memory
    uint64_t length = 0;
  };
  uint64_t memory_size_ = 0;
  std::vector<Run> runs_;       // ascending, disjoint
  std::vector<uint8_t> bytes_;  // the runs' contents, back to back
};

}  // namespace kiln
