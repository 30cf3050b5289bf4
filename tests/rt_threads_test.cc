// Traps on many threads at once: each thread's traps land in its own calls,
// and after thousands of faults every thread still makes normal calls.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <thread>

#include "rt/guest_stack.h"
#include "rt/memory_pool.h"
#include "rt/wasm-rt.h"

namespace kiln::rt {
namespace {

volatile bool g_never = false;

[[gnu::noinline]] uint64_t recurse_forever(uint64_t depth) {
  volatile uint8_t frame[128];
  frame[0] = static_cast<uint8_t>(depth);
  if (g_never) return frame[0];
  return recurse_forever(depth + 1) + frame[0];
}

struct ThreadOutcome {
  int out_of_bounds = 0;
  int exhausted = 0;
  TrapCode last_call = TrapCode::Unreachable;
  uint32_t last_value = 0;
};

void trap_many_times(ThreadOutcome& outcome) {
  wasm_rt_memory_t memory{};
  if (!allocate_memory(memory, 1, 1, BoundsCheck::GuardPages)) return;
  volatile uint8_t* past_the_end = memory.data + memory.size;
  for (int i = 0; i < 1000; ++i) {
    if (call_guarded([&] { *past_the_end = 1; }) == TrapCode::MemoryOob) ++outcome.out_of_bounds;
    if (call_guarded([] { recurse_forever(0); }) == TrapCode::Exhaustion) ++outcome.exhausted;
  }
  memory.data[8] = 9;
  outcome.last_call = call_guarded([&] { outcome.last_value = memory.data[8]; });
  free_memory(memory);
}

TEST(RtThreads, ThousandsOfTrapsOnFourThreadsThenNormalCalls) {
  std::array<ThreadOutcome, 4> outcomes{};
  std::array<std::thread, 4> threads;
  for (size_t i = 0; i < threads.size(); ++i) threads[i] = std::thread(trap_many_times, std::ref(outcomes[i]));
  for (std::thread& thread : threads) thread.join();
  for (const ThreadOutcome& outcome : outcomes) {
    EXPECT_EQ(outcome.out_of_bounds, 1000);
    EXPECT_EQ(outcome.exhausted, 1000);
    EXPECT_EQ(outcome.last_call, TrapCode::None);
    EXPECT_EQ(outcome.last_value, 9u);
  }
}

// A thread keeps one stack per nesting depth it reached; at exit they go
// back to the pool, which the next thread draws from first.
TEST(RtThreads, AnExitingThreadReturnsItsStacksToThePool) {
  size_t before = pooled_guest_stacks();
  TrapCode outer = TrapCode::Unreachable;
  TrapCode inner = TrapCode::Unreachable;
  std::thread([&] { outer = call_guarded([&] { inner = call_guarded([] {}); }); }).join();
  EXPECT_EQ(outer, TrapCode::None);
  EXPECT_EQ(inner, TrapCode::None);
  EXPECT_EQ(pooled_guest_stacks(), std::max<size_t>(before, 2));
}

}  // namespace
}  // namespace kiln::rt
