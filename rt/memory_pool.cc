#include "rt/memory_pool.h"

#include <sys/mman.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <mutex>
#include <new>
#include <utility>
#include <vector>

#include "rt/signals.h"

using kiln::rt::BoundsCheck;

// The region behind one memory: its C name comes from wasm-rt.h.
struct kiln_rt_region {
  std::uint8_t* base;
  std::size_t reserved;    // bytes of address space
  std::size_t accessible;  // bytes read-write now, from base; above the memory's size only in Explicit mode
  std::size_t dirty;       // the largest size the memory had since the last scrub: beyond it all is zero
  BoundsCheck mode;
  int guard_handle;  // -1 when no guard region is registered
};

namespace kiln::rt {
namespace {

using Region = kiln_rt_region;

// Any address guard-page code forms is below 2^32 (index) + 2^32 (offset)
// plus the access size; the extra 64 KiB covers the access size.
constexpr std::size_t kGuardPagesReservation = (std::size_t{1} << 33) + kWasmPageSize;
constexpr std::size_t kExplicitReservation = std::size_t{1} << 32;
// Freed memories are zeroed with memset up to here (the pages stay
// resident, so the next instance pays no first touch); the rest is dropped
// with madvise, which costs a syscall and a TLB flush (~25 us on a PVM
// guest) but returns the memory to the system.
constexpr std::size_t kScrubInPlaceLimit = std::size_t{1} << 20;

// Syscalls the pool made for memories in use (mprotect, madvise), for
// tests and stats: a reset that keeps a memory's size makes none.
std::atomic<uint64_t> g_protection_changes{0};
std::atomic<uint64_t> g_dropped_ranges{0};

Region* map_region(BoundsCheck mode) {
  std::size_t reserved = mode == BoundsCheck::GuardPages ? kGuardPagesReservation : kExplicitReservation;
  void* base = mmap(nullptr, reserved, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (base == MAP_FAILED) return nullptr;
  int guard = -1;
  if (mode == BoundsCheck::GuardPages) guard = register_guard_region(base, reserved, TrapCode::MemoryOob);
  auto* region = new (std::nothrow) Region{static_cast<std::uint8_t*>(base), reserved, 0, 0, mode, guard};
  if (region == nullptr || (mode == BoundsCheck::GuardPages && guard < 0)) {
    if (guard >= 0) unregister_guard_region(guard);
    munmap(base, reserved);
    delete region;
    return nullptr;
  }
  return region;
}

void unmap_region(Region* region) {
  if (region->guard_handle >= 0) unregister_guard_region(region->guard_handle);
  munmap(region->base, region->reserved);
  delete region;
}

// Makes the protection fit a memory of `size` bytes: [base, base + size)
// read-write and, in GuardPages mode, nothing beyond it, since there the
// fault past the size is the bounds check. Explicit-mode code compares every access with the size,
// so its pages beyond the size stay read-write (and zero: they are past
// `dirty`): a smaller size costs no syscall. Removing access from resident
// pages is the expensive direction (the kernel flushes the TLB of every CPU
// the process runs on: ~25 us on a PVM guest), so a pooled instance that
// keeps its size, or grows only in Explicit mode, is reset without one.
bool fit_protection(Region& region, std::size_t size) {
  if (size > region.accessible) {
    if (mprotect(region.base + region.accessible, size - region.accessible, PROT_READ | PROT_WRITE) != 0) {
      return false;
    }
    g_protection_changes.fetch_add(1, std::memory_order_relaxed);
    region.accessible = size;
  } else if (size < region.accessible && region.mode == BoundsCheck::GuardPages) {
    // Unavoidable: the memory grew past `size` and guard-page code would
    // reach the grown pages unchecked (memory.size says `size`).
    if (mprotect(region.base + size, region.accessible - size, PROT_NONE) != 0) return false;
    g_protection_changes.fetch_add(1, std::memory_order_relaxed);
    region.accessible = size;
  }
  return true;
}

// The memory now has `size` bytes: what the guest may write until the scrub.
// A memory's size only grows between an allocation and its free, so pages
// whose access a fit_protection removes were never within it: zero.
void note_size(Region& region, std::size_t size) { region.dirty = std::max(region.dirty, size); }

// Zeroes what the last owner could have written, [0, dirty): in place up to
// kScrubInPlaceLimit, with madvise beyond. memset rather than checking pages
// for non-zero bytes first: a 64 KiB memory sits in L2, where reading it
// costs about what writing it does (measured: ~0.6 us either way).
void scrub(Region& region) {
  std::size_t in_place = std::min(region.dirty, kScrubInPlaceLimit);
  std::memset(region.base, 0, in_place);
  if (region.dirty > in_place) {
    madvise(region.base + in_place, region.dirty - in_place, MADV_DONTNEED);
    g_dropped_ranges.fetch_add(1, std::memory_order_relaxed);
  }
  region.dirty = 0;
}

class RegionPool {
 public:
  Region* take(BoundsCheck mode) {
    {
      std::lock_guard lock(mutex_);
      auto& free = free_[index(mode)];
      if (!free.empty()) {
        Region* region = free.back();
        free.pop_back();
        ++live_;
        return region;
      }
    }
    Region* region = map_region(mode);  // outside the lock: mmap is slow
    if (region == nullptr) return nullptr;
    std::lock_guard lock(mutex_);
    ++live_;
    ++mapped_;
    return region;
  }

  void give(Region* region) {
    scrub(*region);
    {
      std::lock_guard lock(mutex_);
      --live_;
      auto& free = free_[index(region->mode)];
      if (free.size() < capacity_) {
        free.push_back(region);
        return;
      }
    }
    unmap_region(region);
  }

  void set_capacity(std::size_t capacity) {
    std::vector<Region*> excess;
    {
      std::lock_guard lock(mutex_);
      capacity_ = capacity;
      for (auto& free : free_) {
        while (free.size() > capacity) {
          excess.push_back(free.back());
          free.pop_back();
        }
      }
    }
    for (Region* region : excess) unmap_region(region);
  }

  MemoryPoolStats stats() {
    std::lock_guard lock(mutex_);
    return {live_, free_[0].size() + free_[1].size(), mapped_,
            g_protection_changes.load(std::memory_order_relaxed), g_dropped_ranges.load(std::memory_order_relaxed)};
  }

 private:
  static std::size_t index(BoundsCheck mode) { return mode == BoundsCheck::GuardPages ? 0 : 1; }

  std::mutex mutex_;
  std::vector<Region*> free_[2];  // per BoundsCheck: layouts differ
  std::size_t capacity_ = kDefaultMemoryPoolCapacity;
  std::size_t live_ = 0;
  std::size_t mapped_ = 0;
};

RegionPool& pool() {
  static auto* pool = new RegionPool;  // never destroyed: threads may outlive statics
  return *pool;
}

// Set by RetainAccessible, taken by the next allocate_memory on the thread.
thread_local std::size_t t_retain_bytes = 0;

}  // namespace

bool allocate_memory(wasm_rt_memory_t& memory, uint32_t initial_pages, uint32_t max_pages,
                     BoundsCheck mode) noexcept {
  uint32_t limit = std::min(max_pages, kMaxMemoryPages);
  if (initial_pages > limit) return false;
  Region* region = pool().take(mode);
  if (region == nullptr) return false;
  std::size_t bytes = initial_pages * kWasmPageSize;
  // Pages kept for a RetainAccessible are zero: the region was scrubbed.
  std::size_t protect = std::max(bytes, std::min(std::exchange(t_retain_bytes, 0), region->accessible));
  if (!fit_protection(*region, protect)) {
    pool().give(region);
    return false;
  }
  note_size(*region, bytes);
  memory = wasm_rt_memory_t{region->base, initial_pages, limit, static_cast<uint32_t>(bytes), region};
  return true;
}

uint32_t grow_memory(wasm_rt_memory_t& memory, uint32_t delta_pages) noexcept {
  uint32_t old_pages = memory.pages;
  uint64_t new_pages = uint64_t{old_pages} + delta_pages;
  if (new_pages > memory.max_pages) return UINT32_MAX;
  if (!fit_protection(*memory.region, new_pages * kWasmPageSize)) return UINT32_MAX;
  note_size(*memory.region, new_pages * kWasmPageSize);
  memory.pages = static_cast<uint32_t>(new_pages);
  memory.size = static_cast<uint32_t>(new_pages * kWasmPageSize);
  return old_pages;
}

RetainAccessible::RetainAccessible(std::size_t bytes) noexcept { t_retain_bytes = bytes; }

RetainAccessible::~RetainAccessible() { t_retain_bytes = 0; }

bool settle_protection(wasm_rt_memory_t& memory) noexcept {
  return memory.region == nullptr || fit_protection(*memory.region, memory.size);
}

BoundsCheck memory_bounds_check(const wasm_rt_memory_t& memory) noexcept { return memory.region->mode; }

void free_memory(wasm_rt_memory_t& memory) noexcept {
  if (memory.region == nullptr) return;
  pool().give(memory.region);
  memory = wasm_rt_memory_t{};
}

void set_memory_pool_capacity(std::size_t regions) { pool().set_capacity(regions); }

MemoryPoolStats memory_pool_stats() { return pool().stats(); }

}  // namespace kiln::rt
