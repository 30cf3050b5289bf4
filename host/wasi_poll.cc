// poll_oneoff and sched_yield: how a guest waits. Clock subscriptions sleep
// (that is how wasi-libc's nanosleep and sleep work); fd subscriptions are
// ready at once for output and for input in memory, and wait for the real
// stdin in Inherit mode. No wait outlasts the call's deadline: a wait that
// would is cut there and the call traps, as a busy guest would.
//
// Subscriptions are read twice from guest memory (once to plan the wait,
// once to write the events) rather than copied, so a guest cannot make the
// host allocate by asking for many of them. Decoding is a pure function of
// the subscription and a snapshot of the clocks, so both reads agree.
#include <algorithm>
#include <thread>

#include "host/wasi_call.h"
#include "host/wasi_clock.h"

namespace kiln::host::wasi {

namespace {

using std::chrono::steady_clock;

// Long enough to be "forever", short enough that adding it to a time point cannot overflow.
constexpr uint64_t kLongestWaitNs = uint64_t{1} << 62;

struct ClockSnapshot {
  TimePoint steady = steady_clock::now();
  uint64_t realtime = *clock_now(kClockRealtime);
  uint64_t monotonic = *clock_now(kClockMonotonic);
};

struct Subscription {
  uint64_t userdata = 0;
  uint8_t type = 0;
  Errno error = Errno::Success;  // reported at once, as the event's error
  std::optional<TimePoint> wake;  // a clock: when it fires
  bool reads_stdin = false;       // fd_read on standard input: ready when it is
  bool writes = false;            // fd_write on an output stream: always ready
};

void decode_clock(std::span<const uint8_t> raw, const ClockSnapshot& clocks, Subscription& sub) {
  uint32_t id = get<uint32_t>(raw, 16);
  uint64_t timeout = get<uint64_t>(raw, 24);
  bool absolute = get<uint16_t>(raw, 40) & kSubclockAbstime;
  if (id != kClockRealtime && id != kClockMonotonic) {
    // CPU-time clocks exist but advance only while the guest runs, never while it sleeps.
    sub.error = clock_now(id) ? Errno::NotSup : Errno::Inval;
    return;
  }
  uint64_t now = id == kClockRealtime ? clocks.realtime : clocks.monotonic;
  uint64_t wait = absolute ? timeout - std::min(timeout, now) : timeout;
  sub.wake = clocks.steady + std::chrono::nanoseconds(std::min(wait, kLongestWaitNs));
}

void decode_fd(std::span<const uint8_t> raw, WasiContext::State& state, Subscription& sub) {
  FdEntry* entry = state.fd(get<uint32_t>(raw, 16));
  uint64_t right = sub.type == kEventFdRead ? kRightFdRead : kRightFdWrite;
  if (!entry) {
    sub.error = Errno::Badf;
  } else if (!(entry->rights_base & right)) {
    sub.error = Errno::NotCapable;
  } else {
    sub.reads_stdin = sub.type == kEventFdRead;
    sub.writes = sub.type == kEventFdWrite;
  }
}

Subscription decode(std::span<const uint8_t> raw, WasiContext::State& state, const ClockSnapshot& clocks) {
  Subscription sub{.userdata = get<uint64_t>(raw, 0), .type = get<uint8_t>(raw, 8)};
  if (sub.type == kEventClock) decode_clock(raw, clocks, sub);
  else if (sub.type == kEventFdRead || sub.type == kEventFdWrite) decode_fd(raw, state, sub);
  else sub.error = Errno::Inval;
  return sub;
}

// What the first read of the subscriptions found.
struct Plan {
  bool ready_now = false;           // an error or a writable fd: no waiting
  bool reads_stdin = false;
  std::optional<TimePoint> earliest;  // the first clock to fire
};

WaitLimit earlier(WaitLimit a, WaitLimit b) {
  if (!a) return b;
  if (!b) return a;
  return std::min(*a, *b);
}

Plan plan(std::span<const uint8_t> subs, uint32_t count, WasiContext::State& state, const ClockSnapshot& clocks) {
  Plan plan;
  for (uint32_t i = 0; i < count; ++i) {
    Subscription sub = decode(subs.subspan(size_t{i} * kSubscriptionSize), state, clocks);
    plan.ready_now |= sub.error != Errno::Success || sub.writes;
    plan.reads_stdin |= sub.reads_stdin;
    plan.earliest = earlier(plan.earliest, sub.wake);
  }
  return plan;
}

void put_event(std::span<uint8_t> out, const Subscription& sub, const Readiness& input) {
  std::fill(out.begin(), out.end(), uint8_t{0});
  put(out, 0, sub.userdata);
  put(out, 8, static_cast<uint16_t>(sub.error));
  put(out, 10, sub.type);
  if (sub.reads_stdin) {
    put(out, 16, input.nbytes);
    put(out, 24, input.hangup ? kEventRwHangup : uint16_t{0});
  }
}

bool fired(const Subscription& sub, const Readiness& input, TimePoint now) {
  if (sub.error != Errno::Success || sub.writes) return true;
  if (sub.reads_stdin) return input.ready;
  return sub.wake && *sub.wake <= now;
}

uint32_t write_events(std::span<const uint8_t> subs, std::span<uint8_t> events, uint32_t count,
                      WasiContext::State& state, const ClockSnapshot& clocks, const Readiness& input) {
  TimePoint now = steady_clock::now();
  uint32_t written = 0;
  for (uint32_t i = 0; i < count; ++i) {
    Subscription sub = decode(subs.subspan(size_t{i} * kSubscriptionSize), state, clocks);
    if (!fired(sub, input, now)) continue;
    put_event(events.subspan(size_t{written++} * kEventSize, kEventSize), sub, input);
  }
  return written;
}

// Waits as `plan` says and returns stdin's readiness, or nullopt if the
// call's deadline came before any subscription fired.
std::optional<Readiness> wait_for(const Plan& plan, WasiCall& call) {
  Stdio& stdio = *call.state().stdio;
  if (plan.ready_now) return plan.reads_stdin ? stdio.wait_readable(steady_clock::now()) : Readiness{};
  WaitLimit deadline = call.deadline();
  WaitLimit limit = earlier(plan.earliest, deadline);
  Readiness input;
  if (plan.reads_stdin) input = stdio.wait_readable(limit);
  else std::this_thread::sleep_until(*limit);  // all clocks, so `earliest` is set
  bool cut_short = deadline && (!plan.earliest || *deadline < *plan.earliest);
  if (cut_short && !input.ready) return std::nullopt;
  return input;
}

Answer poll_oneoff(WasiCall& call, uint32_t in, uint32_t out, uint32_t count, uint32_t nevents_ptr) {
  if (count == 0) return Errno::Inval;  // nothing could ever wake the guest
  GuestMemory& memory = call.memory();
  auto subs = memory.bytes(in, uint64_t{count} * kSubscriptionSize);
  auto events = memory.bytes(out, uint64_t{count} * kEventSize);
  if (!subs || !events || !memory.bytes(nevents_ptr, 4)) return Errno::Fault;

  ClockSnapshot clocks;
  std::optional<Readiness> input = wait_for(plan(*subs, count, call.state(), clocks), call);
  if (!input) return deadline_trap("poll_oneoff");
  memory.store(nevents_ptr, write_events(*subs, *events, count, call.state(), clocks, *input));
  return Errno::Success;
}

Errno sched_yield(WasiCall&) {
  std::this_thread::yield();
  return Errno::Success;
}

}  // namespace

void add_poll_functions(Linker& linker) {
  define(linker, "poll_oneoff", poll_oneoff);
  define(linker, "sched_yield", sched_yield);
}

}  // namespace kiln::host::wasi
