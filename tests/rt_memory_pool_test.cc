// Linear memories from kiln's pool: zeroed on every allocation (also after
// reuse), growable to their maximum and no further, reused instead of
// re-mapped, cycled without syscalls when their size allows, and never
// leaking address space.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <string>

#include "rt/guest_stack.h"
#include "rt/memory_pool.h"
#include "rt/wasm-rt.h"

namespace kiln::rt {
namespace {

bool all_zero(const wasm_rt_memory_t& memory) {
  return std::all_of(memory.data, memory.data + memory.size, [](uint8_t byte) { return byte == 0; });
}

class RtMemoryPool : public testing::TestWithParam<BoundsCheck> {};

INSTANTIATE_TEST_SUITE_P(BothModes, RtMemoryPool, testing::Values(BoundsCheck::GuardPages, BoundsCheck::Explicit),
                         [](const auto& info) {
                           return info.param == BoundsCheck::GuardPages ? "GuardPages" : "Explicit";
                         });

TEST_P(RtMemoryPool, AllocatesZeroedPages) {
  wasm_rt_memory_t memory{};
  ASSERT_TRUE(allocate_memory(memory, 2, 10, GetParam()));
  EXPECT_NE(memory.data, nullptr);
  EXPECT_EQ(memory.pages, 2u);
  EXPECT_EQ(memory.max_pages, 10u);
  EXPECT_EQ(memory.size, 2 * kWasmPageSize);
  EXPECT_EQ(memory_bounds_check(memory), GetParam());
  EXPECT_TRUE(all_zero(memory));
  free_memory(memory);
  EXPECT_EQ(memory.data, nullptr);
}

TEST_P(RtMemoryPool, GrowsToItsMaximumAndNoFurther) {
  wasm_rt_memory_t memory{};
  ASSERT_TRUE(allocate_memory(memory, 1, 3, GetParam()));
  memory.data[0] = 0x11;
  uint8_t* data = memory.data;
  EXPECT_EQ(grow_memory(memory, 0), 1u);
  EXPECT_EQ(grow_memory(memory, 2), 1u);
  EXPECT_EQ(memory.pages, 3u);
  EXPECT_EQ(memory.size, 3 * kWasmPageSize);
  EXPECT_EQ(memory.data, data) << "a memory never moves";
  EXPECT_EQ(memory.data[0], 0x11);
  EXPECT_EQ(memory.data[memory.size - 1], 0) << "grown pages are zero and writable";
  memory.data[memory.size - 1] = 0x22;
  EXPECT_EQ(grow_memory(memory, 1), UINT32_MAX);
  EXPECT_EQ(memory.pages, 3u);
  free_memory(memory);
}

TEST_P(RtMemoryPool, MaximumIsClampedTo65535Pages) {
  wasm_rt_memory_t memory{};
  ASSERT_TRUE(allocate_memory(memory, 0, 65536, GetParam()));
  EXPECT_EQ(memory.max_pages, kMaxMemoryPages);
  EXPECT_EQ(grow_memory(memory, 65536), UINT32_MAX);
  EXPECT_EQ(memory.pages, 0u);
  free_memory(memory);
}

TEST_P(RtMemoryPool, RefusesAnInitialSizeAboveTheMaximum) {
  wasm_rt_memory_t memory{};
  EXPECT_FALSE(allocate_memory(memory, 3, 2, GetParam()));
  EXPECT_FALSE(allocate_memory(memory, 65536, 65536, GetParam()));
  EXPECT_EQ(memory.data, nullptr);
}

// Small memories are zeroed by memset, the part past 1 MiB by madvise: both
// must come back zero, at every page that was ever written.
TEST_P(RtMemoryPool, ReuseGivesZeroedMemory) {
  for (uint32_t grown_pages : {4u, 40u}) {
    wasm_rt_memory_t memory{};
    ASSERT_TRUE(allocate_memory(memory, 1, 64, GetParam()));
    ASSERT_NE(grow_memory(memory, grown_pages - 1), UINT32_MAX);
    std::memset(memory.data, 0xab, memory.size);
    uint8_t* data = memory.data;
    free_memory(memory);

    ASSERT_TRUE(allocate_memory(memory, 1, 64, GetParam()));
    EXPECT_EQ(memory.data, data) << "the freed region is reused";
    EXPECT_EQ(memory.size, kWasmPageSize);
    ASSERT_NE(grow_memory(memory, grown_pages - 1), UINT32_MAX);
    EXPECT_TRUE(all_zero(memory)) << "after growing to " << grown_pages << " pages";
    free_memory(memory);
  }
}

TEST_P(RtMemoryPool, HundredThousandCyclesReuseOneRegion) {
  MemoryPoolStats before = memory_pool_stats();
  for (int i = 0; i < 100'000; ++i) {
    wasm_rt_memory_t memory{};
    ASSERT_TRUE(allocate_memory(memory, 1, 1, GetParam())) << "cycle " << i;
    memory.data[i % kWasmPageSize] = 1;
    free_memory(memory);
  }
  MemoryPoolStats after = memory_pool_stats();
  EXPECT_LE(after.mapped - before.mapped, 1u);
  EXPECT_EQ(after.live, before.live);
}

// A pool's reset frees a memory and allocates it again at the same size:
// after the first cycle that makes no mprotect and no madvise, so a reset
// costs no syscall (each that removes access costs ~25 us on a PVM guest).
TEST_P(RtMemoryPool, CyclingAtTheSameSizeChangesNoProtection) {
  wasm_rt_memory_t memory{};
  ASSERT_TRUE(allocate_memory(memory, 2, 8, GetParam()));
  free_memory(memory);
  MemoryPoolStats before = memory_pool_stats();
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(allocate_memory(memory, 2, 8, GetParam()));
    ASSERT_TRUE(all_zero(memory)) << "cycle " << i;
    memory.data[0] = 1;
    memory.data[memory.size - 1] = 1;
    free_memory(memory);
  }
  MemoryPoolStats after = memory_pool_stats();
  EXPECT_EQ(after.protection_changes, before.protection_changes);
  EXPECT_EQ(after.dropped_ranges, before.dropped_ranges);
}

// Explicit-mode code compares each access with the size, so a memory that
// grew keeps its pages read-write when it comes back smaller: growing again
// costs no syscall either, and what the grown pages held is gone.
TEST(RtMemoryPoolExplicit, AGrownMemoryCyclesWithoutProtectionChanges) {
  wasm_rt_memory_t memory{};
  ASSERT_TRUE(allocate_memory(memory, 1, 8, BoundsCheck::Explicit));
  ASSERT_EQ(grow_memory(memory, 3), 1u);
  free_memory(memory);
  MemoryPoolStats before = memory_pool_stats();
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(allocate_memory(memory, 1, 8, BoundsCheck::Explicit));
    EXPECT_EQ(memory.size, kWasmPageSize) << "memory.size is the initial size again";
    ASSERT_EQ(grow_memory(memory, 3), 1u);
    ASSERT_TRUE(all_zero(memory)) << "cycle " << i;
    std::memset(memory.data, 0xcd, memory.size);
    free_memory(memory);
  }
  EXPECT_EQ(memory_pool_stats().protection_changes, before.protection_changes);
}

// In GuardPages mode the fault is the bounds check: a memory that grew must
// lose the grown pages' access when it comes back at its initial size.
TEST(RtMemoryPoolGuard, AGrownMemoryCostsAProtectionChange) {
  wasm_rt_memory_t memory{};
  ASSERT_TRUE(allocate_memory(memory, 1, 8, BoundsCheck::GuardPages));
  ASSERT_EQ(grow_memory(memory, 3), 1u);
  memory.data[memory.size - 1] = 7;
  free_memory(memory);
  MemoryPoolStats before = memory_pool_stats();
  ASSERT_TRUE(allocate_memory(memory, 1, 8, BoundsCheck::GuardPages));
  EXPECT_GT(memory_pool_stats().protection_changes, before.protection_changes);
  volatile uint8_t* second_page = memory.data + kWasmPageSize;
  EXPECT_EQ(call_guarded([&] { (void)*second_page; }), TrapCode::MemoryOob);
  free_memory(memory);
}

// RetainAccessible: a reset that grows the memory straight back (a reactor's
// snapshot) keeps the pages accessible: no shrink, no regrow. Grown back
// less than retained, settle_protection() removes the rest.
TEST(RtMemoryPoolGuard, RetainedPagesSkipTheShrinkAndSettleRemovesTheRest) {
  wasm_rt_memory_t memory{};
  ASSERT_TRUE(allocate_memory(memory, 1, 8, BoundsCheck::GuardPages));
  ASSERT_EQ(grow_memory(memory, 3), 1u);
  std::memset(memory.data, 0xef, memory.size);
  free_memory(memory);

  MemoryPoolStats before = memory_pool_stats();
  {
    RetainAccessible retain(4 * kWasmPageSize);
    ASSERT_TRUE(allocate_memory(memory, 1, 8, BoundsCheck::GuardPages));
  }
  EXPECT_EQ(memory.size, kWasmPageSize);
  ASSERT_EQ(grow_memory(memory, 3), 1u);
  ASSERT_TRUE(settle_protection(memory));
  EXPECT_EQ(memory_pool_stats().protection_changes, before.protection_changes);
  EXPECT_TRUE(all_zero(memory));
  free_memory(memory);

  {
    RetainAccessible retain(4 * kWasmPageSize);
    ASSERT_TRUE(allocate_memory(memory, 1, 8, BoundsCheck::GuardPages));
  }
  ASSERT_EQ(grow_memory(memory, 1), 1u);
  ASSERT_TRUE(settle_protection(memory));
  EXPECT_GT(memory_pool_stats().protection_changes, before.protection_changes);
  volatile uint8_t* third_page = memory.data + 2 * kWasmPageSize;
  EXPECT_EQ(call_guarded([&] { *third_page = 1; }), TrapCode::MemoryOob);
  free_memory(memory);
}

// A RetainAccessible is for the next allocation on its thread only.
TEST(RtMemoryPoolGuard, RetainAccessibleAppliesToOneAllocation) {
  wasm_rt_memory_t first{};
  wasm_rt_memory_t second{};
  ASSERT_TRUE(allocate_memory(first, 4, 4, BoundsCheck::GuardPages));
  ASSERT_TRUE(allocate_memory(second, 4, 4, BoundsCheck::GuardPages));
  free_memory(first);
  free_memory(second);
  {
    RetainAccessible retain(4 * kWasmPageSize);
    ASSERT_TRUE(allocate_memory(first, 1, 4, BoundsCheck::GuardPages));
    ASSERT_TRUE(allocate_memory(second, 1, 4, BoundsCheck::GuardPages));
  }
  volatile uint8_t* beyond = second.data + kWasmPageSize;
  EXPECT_EQ(call_guarded([&] { *beyond = 1; }), TrapCode::MemoryOob);
  ASSERT_TRUE(settle_protection(first));
  beyond = first.data + kWasmPageSize;
  EXPECT_EQ(call_guarded([&] { *beyond = 1; }), TrapCode::MemoryOob);
  free_memory(first);
  free_memory(second);
}

// Address space the process has mapped, from /proc/self/status.
uint64_t mapped_kib() {
  std::ifstream status("/proc/self/status");
  std::string key;
  uint64_t kib = 0;
  while (status >> key) {
    if (key == "VmSize:" && status >> kib) return kib;
  }
  return 0;
}

// Beyond the pool's capacity regions are unmapped: WABT's runtime kept the
// 8 GiB reservation of every freed memory and failed after ~16k of them.
TEST_P(RtMemoryPool, UnpooledCyclesReleaseTheirAddressSpace) {
  set_memory_pool_capacity(0);
  uint64_t before = mapped_kib();
  ASSERT_GT(before, 0u);
  for (int i = 0; i < 1000; ++i) {
    wasm_rt_memory_t memory{};
    ASSERT_TRUE(allocate_memory(memory, 1, 1, GetParam())) << "cycle " << i;
    free_memory(memory);
  }
  EXPECT_EQ(memory_pool_stats().pooled, 0u);
  EXPECT_LT(mapped_kib(), before + (uint64_t{4} << 20)) << "a freed region stayed mapped";
  set_memory_pool_capacity(kDefaultMemoryPoolCapacity);
}

// A reused region that was larger must fault above its new size again.
TEST(RtMemoryPoolGuard, ReuseShrinksTheAccessibleRange) {
  wasm_rt_memory_t memory{};
  ASSERT_TRUE(allocate_memory(memory, 4, 4, BoundsCheck::GuardPages));
  uint8_t* data = memory.data;
  free_memory(memory);
  ASSERT_TRUE(allocate_memory(memory, 1, 4, BoundsCheck::GuardPages));
  ASSERT_EQ(memory.data, data);
  volatile uint8_t* second_page = memory.data + kWasmPageSize;
  EXPECT_EQ(call_guarded([&] { *second_page = 1; }), TrapCode::MemoryOob);
  free_memory(memory);
}

TEST(RtMemoryPoolGuard, TheCApiTrapsWhenAMemoryCannotBeHad) {
  wasm_rt_memory_t memory{};
  EXPECT_EQ(call_guarded([&] { wasm_rt_allocate_memory(&memory, 70000, 70000); }), TrapCode::Allocation);
  EXPECT_EQ(memory.data, nullptr);
}

}  // namespace
}  // namespace kiln::rt
