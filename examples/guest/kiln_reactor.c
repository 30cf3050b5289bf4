// See kiln_reactor.h. The output buffer is the writer's heap buffer, left
// allocated: kiln reads it after the entry returns, and the instance reset
// that follows reclaims it.
#include "kiln_reactor.h"

#include <string.h>

// As kiln_guest.c's: it only stops a runaway writer; the host's limit is smaller.
#define MAX_OUTPUT ((size_t)1 << 20)

int64_t kiln_guest_reactor_run(kiln_guest_fn run, const char* input, uint32_t len) {
  char log[256] = "";
  kj_writer out;
  kjw_init(&out, MAX_OUTPUT);
  int rc = run(input, len, &out, log, sizeof log);
  if (rc == 0 && out.failed) rc = kiln_guest_fail(log, sizeof log, "output too large (over %zu bytes)", out.max);
  if (log[0]) kiln_log_str(log);
  if (rc != 0) return kiln_fail(rc);
  return kiln_output(out.buf, (uint32_t)out.len);
}

int64_t kiln_guest_reactor_run_msgpack(kiln_msgpack_fn run, const char* input, uint32_t len) {
  char log[256] = "";
  kmp_writer out;
  kmpw_init(&out, MAX_OUTPUT);
  int rc = run((const uint8_t*)input, len, &out, log, sizeof log);
  if (rc == 0 && out.failed) rc = kiln_guest_fail(log, sizeof log, "output too large (over %zu bytes)", out.max);
  if (log[0]) kiln_log_str(log);
  if (rc != 0) return kiln_fail(rc);
  return kiln_output(out.buf, (uint32_t)out.len);
}
