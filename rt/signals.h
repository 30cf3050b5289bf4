// Signals: turning hardware faults in guest code into traps. One SIGSEGV and
// SIGBUS handler for the process, installed once and never removed; an
// alternate signal stack on every thread that runs guests (a fault on a
// guest stack's guard page leaves no stack to run the handler on).
//
// The handler traps only for a fault inside a registered guard region while
// the faulting thread is inside a guarded call: guest memory guard regions
// give out-of-bounds traps, guest stack guard pages give call stack
// exhaustion. Any other fault goes to the handler that was installed before
// kiln's (by default the process dies of the signal, as it would have
// without kiln), so a genuine host crash still crashes loudly.
#pragma once

#include <cstddef>

#include "rt/trap.h"

namespace kiln::rt {

// At most this many guard regions are registered at once (live and pooled
// memories, guest stacks).
inline constexpr std::size_t kMaxGuardRegions = 32768;

// Registers [begin, begin + size): a fault there inside a guarded call traps
// with `code`. Returns a handle for unregister_guard_region, or -1 when the
// registry is full. Not for the hot path (takes a lock).
int register_guard_region(const void* begin, std::size_t size, TrapCode code);
void unregister_guard_region(int handle);

// Installs the fault handler, once per process; thread-safe.
void install_fault_handler();
bool fault_handler_installed() noexcept;

// install_fault_handler() plus this thread's alternate signal stack (kept
// until the thread exits; a stack the thread already had is left alone).
// Call once per thread before its first guest call.
void prepare_thread_for_guests();

}  // namespace kiln::rt
