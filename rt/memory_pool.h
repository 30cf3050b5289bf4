// Linear memories, each in an address-space region reserved once and reused.
// A region is reserved PROT_NONE; the memory's pages are made read-write as
// it grows (mprotect: one syscall per grow). Freed memories go back to a
// process-wide pool, zeroed, instead of being unmapped: a fresh mmap costs
// 15-765 us here and first touches of its pages 12-16 us each, and WABT's
// runtime leaked 8 GiB of address space per freed memory.
//
// Cycling (free, then allocate the same size again, as a pool's reset does)
// makes no syscall: the freed memory is zeroed in place up to the largest
// size it had, and its protection already fits. A syscall remains
// only when a GuardPages memory grew past the size it is allocated with
// again (its grown pages must fault again), or a memory grew beyond 1 MiB
// (dropped with madvise rather than read); MemoryPoolStats counts them.
//
// Two layouts, one per bounds-check mode of the code that uses the memory:
// - GuardPages: 8 GiB + 64 KiB reserved, so any address generated code can
//   form (32-bit index + 32-bit offset + access size) lands in the region;
//   past the memory's size it faults and traps (signals.h).
// - Explicit: 4 GiB reserved (the largest memory), no guard; generated code
//   compares every access with the size itself.
//
// The memory (wasm_rt_memory_t) is owned by the instance that allocated it;
// its region by the pool. allocate/grow/free are thread-safe for different
// memories; a memory is used by one thread at a time.
#pragma once

#include <cstddef>
#include <cstdint>

#include "rt/wasm-rt.h"

namespace kiln::rt {

enum class BoundsCheck : uint8_t { GuardPages, Explicit };

inline constexpr uint64_t kWasmPageSize = 65536;
// wasm_rt_memory_t::size is 32-bit, so 65536 pages (4 GiB) cannot be said.
inline constexpr uint32_t kMaxMemoryPages = 65535;
// Freed regions kept for reuse unless set_memory_pool_capacity says otherwise.
inline constexpr std::size_t kDefaultMemoryPoolCapacity = 256;

// Gives `memory` a zeroed memory of `initial_pages`, growable to `max_pages`
// (clamped to kMaxMemoryPages). False, with `memory` untouched, when
// initial_pages is above either limit or no region can be had (address
// space, guard region registry).
bool allocate_memory(wasm_rt_memory_t& memory, uint32_t initial_pages, uint32_t max_pages,
                     BoundsCheck mode) noexcept;

// memory.grow: the previous page count, or UINT32_MAX when the memory would
// pass its maximum or the system refuses.
uint32_t grow_memory(wasm_rt_memory_t& memory, uint32_t delta_pages) noexcept;

// The layout behind an allocated memory. A memory imported by a module must
// have the layout that module was compiled for: guard-page code on an
// explicit-check memory would reach past it unchecked.
BoundsCheck memory_bounds_check(const wasm_rt_memory_t& memory) noexcept;

// Returns the region to the pool (zeroed) or unmaps it when the pool is full.
// `memory` is left empty (data nullptr).
void free_memory(wasm_rt_memory_t& memory) noexcept;

// For a pool's reset that grows memory 0 back to a snapshot's size right
// after instantiating it, with no guest code in between (no start
// function): while one is alive on this thread, the next memory allocated
// keeps up to `bytes` of its region accessible instead of shrinking to its
// initial size, so neither the shrink nor the grow back makes a syscall.
// The caller grows the memory, then calls settle_protection().
class RetainAccessible {
 public:
  explicit RetainAccessible(std::size_t bytes) noexcept;
  ~RetainAccessible();
  RetainAccessible(const RetainAccessible&) = delete;
  RetainAccessible& operator=(const RetainAccessible&) = delete;
};

// Makes a memory's protection exact for its size again: in GuardPages mode
// nothing accessible beyond it. A syscall only when a RetainAccessible kept
// more than the memory grew back to. False when the system refuses.
bool settle_protection(wasm_rt_memory_t& memory) noexcept;

// How many freed regions the pool keeps; excess ones are unmapped at once.
void set_memory_pool_capacity(std::size_t regions);

struct MemoryPoolStats {
  std::size_t live = 0;    // regions held by memories
  std::size_t pooled = 0;  // freed regions waiting for reuse
  std::size_t mapped = 0;  // regions ever mapped: reuse does not add to it
  // Syscalls on memories in use, process-wide since start: mprotect calls
  // (a grow past the accessible pages, or a GuardPages memory allocated
  // smaller than its region's last size) and madvise calls (a freed memory
  // beyond what is zeroed in place).
  uint64_t protection_changes = 0;
  uint64_t dropped_ranges = 0;
};
MemoryPoolStats memory_pool_stats();

}  // namespace kiln::rt
