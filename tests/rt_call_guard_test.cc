// call_guarded and traps: every way a guest call can stop comes back as a
// TrapCode, the thread carries on, and faults that are not a guest's still
// kill the process. The fake guests here use the wasm-rt.h API the way
// wasm2c output does.
#include <gtest/gtest.h>

#include <csignal>
#include <cstdint>
#include <cstring>

#include <sys/mman.h>
#include <unistd.h>

#include "rt/guest_stack.h"
#include "rt/memory_pool.h"
#include "rt/trap.h"
#include "rt/wasm-rt.h"

namespace kiln::rt {
namespace {

volatile bool g_never = false;  // opaque to the optimiser

// Native recursion with no way out: only the guard page stops it.
[[gnu::noinline]] uint64_t recurse_forever(uint64_t depth) {
  volatile uint8_t frame[128];
  frame[0] = static_cast<uint8_t>(depth);
  if (g_never) return frame[0];
  return recurse_forever(depth + 1) + frame[0];
}

// A load as guard-page code does it: no check.
uint32_t unchecked_load(const wasm_rt_memory_t& memory, uint64_t address) {
  uint32_t value;
  wasm_rt_memcpy(&value, memory.data + address, sizeof value);
  return value;
}

TEST(RtCallGuard, ReturnsNoneAndRunsTheFunction) {
  int ran = 0;
  EXPECT_EQ(call_guarded([&] { ran = 7; }), TrapCode::None);
  EXPECT_EQ(ran, 7);
}

TEST(RtCallGuard, RunsOnAGuestStackFarFromTheCaller) {
  int caller_local = 0;
  auto caller = reinterpret_cast<uintptr_t>(&caller_local);
  uintptr_t guest = 0;
  ASSERT_EQ(call_guarded([&] {
              int guest_local = 0;
              guest = reinterpret_cast<uintptr_t>(&guest_local);
            }),
            TrapCode::None);
  uintptr_t distance = guest > caller ? guest - caller : caller - guest;
  EXPECT_GT(distance, kGuestStackSize) << "the guest ran on the caller's stack";
}

TEST(RtCallGuard, EveryTrapCodeComesBack) {
  for (wasm_rt_trap_t code : {WASM_RT_TRAP_OOB, WASM_RT_TRAP_INT_OVERFLOW, WASM_RT_TRAP_DIV_BY_ZERO,
                              WASM_RT_TRAP_UNREACHABLE, WASM_RT_TRAP_CALL_INDIRECT_NULL, WASM_RT_TRAP_HOST,
                              WASM_RT_TRAP_EXIT, WASM_RT_TRAP_OUT_OF_FUEL}) {
    bool after_trap = false;
    TrapCode result = call_guarded([&] {
      wasm_rt_trap(code);
      after_trap = true;  // never runs
    });
    EXPECT_EQ(result, static_cast<TrapCode>(code)) << wasm_rt_strerror(code);
    EXPECT_FALSE(after_trap);
  }
  EXPECT_EQ(current_frame(), nullptr) << "a trapped call left its frame behind";
}

TEST(RtCallGuard, TrapMessagesAreStable) {
  EXPECT_STREQ(trap_message(TrapCode::DivByZero), "integer divide by zero");
  EXPECT_STREQ(trap_message(TrapCode::Exhaustion), "call stack exhausted");
  EXPECT_STREQ(wasm_rt_strerror(WASM_RT_TRAP_MEMORY_OOB), "out of bounds memory access");
}

TEST(RtCallGuard, OutOfBoundsAccessOnAGuardPageMemoryTraps) {
  wasm_rt_memory_t memory{};
  ASSERT_TRUE(allocate_memory(memory, 1, 1, BoundsCheck::GuardPages));
  uint32_t value = 1;
  EXPECT_EQ(call_guarded([&] { value = unchecked_load(memory, memory.size - 4); }), TrapCode::None);
  EXPECT_EQ(value, 0u);
  EXPECT_EQ(call_guarded([&] { value = unchecked_load(memory, memory.size); }), TrapCode::MemoryOob);
  // The farthest an i32.load can reach: index 0xffffffff + offset 0xffffffff.
  uint64_t farthest = uint64_t{0xffffffff} + 0xffffffff;
  EXPECT_EQ(call_guarded([&] { value = unchecked_load(memory, farthest); }), TrapCode::MemoryOob);
  EXPECT_EQ(call_guarded([&] { value = unchecked_load(memory, 0); }), TrapCode::None) << "the call after traps";
  free_memory(memory);
}

TEST(RtCallGuard, ExplicitChecksTrapWithoutAFault) {
  wasm_rt_memory_t memory{};
  ASSERT_TRUE(allocate_memory(memory, 1, 1, BoundsCheck::Explicit));
  auto checked_load = [&](uint64_t address) {
    if (UNLIKELY(address + 4 > memory.size)) wasm_rt_trap(WASM_RT_TRAP_OOB);  // wasm2c's MEMCHECK
    return unchecked_load(memory, address);
  };
  EXPECT_EQ(call_guarded([&] { checked_load(memory.size - 4); }), TrapCode::None);
  EXPECT_EQ(call_guarded([&] { checked_load(memory.size - 3); }), TrapCode::Oob);
  free_memory(memory);
}

TEST(RtCallGuard, InfiniteRecursionExhaustsTheStack) {
  EXPECT_EQ(call_guarded([] { recurse_forever(0); }), TrapCode::Exhaustion);
  EXPECT_EQ(call_guarded([] {}), TrapCode::None) << "the call after exhaustion";
}

// A host function called by the guest, which calls back into a guest.
TEST(RtCallGuard, NestedCallsKeepTheirOwnTraps) {
  TrapCode inner = TrapCode::None;
  int after_inner = 0;
  TrapCode outer = call_guarded([&] {
    inner = call_guarded([] { wasm_rt_trap(WASM_RT_TRAP_UNREACHABLE); });
    after_inner = 1;  // the outer guest carries on after the inner trap
    EXPECT_EQ(call_guarded([] { recurse_forever(0); }), TrapCode::Exhaustion);
    after_inner = 2;
    wasm_rt_trap(WASM_RT_TRAP_DIV_BY_ZERO);
  });
  EXPECT_EQ(inner, TrapCode::Unreachable);
  EXPECT_EQ(after_inner, 2);
  EXPECT_EQ(outer, TrapCode::DivByZero);
}

uint32_t g_deepest = 0;
TrapCode g_refusal = TrapCode::None;

void nest(void*) {
  ++g_deepest;
  TrapCode inner = call_guarded(&nest, nullptr);
  if (inner != TrapCode::None) g_refusal = inner;
}

TEST(RtCallGuard, NestingDeeperThanTheLimitIsRefused) {
  g_deepest = 0;
  g_refusal = TrapCode::None;
  EXPECT_EQ(call_guarded(&nest, nullptr), TrapCode::None);
  EXPECT_EQ(g_deepest, kMaxNestedCalls);
  EXPECT_EQ(g_refusal, TrapCode::Exhaustion);
}

// ---- wasm exception handling, as wasm2c --enable-exceptions emits it -------

constexpr uint32_t kPayload = 0x5eed;

void throw_payload(uint32_t tag) {
  wasm_rt_load_exception(tag, sizeof kPayload, &kPayload);
  wasm_rt_throw();
}

TEST(RtCallGuard, ExceptionsAreCaughtByTheInnermostTry) {
  uint32_t tag = wasm_rt_register_tag(sizeof kPayload);
  uint32_t caught = 0;
  TrapCode result = call_guarded([&] {
    WASM_RT_UNWIND_TARGET* outer = wasm_rt_get_unwind_target();
    WASM_RT_UNWIND_TARGET target;
    if (!wasm_rt_try(target)) {
      wasm_rt_set_unwind_target(&target);
      throw_payload(tag);
    } else {
      wasm_rt_set_unwind_target(outer);
      EXPECT_EQ(wasm_rt_exception_tag(), tag);
      ASSERT_EQ(wasm_rt_exception_size(), sizeof kPayload);
      std::memcpy(&caught, wasm_rt_exception(), sizeof caught);
    }
  });
  EXPECT_EQ(result, TrapCode::None);
  EXPECT_EQ(caught, kPayload);
}

TEST(RtCallGuard, AnUncaughtExceptionEndsTheCall) {
  uint32_t tag = wasm_rt_register_tag(sizeof kPayload);
  EXPECT_EQ(call_guarded([&] { throw_payload(tag); }), TrapCode::UncaughtException);
}

TEST(RtCallGuard, TrapsAreNotCaughtByATry) {
  bool caught = false;
  TrapCode result = call_guarded([&] {
    WASM_RT_UNWIND_TARGET target;
    if (!wasm_rt_try(target)) {
      wasm_rt_set_unwind_target(&target);
      wasm_rt_trap(WASM_RT_TRAP_UNREACHABLE);
    }
    caught = true;
  });
  EXPECT_EQ(result, TrapCode::Unreachable);
  EXPECT_FALSE(caught);
}

// ---- faults that are not a guest's -------------------------------------------

void null_store() {
  int* volatile pointer = nullptr;
  *pointer = 42;
}

// Without sanitizers the process dies of the SIGSEGV itself (kiln hands the
// fault back to the default action). Under ASan/UBSan (KILN_SANITIZE) their
// handlers, which kiln chains to, report the bad access and exit(1).
#if defined(__SANITIZE_ADDRESS__)
#define KILN_TEST_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define KILN_TEST_SANITIZED 1
#endif
#endif
#ifdef KILN_TEST_SANITIZED
#define KILN_DIES_OF_THE_FAULT testing::ExitedWithCode(1)
#else
#define KILN_DIES_OF_THE_FAULT testing::KilledBySignal(SIGSEGV)
#endif

class RtCallGuardDeathTest : public testing::Test {
 protected:
  void SetUp() override { GTEST_FLAG_SET(death_test_style, "threadsafe"); }
};

TEST_F(RtCallGuardDeathTest, ANullDereferenceInHostCodeStillKillsTheProcess) {
  EXPECT_EXIT(
      {
        // kiln's handler is installed and has served a guest on this thread.
        wasm_rt_init();
        ASSERT_EQ(call_guarded([] { wasm_rt_trap(WASM_RT_TRAP_UNREACHABLE); }), TrapCode::Unreachable);
        null_store();
      },
      KILN_DIES_OF_THE_FAULT, "");
}

TEST_F(RtCallGuardDeathTest, ANullDereferenceInsideAGuestCallStillKillsTheProcess) {
  // A host function called from a guest crashes: no guard region, no trap.
  EXPECT_EXIT(call_guarded([] { null_store(); }), KILN_DIES_OF_THE_FAULT, "");
}

void exit_with_3(int, siginfo_t*, void*) {
  static const char message[] = "the previous handler ran\n";
  ssize_t ignored = write(STDERR_FILENO, message, sizeof message - 1);
  (void)ignored;
  _exit(3);
}

// A host that had its own SIGSEGV handler before kiln keeps getting the
// faults that are not a guest's.
TEST_F(RtCallGuardDeathTest, OtherFaultsGoToTheHandlerInstalledBeforeKilns) {
  EXPECT_EXIT(
      {
        struct sigaction action {};
        action.sa_sigaction = exit_with_3;
        action.sa_flags = SA_SIGINFO;
        sigaction(SIGSEGV, &action, nullptr);
        wasm_rt_init();
        struct sigaction current {};
        sigaction(SIGSEGV, nullptr, &current);
        ASSERT_NE(current.sa_sigaction, &exit_with_3) << "kiln's handler is not installed";
        // Host memory that is no guest's: a fault there is not a trap.
        void* page = mmap(nullptr, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        call_guarded([&] { *static_cast<volatile int*>(page) = 1; });
      },
      testing::ExitedWithCode(3), "the previous handler ran");
}

TEST_F(RtCallGuardDeathTest, ATrapOutsideAGuardedCallAborts) {
  EXPECT_DEATH(wasm_rt_trap(WASM_RT_TRAP_UNREACHABLE), "trap outside a guarded call: unreachable executed");
}

}  // namespace
}  // namespace kiln::rt
