// clock_res_get and clock_time_get on the host's clocks.
#include "host/wasi_clock.h"

#include <ctime>

#include "host/wasi_call.h"
#include "kiln/wasi_tape.h"

namespace kiln::host::wasi {

namespace {

std::optional<clockid_t> host_clock(uint32_t id) {
  switch (id) {
    case kClockRealtime: return CLOCK_REALTIME;
    case kClockMonotonic: return CLOCK_MONOTONIC;
    // The guest runs on the calling thread. The process's CPU time would
    // include every other guest's work, which is not this guest's to see.
    case kClockProcessCputime:
    case kClockThreadCputime: return CLOCK_THREAD_CPUTIME_ID;
    default: return std::nullopt;
  }
}

uint64_t nanoseconds(const timespec& ts) {
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000 + static_cast<uint64_t>(ts.tv_nsec);
}

Errno clock_res_get(WasiCall& call, uint32_t id, uint32_t resolution_ptr) {
  auto clock = host_clock(id);
  if (!clock) return Errno::Inval;
  timespec ts{};
  clock_getres(*clock, &ts);  // cannot fail for a clock host_clock() names
  return call.memory().store(resolution_ptr, nanoseconds(ts)) ? Errno::Success : Errno::Fault;
}

// `precision` is a hint the host may ignore; kiln always reads the clock
// exactly. With a tape, the reading is recorded, or replayed from it.
Answer clock_time_get(WasiCall& call, uint32_t id, uint64_t /*precision*/, uint32_t time_ptr) {
  auto now = clock_now(id);
  if (!now) return Errno::Inval;
  uint64_t value = *now;
  if (WasiTape* tape = call.state().config.tape.get()) {
    auto taped = tape->clock(id, value);
    if (!taped) return HostResult::trapped(TrapKind::HostError, "clock_time_get: " + taped.error().message);
    value = *taped;
  }
  return call.memory().store(time_ptr, value) ? Errno::Success : Errno::Fault;
}

}  // namespace

std::optional<uint64_t> clock_now(uint32_t id) {
  auto clock = host_clock(id);
  if (!clock) return std::nullopt;
  timespec ts{};
  clock_gettime(*clock, &ts);  // cannot fail for a clock host_clock() names
  return nanoseconds(ts);
}

void add_clock_functions(Linker& linker) {
  define(linker, "clock_res_get", clock_res_get);
  define(linker, "clock_time_get", clock_time_get);
}

}  // namespace kiln::host::wasi
