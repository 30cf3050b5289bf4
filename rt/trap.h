// Traps: how a guest call stops early. Each guarded call (call_guarded in
// guest_stack.h) owns a CallFrame on its guest stack; trap() longjmps to the
// innermost frame of the calling thread. No trap state is process-global, so
// threads and nested calls (host -> guest -> host -> guest) never see each
// other's traps. The frame lives exactly as long as its guarded call.
#pragma once

#include <csetjmp>
#include <cstdint>

#include "rt/wasm-rt.h"

namespace kiln::rt {

// wasm_rt_trap_t as a C++ enum, value for value (trap.cc checks it).
enum class TrapCode : uint32_t {
  None = WASM_RT_TRAP_NONE,
  Oob = WASM_RT_TRAP_OOB,
  IntOverflow = WASM_RT_TRAP_INT_OVERFLOW,
  DivByZero = WASM_RT_TRAP_DIV_BY_ZERO,
  InvalidConversion = WASM_RT_TRAP_INVALID_CONVERSION,
  Unreachable = WASM_RT_TRAP_UNREACHABLE,
  CallIndirect = WASM_RT_TRAP_CALL_INDIRECT,
  UncaughtException = WASM_RT_TRAP_UNCAUGHT_EXCEPTION,
  Exhaustion = WASM_RT_TRAP_EXHAUSTION,
  MemoryOob = WASM_RT_TRAP_MEMORY_OOB,
  TableOob = WASM_RT_TRAP_TABLE_OOB,
  CallIndirectNull = WASM_RT_TRAP_CALL_INDIRECT_NULL,
  CallIndirectType = WASM_RT_TRAP_CALL_INDIRECT_TYPE,
  OutOfFuel = WASM_RT_TRAP_OUT_OF_FUEL,
  Deadline = WASM_RT_TRAP_DEADLINE,
  Host = WASM_RT_TRAP_HOST,
  Exit = WASM_RT_TRAP_EXIT,
  Allocation = WASM_RT_TRAP_ALLOCATION,
};

// A short stable description, e.g. "integer divide by zero".
const char* trap_message(TrapCode code) noexcept;

// One guarded call's trap state. Lives on the call's own guest stack, so
// every longjmp to it stays on that stack.
struct CallFrame {
  std::jmp_buf landing;                // traps land here
  std::jmp_buf* unwind_target;         // innermost wasm `try`, else &landing
  // Why we landed. Volatile: written after setjmp and read after the
  // longjmp, which only volatile locals of the setjmp caller survive.
  volatile TrapCode code = TrapCode::None;
  CallFrame* outer = nullptr;          // the guarded call this one runs inside
  uint32_t depth = 0;                  // 0 for the outermost guarded call
};

// The calling thread's innermost guarded call, or nullptr outside guests.
// Async-signal-safe.
CallFrame* current_frame() noexcept;
void set_current_frame(CallFrame* frame) noexcept;

// Ends the innermost guarded call with `code` (not None). Async-signal-safe,
// so the fault handler uses it. Skips frames without running destructors.
// Outside any guarded call it is a host bug: it aborts with a message.
[[noreturn]] void trap(TrapCode code) noexcept;

// Writes "kiln rt: <what>" to stderr and aborts; async-signal-safe.
[[noreturn]] void fatal(const char* what) noexcept;

}  // namespace kiln::rt
