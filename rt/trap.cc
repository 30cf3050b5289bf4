#include "rt/trap.h"

#include <unistd.h>

#include <cstdlib>
#include <cstring>

namespace kiln::rt {
namespace {

// Plain pointer, constant-initialized: no lazy-init guard, safe inside the
// signal handler. Initial-exec: one %fs-relative load even in PIC code
// (global-dynamic would call __tls_get_addr on every access); 8 bytes of
// static TLS, which glibc's surplus covers when libkiln.so is dlopen'd.
[[gnu::tls_model("initial-exec")]] thread_local CallFrame* t_frame = nullptr;

static_assert(static_cast<uint32_t>(TrapCode::Exhaustion) == 8, "WABT's codes keep WABT's values");
static_assert(static_cast<uint32_t>(TrapCode::Allocation) == WASM_RT_TRAP_ALLOCATION);

void write_stderr(const char* text) noexcept {
  // write(2), not stdio: this runs in signal handlers and after corruption.
  ssize_t ignored = ::write(STDERR_FILENO, text, std::strlen(text));
  (void)ignored;
}

}  // namespace

const char* trap_message(TrapCode code) noexcept {
  switch (code) {
    case TrapCode::None: return "no trap";
    case TrapCode::Oob: return "out of bounds memory or table access";
    case TrapCode::IntOverflow: return "integer overflow";
    case TrapCode::DivByZero: return "integer divide by zero";
    case TrapCode::InvalidConversion: return "invalid conversion to integer";
    case TrapCode::Unreachable: return "unreachable executed";
    case TrapCode::CallIndirect: return "invalid indirect call";
    case TrapCode::UncaughtException: return "uncaught exception";
    case TrapCode::Exhaustion: return "call stack exhausted";
    case TrapCode::MemoryOob: return "out of bounds memory access";
    case TrapCode::TableOob: return "out of bounds table access";
    case TrapCode::CallIndirectNull: return "indirect call to null";
    case TrapCode::CallIndirectType: return "indirect call type mismatch";
    case TrapCode::OutOfFuel: return "out of fuel";
    case TrapCode::Deadline: return "deadline exceeded";
    case TrapCode::Host: return "host error";
    case TrapCode::Exit: return "exit";
    case TrapCode::Allocation: return "runtime resources exhausted";
  }
  return "unknown trap";
}

CallFrame* current_frame() noexcept { return t_frame; }

void set_current_frame(CallFrame* frame) noexcept { t_frame = frame; }

void trap(TrapCode code) noexcept {
  CallFrame* frame = t_frame;
  if (frame == nullptr) {
    write_stderr("kiln rt: trap outside a guarded call: ");
    write_stderr(trap_message(code));
    write_stderr("\n");
    std::abort();
  }
  frame->code = code;
  // Plain longjmp: the landing was set by plain setjmp, so no signal mask is
  // saved or restored (the fault handler runs with SA_NODEFER, leaving the
  // mask as it was).
  std::longjmp(frame->landing, 1);
}

void fatal(const char* what) noexcept {
  write_stderr("kiln rt: ");
  write_stderr(what);
  write_stderr("\n");
  std::abort();
}

}  // namespace kiln::rt
