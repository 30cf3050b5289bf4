// See kiln_guest.h. Plain read()/write() on fds 0-2: the guest does one read
// loop and two writes, and stdio's buffering would only add copies.
#include "kiln_guest.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

// Output beyond this is the guest's bug, not the platform's limit (which is
// smaller and enforced by the host); it only stops a runaway writer.
#define MAX_OUTPUT ((size_t)1 << 20)

int kiln_guest_fail(char* log, size_t log_cap, const char* format, ...) {
  if (log_cap == 0) return 1;
  int n = snprintf(log, log_cap, "error: ");
  va_list args;
  va_start(args, format);
  if (n >= 0 && (size_t)n < log_cap) vsnprintf(log + n, log_cap - (size_t)n, format, args);
  va_end(args);
  return 1;
}

static int write_all(int fd, const char* p, size_t n) {
  while (n) {
    ssize_t k = write(fd, p, n);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) return -1;
    p += k;
    n -= (size_t)k;
  }
  return 0;
}

static char* read_all(int fd, size_t* len) {
  size_t cap = 65536, n = 0;  // the platform's usual max_input: one read, no realloc
  char* buf = (char*)malloc(cap);
  while (buf) {
    if (n == cap) {
      char* bigger = (char*)realloc(buf, cap *= 2);
      if (!bigger) break;
      buf = bigger;
    }
    ssize_t k = read(fd, buf + n, cap - n);
    if (k < 0 && errno == EINTR) continue;
    if (k < 0) break;
    if (k == 0) {
      *len = n;
      return buf;
    }
    n += (size_t)k;
  }
  free(buf);
  return NULL;
}

// The log line to stderr, newline-terminated.
static void write_log(char* log, size_t log_size) {
  size_t log_len = strlen(log);
  if (!log_len) return;
  if (log_len == log_size - 1) --log_len;  // truncated: the newline replaces the last byte
  log[log_len++] = '\n';
  write_all(2, log, log_len);
}

int kiln_guest_msgpack_main(kiln_msgpack_fn run) {
  char log[256] = "";
  size_t len = 0;
  char* input = read_all(0, &len);
  int rc;
  kmp_writer out;
  kmpw_init(&out, MAX_OUTPUT);
  if (!input) {
    rc = kiln_guest_fail(log, sizeof log, "cannot read the input from stdin");
  } else {
    rc = run((const uint8_t*)input, len, &out, log, sizeof log);
    if (rc == 0 && out.failed) rc = kiln_guest_fail(log, sizeof log, "output too large (over %zu bytes)", out.max);
  }
  if (rc == 0 && write_all(1, (const char*)out.buf, out.len)) rc = 1;
  write_log(log, sizeof log);
  kmpw_free(&out);
  free(input);
  return rc;
}

int kiln_guest_main(kiln_guest_fn run) {
  char log[256] = "";
  size_t len = 0;
  char* input = read_all(0, &len);
  int rc;
  kj_writer out;
  kjw_init(&out, MAX_OUTPUT);
  if (!input) {
    rc = kiln_guest_fail(log, sizeof log, "cannot read the input from stdin");
  } else {
    rc = run(input, len, &out, log, sizeof log);
    if (rc == 0 && out.failed) rc = kiln_guest_fail(log, sizeof log, "output too large (over %zu bytes)", out.max);
  }
  if (rc == 0) {
    if (write_all(1, out.buf, out.len) || write_all(1, "\n", 1)) rc = 1;
  }
  write_log(log, sizeof log);
  kjw_free(&out);
  free(input);
  return rc;
}
