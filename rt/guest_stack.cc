#include "rt/guest_stack.h"

#include <sys/mman.h>

#include <array>
#include <boost/context/detail/fcontext.hpp>
#include <csetjmp>
#include <mutex>
#include <vector>

#include "rt/signals.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define KILN_RT_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define KILN_RT_ASAN 1
#endif
#ifdef KILN_RT_ASAN
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif

namespace kiln::rt {
namespace {

namespace fctx = boost::context::detail;

// Unused stacks kept by the process-wide pool; more are unmapped.
constexpr std::size_t kStackPoolCapacity = 64;

struct GuestStack {
  std::uint8_t* mapping = nullptr;  // the guard region, then the usable stack
  int guard_handle = -1;

  std::uint8_t* bottom() const { return mapping + kGuestStackGuard; }
  std::uint8_t* top() const { return bottom() + kGuestStackSize; }
};

constexpr std::size_t kStackMapping = kGuestStackGuard + kGuestStackSize;

void unmap_stack(GuestStack& stack) {
  if (stack.guard_handle >= 0) unregister_guard_region(stack.guard_handle);
  munmap(stack.mapping, kStackMapping);
  stack = {};
}

GuestStack map_stack() {
  void* mapping = mmap(nullptr, kStackMapping, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK,
                       -1, 0);
  if (mapping == MAP_FAILED) return {};
  GuestStack stack{static_cast<std::uint8_t*>(mapping), -1};
  if (mprotect(stack.bottom(), kGuestStackSize, PROT_READ | PROT_WRITE) == 0) {
    stack.guard_handle = register_guard_region(mapping, kGuestStackGuard, TrapCode::Exhaustion);
  }
  if (stack.guard_handle < 0) unmap_stack(stack);
  return stack;
}

class StackPool {
 public:
  GuestStack take() {
    {
      std::lock_guard lock(mutex_);
      if (!free_.empty()) {
        GuestStack stack = free_.back();
        free_.pop_back();
        return stack;
      }
    }
    return map_stack();
  }

  void give(GuestStack stack) {
    {
      std::lock_guard lock(mutex_);
      if (free_.size() < kStackPoolCapacity) {
        free_.push_back(stack);
        return;
      }
    }
    unmap_stack(stack);
  }

  std::size_t size() {
    std::lock_guard lock(mutex_);
    return free_.size();
  }

 private:
  std::mutex mutex_;
  std::vector<GuestStack> free_;
};

StackPool& pool() {
  static auto* pool = new StackPool;  // never destroyed: threads may outlive statics
  return *pool;
}

// The stacks one thread has used, by nesting depth, kept for its next calls.
struct ThreadStacks;
// Trivial and initial-exec, like t_frame in trap.cc: one load per call.
[[gnu::tls_model("initial-exec")]] thread_local ThreadStacks* t_stacks = nullptr;

struct ThreadStacks {
  std::array<GuestStack, kMaxNestedCalls> by_depth{};

  ~ThreadStacks() {
    t_stacks = nullptr;
    for (GuestStack& stack : by_depth) {
      if (stack.mapping != nullptr) pool().give(stack);
    }
  }
};

ThreadStacks& thread_stacks() {
  if (t_stacks != nullptr) [[likely]] return *t_stacks;
  prepare_thread_for_guests();
  thread_local ThreadStacks owner;  // its destructor returns the stacks at thread exit
  t_stacks = &owner;
  return owner;
}

// ---- AddressSanitizer fiber annotations -------------------------------------
// ASan tracks one stack per thread; switching stacks behind its back makes it
// report false stack overflows. These tell it about each switch. A trap
// abandons guest frames with their redzones still poisoned, so after one the
// whole guest stack is unpoisoned before it is used again.

struct AsanSwitch {
  void* fake_stack = nullptr;
  const void* caller_bottom = nullptr;
  std::size_t caller_size = 0;
};

#ifdef KILN_RT_ASAN
void asan_before_enter(AsanSwitch& s, const GuestStack& stack) {
  __sanitizer_start_switch_fiber(&s.fake_stack, stack.bottom(), kGuestStackSize);
}
void asan_after_enter(AsanSwitch& s) { __sanitizer_finish_switch_fiber(nullptr, &s.caller_bottom, &s.caller_size); }
void asan_before_leave(AsanSwitch& s) { __sanitizer_start_switch_fiber(nullptr, s.caller_bottom, s.caller_size); }
void asan_after_leave(AsanSwitch& s, const GuestStack& stack, TrapCode result) {
  __sanitizer_finish_switch_fiber(s.fake_stack, nullptr, nullptr);
  if (result != TrapCode::None) __asan_unpoison_memory_region(stack.bottom(), kGuestStackSize);
}
#else
void asan_before_enter(AsanSwitch&, const GuestStack&) {}
void asan_after_enter(AsanSwitch&) {}
void asan_before_leave(AsanSwitch&) {}
void asan_after_leave(AsanSwitch&, const GuestStack&, TrapCode) {}
#endif

// ---- the call guard ---------------------------------------------------------

// What call_guarded hands to the guest stack, on the caller's stack.
struct Launch {
  GuestFn fn;
  void* arg;
  CallFrame* outer;
  uint32_t depth;
  fctx::fcontext_t caller = nullptr;
  TrapCode result = TrapCode::None;
  AsanSwitch asan{};
};

// Runs on the guest stack: the landing is set here, below every guest frame,
// so trap() longjmps within this stack only.
void run_guest(Launch& launch) noexcept {
  CallFrame frame;
  frame.unwind_target = &frame.landing;
  frame.outer = launch.outer;
  frame.depth = launch.depth;
  set_current_frame(&frame);
  if (setjmp(frame.landing) == 0) launch.fn(launch.arg);
  launch.result = frame.code;
  set_current_frame(launch.outer);
}

[[noreturn]] void guest_entry(fctx::transfer_t from) {
  auto* launch = static_cast<Launch*>(from.data);
  launch->caller = from.fctx;
  asan_after_enter(launch->asan);
  run_guest(*launch);
  asan_before_leave(launch->asan);
  fctx::jump_fcontext(launch->caller, nullptr);
  fatal("a finished guest stack was resumed");  // each call makes a fresh context
}

}  // namespace

// Hot path: two TLS loads, a few stores, two context jumps and a setjmp.
TrapCode call_guarded(GuestFn fn, void* arg) noexcept {
  ThreadStacks& stacks = thread_stacks();
  CallFrame* outer = current_frame();
  uint32_t depth = outer == nullptr ? 0 : outer->depth + 1;
  if (depth >= kMaxNestedCalls) return TrapCode::Exhaustion;
  GuestStack& stack = stacks.by_depth[depth];
  if (stack.mapping == nullptr) [[unlikely]] {
    stack = pool().take();
    if (stack.mapping == nullptr) return TrapCode::Allocation;
  }
  Launch launch{.fn = fn, .arg = arg, .outer = outer, .depth = depth};
  // A fresh context per call: writing it costs a few stores, and a trapped
  // call leaves nothing behind on the stack that the next call could trip on.
  fctx::fcontext_t guest = fctx::make_fcontext(stack.top(), kGuestStackSize, &guest_entry);
  asan_before_enter(launch.asan, stack);
  fctx::jump_fcontext(guest, &launch);
  asan_after_leave(launch.asan, stack, launch.result);
  return launch.result;
}

std::size_t pooled_guest_stacks() { return pool().size(); }

}  // namespace kiln::rt
