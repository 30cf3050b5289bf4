// Linear memories, each in an address-space region reserved once and reused.
// A region is reserved PROT_NONE; the memory's pages are made read-write as
// it grows (mprotect: one syscall per grow). Freed memories go back to a
// process-wide pool, zeroed, instead of being unmapped: a fresh mmap costs
// 15-765 us here and first touches of its pages 12-16 us each, and WABT's
// runtime leaked 8 GiB of address space per freed memory.
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

// How many freed regions the pool keeps; excess ones are unmapped at once.
void set_memory_pool_capacity(std::size_t regions);

struct MemoryPoolStats {
  std::size_t live = 0;    // regions held by memories
  std::size_t pooled = 0;  // freed regions waiting for reuse
  std::size_t mapped = 0;  // regions ever mapped: reuse does not add to it
};
MemoryPoolStats memory_pool_stats();

}  // namespace kiln::rt
