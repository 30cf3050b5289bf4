#include "rt/memory_pool.h"

#include <sys/mman.h>

#include <algorithm>
#include <cstring>
#include <mutex>
#include <new>
#include <vector>

#include "rt/signals.h"

using kiln::rt::BoundsCheck;

// The region behind one memory: its C name comes from wasm-rt.h.
struct kiln_rt_region {
  std::uint8_t* base;
  std::size_t reserved;    // bytes of address space
  std::size_t accessible;  // bytes read-write now, from base
  std::size_t dirty;       // [base, base + dirty) may be non-zero; the rest is zero
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
// Freed memories are zeroed with memset up to here (the pages stay resident,
// so the next instance pays no first touch); the rest is dropped with
// madvise, which costs a syscall but returns the memory to the system.
constexpr std::size_t kMemsetLimit = std::size_t{1} << 20;

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

// Makes exactly [base, base + bytes) read-write.
bool set_accessible(Region& region, std::size_t bytes) {
  if (bytes > region.accessible) {
    if (mprotect(region.base + region.accessible, bytes - region.accessible, PROT_READ | PROT_WRITE) != 0) {
      return false;
    }
  } else if (bytes < region.accessible) {
    if (mprotect(region.base + bytes, region.accessible - bytes, PROT_NONE) != 0) return false;
  }
  region.accessible = bytes;
  region.dirty = std::max(region.dirty, bytes);
  return true;
}

// Zeroes only what the last owner could have written: [0, dirty).
void scrub(Region& region) {
  std::size_t by_memset = std::min(region.dirty, kMemsetLimit);
  std::memset(region.base, 0, by_memset);
  if (region.dirty > by_memset) madvise(region.base + by_memset, region.dirty - by_memset, MADV_DONTNEED);
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
    return {live_, free_[0].size() + free_[1].size(), mapped_};
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

}  // namespace

bool allocate_memory(wasm_rt_memory_t& memory, uint32_t initial_pages, uint32_t max_pages,
                     BoundsCheck mode) noexcept {
  uint32_t limit = std::min(max_pages, kMaxMemoryPages);
  if (initial_pages > limit) return false;
  Region* region = pool().take(mode);
  if (region == nullptr) return false;
  std::size_t bytes = initial_pages * kWasmPageSize;
  if (!set_accessible(*region, bytes)) {
    pool().give(region);
    return false;
  }
  memory = wasm_rt_memory_t{region->base, initial_pages, limit, static_cast<uint32_t>(bytes), region};
  return true;
}

uint32_t grow_memory(wasm_rt_memory_t& memory, uint32_t delta_pages) noexcept {
  uint32_t old_pages = memory.pages;
  uint64_t new_pages = uint64_t{old_pages} + delta_pages;
  if (new_pages > memory.max_pages) return UINT32_MAX;
  if (!set_accessible(*memory.region, new_pages * kWasmPageSize)) return UINT32_MAX;
  memory.pages = static_cast<uint32_t>(new_pages);
  memory.size = static_cast<uint32_t>(new_pages * kWasmPageSize);
  return old_pages;
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
