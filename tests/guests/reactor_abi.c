// A kiln-reactor guest for tests/reactor_abi_test.cc, written with
// <kiln/guest/kiln_guest.h>. Each export is an entry some test extension
// point names; all of them report what they saw as JSON.
#include <stdio.h>
#include <string.h>

#include <kiln/guest/kiln_guest.h>

static int init_runs;      // _initialize's work: must be there on every call
static char* init_heap;    // heap state made by _initialize
static int calls;          // per-call state: must be 1 on every call
static char out[70000];

__attribute__((constructor)) static void init(void) {
  init_runs += 1;
  init_heap = malloc(32);
  strcpy(init_heap, "made by _initialize");
}

KILN_ALLOCATOR_MALLOC()

// {"input": <the input as received>, "calls": N, "init_runs": N, "init_heap": "..."}
static int64_t report(const char* input, uint32_t len) {
  calls += 1;
  int n = snprintf(out, sizeof out, "{\"input\":%.*s,\"calls\":%d,\"init_runs\":%d,\"init_heap\":\"%s\"}", (int)len,
                   input, calls, init_runs, init_heap);
  kiln_log_str("reported");
  if (n < 0 || (size_t)n >= sizeof out) return kiln_fail(2);
  return kiln_output(out, (uint32_t)n);
}
KILN_ENTRY(report)

static int64_t fail(const char* input, uint32_t len) {
  (void)input, (void)len;
  kiln_log_str("failing on purpose");
  return kiln_fail(7);
}
KILN_ENTRY_NAMED("fail", fail)

static int64_t trap(const char* input, uint32_t len) {
  (void)input, (void)len;
  __builtin_trap();
}
KILN_ENTRY_NAMED("trap", trap)

static int64_t spin(const char* input, uint32_t len) {
  volatile uint32_t i = len;
  for (;;) i = i * 3 + (uint32_t)input[0];
}
KILN_ENTRY_NAMED("spin", spin)

// kiln.log with a range past the end of memory: the host traps, never reads it.
static int64_t log_outside(const char* input, uint32_t len) {
  (void)input, (void)len;
  kiln_log((const char*)0xfffffff0u, 100);
  return kiln_output(out, 0);
}
KILN_ENTRY_NAMED("log_outside", log_outside)

// A log longer than any limit the tests set.
static int64_t chatty(const char* input, uint32_t len) {
  (void)input, (void)len;
  for (int i = 0; i < 100; ++i) kiln_log_str("0123456789012345678901234567890123456789");
  static const char ok[] = "{}";
  return kiln_output(ok, 2);
}
KILN_ENTRY_NAMED("chatty", chatty)

// WASI's stderr too: a guest that imports WASI gets a context per call, and
// what it writes to stderr follows its kiln.log lines.
static int64_t stderr_too(const char* input, uint32_t len) {
  (void)input, (void)len;
  kiln_log_str("through kiln.log");
  fputs("through stderr\n", stderr);
  fflush(stderr);
  static const char ok[] = "{}";
  return kiln_output(ok, 2);
}
KILN_ENTRY_NAMED("stderr_too", stderr_too)
