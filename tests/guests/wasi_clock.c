// Checks the clocks from inside the guest: monotonic time increases, a 20 ms
// nanosleep (a relative poll_oneoff) and a 20 ms absolute clock_nanosleep
// each take at least 20 ms, realtime is after 2020, and the CPU-time clock
// ticks. Prints one line per check; exits 1 if any failed.
#include <stdint.h>
#include <stdio.h>
#include <time.h>

static int64_t now_ns(clockid_t clock) {
  struct timespec ts;
  if (clock_gettime(clock, &ts) != 0) return -1;
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int check(const char* what, int ok) {
  printf("%s: %s\n", what, ok ? "ok" : "FAILED");
  return ok;
}

static int relative_sleep(void) {
  int64_t before = now_ns(CLOCK_MONOTONIC);
  struct timespec sleep = {0, 20 * 1000 * 1000};
  int rc = nanosleep(&sleep, NULL);
  return rc == 0 && now_ns(CLOCK_MONOTONIC) - before >= 20 * 1000 * 1000;
}

static int absolute_sleep(void) {
  int64_t before = now_ns(CLOCK_MONOTONIC);
  int64_t until = before + 20 * 1000 * 1000;
  struct timespec at = {(time_t)(until / 1000000000), (long)(until % 1000000000)};
  int rc = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &at, NULL);
  return rc == 0 && now_ns(CLOCK_MONOTONIC) >= until;
}

static int cpu_time_ticks(void) {
  int64_t start = now_ns(CLOCK_PROCESS_CPUTIME_ID);
  volatile uint32_t x = 1;
  for (int i = 0; i < 1000000; ++i) x = x * 1664525u + 1013904223u;
  return start >= 0 && now_ns(CLOCK_PROCESS_CPUTIME_ID) > start;
}

int main(void) {
  struct timespec res;
  int ok = 1;
  int64_t a = now_ns(CLOCK_MONOTONIC), b = now_ns(CLOCK_MONOTONIC);
  ok &= check("monotonic", a > 0 && b >= a);
  ok &= check("resolution", clock_getres(CLOCK_MONOTONIC, &res) == 0 && res.tv_sec == 0 && res.tv_nsec > 0);
  ok &= check("realtime", now_ns(CLOCK_REALTIME) > (int64_t)1577836800 * 1000000000);
  ok &= check("nanosleep", relative_sleep());
  ok &= check("absolute sleep", absolute_sleep());
  ok &= check("cputime", cpu_time_ticks());
  return ok ? 0 : 1;
}
