// Guest stacks and the call guard. Every guest call runs on a stack of its
// own, taken from a pool: 1 MiB usable with a 64 KiB guard region below it,
// so deep recursion faults on the guard and traps "call stack exhausted"
// instead of running over host memory. A thread keeps the stacks it used
// (one per nesting depth) until it exits, then returns them to the pool.
//
// call_guarded is the only way into guest code. It switches to the stack
// with Boost.Context's fcontext (a few ns; swapcontext makes a syscall), sets
// the trap landing ON the guest stack so no longjmp ever crosses stacks, runs
// the function and switches back.
//
// Hot path, per call: no syscall, no allocation, no lock. The first call on
// a thread (or at a new nesting depth) takes a stack from the pool and
// prepares the thread's signal handling.
#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "rt/trap.h"

namespace kiln::rt {

inline constexpr std::size_t kGuestStackSize = std::size_t{1} << 20;
// Larger than a page, so a frame that skips a few KiB still lands in it.
// Generated code may also be compiled with -fstack-clash-protection.
inline constexpr std::size_t kGuestStackGuard = std::size_t{64} << 10;
// Host -> guest -> host -> guest nesting beyond this is refused: the inner
// call_guarded returns TrapCode::Exhaustion without running anything.
inline constexpr uint32_t kMaxNestedCalls = 16;

using GuestFn = void (*)(void* arg);

// Runs fn(arg) on a guest stack. Returns TrapCode::None when fn returned,
// else why it stopped: a trap raised by trap()/wasm_rt_trap, a guard fault
// (MemoryOob, Exhaustion), an uncaught wasm exception, nesting deeper than
// kMaxNestedCalls (Exhaustion) or no stack to be had (Allocation).
//
// A trap skips fn's frames without unwinding them: fn and what it calls
// must not hold C++ objects with destructors across a possible trap. fn must
// not throw: a C++ exception cannot leave the guest stack (terminate).
TrapCode call_guarded(GuestFn fn, void* arg) noexcept;

// The same for a callable, e.g. a lambda capturing by reference. The same
// rule holds: nothing in it may need unwinding when a trap skips it.
template <typename Function>
TrapCode call_guarded(Function&& function) noexcept {
  using F = std::remove_reference_t<Function>;
  return call_guarded([](void* f) { (*static_cast<F*>(f))(); }, &function);
}

// How many unused stacks the process-wide pool holds (for tests and stats).
std::size_t pooled_guest_stacks();

}  // namespace kiln::rt
