// Wasm exception handling as wasm2c --enable-exceptions output expects it.
// A `try` setjmps into its own buffer and makes it the unwind target; a throw
// longjmps to the innermost one. The unwind target belongs to the guarded
// call (its CallFrame), so nested calls and threads keep theirs apart. An
// exception nothing catches ends the call with "uncaught exception"; a trap
// always goes to the call's landing, past every `try`, as wasm requires.
#include <csetjmp>
#include <cstring>
#include <atomic>
#include <memory>

#include "rt/trap.h"

namespace {

using kiln::rt::CallFrame;
using kiln::rt::TrapCode;

// Tag payloads are a tag's params: far below this for any valid module.
constexpr uint32_t kMaxExceptionSize = 65536;

// The exception being thrown. Per thread: generated catch code copies it out
// right where it lands, before anything else can run on the thread.
struct ActiveException {
  uint32_t tag = 0;
  uint32_t size = 0;
  alignas(16) unsigned char values[kMaxExceptionSize];
};

ActiveException& active_exception() {
  // Allocated by a thread's first throw: most threads never throw.
  thread_local std::unique_ptr<ActiveException> exception;
  if (!exception) exception = std::make_unique<ActiveException>();
  return *exception;
}

std::atomic<uint32_t> g_next_tag{0};

CallFrame& frame_or_die(const char* what) {
  CallFrame* frame = kiln::rt::current_frame();
  if (frame == nullptr) kiln::rt::fatal(what);
  return *frame;
}

}  // namespace

extern "C" {

uint32_t wasm_rt_register_tag(uint32_t size) {
  if (size > kMaxExceptionSize) kiln::rt::fatal("exception tag payload too large");
  return g_next_tag.fetch_add(1, std::memory_order_relaxed);
}

void wasm_rt_load_exception(uint32_t tag, uint32_t size, const void* values) {
  if (size > kMaxExceptionSize) kiln::rt::fatal("exception payload too large");
  ActiveException& exception = active_exception();
  exception.tag = tag;
  exception.size = size;
  if (size > 0) std::memcpy(exception.values, values, size);
}

void wasm_rt_throw(void) {
  CallFrame& frame = frame_or_die("wasm exception thrown outside a guarded call");
  if (frame.unwind_target == &frame.landing) kiln::rt::trap(TrapCode::UncaughtException);
  std::longjmp(*frame.unwind_target, 1);
}

jmp_buf* wasm_rt_get_unwind_target(void) {
  return frame_or_die("wasm try outside a guarded call").unwind_target;
}

void wasm_rt_set_unwind_target(jmp_buf* target) {
  frame_or_die("wasm try outside a guarded call").unwind_target = target;
}

uint32_t wasm_rt_exception_tag(void) { return active_exception().tag; }

uint32_t wasm_rt_exception_size(void) { return active_exception().size; }

void* wasm_rt_exception(void) { return active_exception().values; }

}  // extern "C"
