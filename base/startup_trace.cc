#include "base/startup_trace.h"

#include <sys/resource.h>
#include <time.h>

#include <cstdio>
#include <cstdlib>

namespace kiln::base {

namespace {

double clock_ms(clockid_t clock) {
  timespec now{};
  clock_gettime(clock, &now);
  return static_cast<double>(now.tv_sec) * 1e3 + static_cast<double>(now.tv_nsec) / 1e6;
}

struct Trace {
  bool enabled = false;
  bool started = false;
  double last_ms = 0;
  long last_faults = 0;
};

Trace& trace() {
  static Trace state{[] {
    const char* value = std::getenv("KILN_STARTUP_TRACE");
    return value && *value && *value != '0';
  }()};
  return state;
}

}  // namespace

void trace_startup(const char* phase) {
  Trace& state = trace();
  if (!state.enabled) return;
  const double now = clock_ms(CLOCK_MONOTONIC);
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  if (!state.started) {
    // No clock was running before main: the process's CPU time so far
    // (exact, unlike getrusage's tick-sampled times) is the closest measure
    // of exec, ld.so and the static initialisers.
    state.started = true;
    std::fprintf(stderr, "kiln startup: %-34s %8.3f ms cpu %5ld faults\n", "before main (exec, ld.so, init)",
                 clock_ms(CLOCK_PROCESS_CPUTIME_ID), usage.ru_minflt);
  } else {
    std::fprintf(stderr, "kiln startup: %-34s %8.3f ms     %5ld faults\n", phase, now - state.last_ms,
                 usage.ru_minflt - state.last_faults);
  }
  state.last_ms = now;
  state.last_faults = usage.ru_minflt;
}

}  // namespace kiln::base
