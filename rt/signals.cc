#include "rt/signals.h"

#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <vector>

namespace kiln::rt {
namespace {

// ---- guard region registry ------------------------------------------------
// The handler runs on a faulting thread that may hold any lock, so it reads
// a fixed array of atomics: no lock, no allocation. A slot is free when its
// begin is 0; writers publish `begin` last (release), the handler reads it
// first (acquire), so it never sees a half-written slot.

struct GuardSlot {
  std::atomic<std::uintptr_t> begin{0};
  std::atomic<std::uintptr_t> end{0};
  std::atomic<TrapCode> code{TrapCode::None};
};
static_assert(std::atomic<std::uintptr_t>::is_always_lock_free);
static_assert(std::atomic<TrapCode>::is_always_lock_free);

GuardSlot g_slots[kMaxGuardRegions];
// Slots at or above this index have never been used: the handler stops there.
std::atomic<std::size_t> g_slots_used{0};

// Writers only (cold path): which slots below g_slots_used are free.
struct SlotAllocator {
  std::mutex mutex;
  std::vector<int> free;
};

SlotAllocator& slot_allocator() {
  static auto* allocator = new SlotAllocator;  // never destroyed: threads may outlive statics
  return *allocator;
}

int take_slot() {
  SlotAllocator& allocator = slot_allocator();
  std::lock_guard lock(allocator.mutex);
  if (!allocator.free.empty()) {
    int slot = allocator.free.back();
    allocator.free.pop_back();
    return slot;
  }
  std::size_t used = g_slots_used.load(std::memory_order_relaxed);
  if (used == kMaxGuardRegions) return -1;
  g_slots_used.store(used + 1, std::memory_order_release);
  return static_cast<int>(used);
}

TrapCode guard_region_code(std::uintptr_t address) noexcept {
  std::size_t used = g_slots_used.load(std::memory_order_acquire);
  for (std::size_t i = 0; i < used; ++i) {
    std::uintptr_t begin = g_slots[i].begin.load(std::memory_order_acquire);
    if (begin == 0 || address < begin) continue;
    if (address < g_slots[i].end.load(std::memory_order_relaxed)) {
      return g_slots[i].code.load(std::memory_order_relaxed);
    }
  }
  return TrapCode::None;
}

// ---- the handler ----------------------------------------------------------

struct sigaction g_previous_segv;
struct sigaction g_previous_bus;
std::atomic<bool> g_installed{false};

// Hands a fault that is not a guest's to whoever handled it before kiln.
void forward_fault(int signal_number, siginfo_t* info, void* context) {
  const struct sigaction& previous = signal_number == SIGBUS ? g_previous_bus : g_previous_segv;
  if (previous.sa_flags & SA_SIGINFO) {
    previous.sa_sigaction(signal_number, info, context);
    return;
  }
  if (previous.sa_handler != SIG_DFL && previous.sa_handler != SIG_IGN) {
    previous.sa_handler(signal_number);
    return;
  }
  // Restore the default (or ignore) disposition and return: a fault then
  // re-executes the faulting instruction and the process dies of it, with a
  // core dump and the right address (the kernel overrides SIG_IGN for
  // faults). A signal sent with kill() is not re-executed: send it again.
  sigaction(signal_number, &previous, nullptr);
  if (info->si_code <= 0) raise(signal_number);
}

void on_fault(int signal_number, siginfo_t* info, void* context) {
  if (current_frame() != nullptr) {
    TrapCode code = guard_region_code(reinterpret_cast<std::uintptr_t>(info->si_addr));
    if (code != TrapCode::None) trap(code);  // longjmps out of the handler
  }
  forward_fault(signal_number, info, context);
}

// ---- alternate signal stacks ----------------------------------------------

// One per guest-running thread, from its first guest call to its exit.
class AltStack {
 public:
  AltStack() = default;
  AltStack(const AltStack&) = delete;
  AltStack& operator=(const AltStack&) = delete;

  ~AltStack() {
    if (mapping_ == nullptr) return;
    stack_t current{};
    if (sigaltstack(nullptr, &current) == 0 && current.ss_sp == usable()) {
      stack_t disable{};
      disable.ss_flags = SS_DISABLE;
      sigaltstack(&disable, nullptr);
    }
    munmap(mapping_, kGuard + size());
  }

  void install() {
    stack_t current{};
    if (mapping_ != nullptr || sigaltstack(nullptr, &current) != 0) return;
    if (!(current.ss_flags & SS_DISABLE)) return;  // the thread has one: use it
    // A guard page below, so a handler overflowing it dies instead of
    // writing over whatever lies there.
    void* mapping = mmap(nullptr, kGuard + size(), PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mapping == MAP_FAILED) fatal("cannot map an alternate signal stack");
    mapping_ = static_cast<char*>(mapping);
    if (mprotect(usable(), size(), PROT_READ | PROT_WRITE) != 0) fatal("cannot map an alternate signal stack");
    stack_t stack{};
    stack.ss_sp = usable();
    stack.ss_size = size();
    if (sigaltstack(&stack, nullptr) != 0) fatal("sigaltstack failed");
  }

 private:
  static constexpr std::size_t kGuard = 4096;
  static std::size_t size() { return std::max<std::size_t>(64 << 10, SIGSTKSZ); }
  char* usable() const { return mapping_ + kGuard; }

  char* mapping_ = nullptr;
};

}  // namespace

int register_guard_region(const void* begin, std::size_t size, TrapCode code) {
  int slot = take_slot();
  if (slot < 0) return -1;
  auto first = reinterpret_cast<std::uintptr_t>(begin);
  g_slots[slot].end.store(first + size, std::memory_order_relaxed);
  g_slots[slot].code.store(code, std::memory_order_relaxed);
  g_slots[slot].begin.store(first, std::memory_order_release);
  return slot;
}

void unregister_guard_region(int handle) {
  g_slots[handle].begin.store(0, std::memory_order_release);
  SlotAllocator& allocator = slot_allocator();
  std::lock_guard lock(allocator.mutex);
  allocator.free.push_back(handle);
}

void install_fault_handler() {
  static std::once_flag once;
  std::call_once(once, [] {
    struct sigaction action {};
    action.sa_sigaction = on_fault;
    // SA_ONSTACK: a stack overflow leaves no stack but the alternate one.
    // SA_NODEFER: we leave the handler by longjmp, without sigreturn, so the
    // signal must not be blocked while it runs (plain setjmp does not save
    // and restore the mask, and sigsetjmp would cost a syscall per call).
    action.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
    sigemptyset(&action.sa_mask);
    if (sigaction(SIGSEGV, &action, &g_previous_segv) != 0 || sigaction(SIGBUS, &action, &g_previous_bus) != 0) {
      fatal("cannot install the SIGSEGV/SIGBUS handler");
    }
    g_installed.store(true, std::memory_order_release);
  });
}

bool fault_handler_installed() noexcept { return g_installed.load(std::memory_order_acquire); }

void prepare_thread_for_guests() {
  install_fault_handler();
  thread_local AltStack alt_stack;
  alt_stack.install();
}

}  // namespace kiln::rt
