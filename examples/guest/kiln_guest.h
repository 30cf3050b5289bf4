// The "wasi-command" extension ABI, seen from a guest in C.
//
// The platform writes the input JSON object (the extension's configuration
// in its "config" member) to stdin; the guest writes one JSON object to
// stdout, a short log to stderr, and exits non-zero on error.
//
// Each example splits into a pure function of this shape, which knows
// nothing of WASI and so also builds natively (the host's benchmarks link
// the same C), and a three-line main.c that hands it to kiln_guest_main().
#ifndef KILN_GUEST_H
#define KILN_GUEST_H

#include <stddef.h>

#include <stdint.h>

#include "kiln_json.h"
#include "kiln_msgpack.h"

#ifdef __cplusplus
extern "C" {
#endif

// Reads input[0, input_len) and appends the output JSON to out (a writer
// set up by the caller). Returns 0 on success; otherwise non-zero, and the
// output is to be discarded. Either way log receives one NUL-terminated line
// (no newline), truncated to log_cap bytes.
typedef int (*kiln_guest_fn)(const char* input, size_t input_len, kj_writer* out, char* log, size_t log_cap);

// Formats "error: ..." into log and returns 1, for `return kiln_guest_fail(...)`.
int kiln_guest_fail(char* log, size_t log_cap, const char* format, ...)
#if defined(__GNUC__) || defined(__clang__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

// The whole of a guest's main(): reads all of stdin, calls run, writes its
// output to stdout and its log line to stderr; returns the exit code.
int kiln_guest_main(kiln_guest_fn run);

// The same for an extension point whose "format" is "msgpack": the input
// and output are MessagePack (kiln_msgpack.h), written to stdout as they
// are (no newline after them: it would be a byte after the value).
typedef int (*kiln_msgpack_fn)(const uint8_t* input, size_t input_len, kmp_writer* out, char* log, size_t log_cap);
int kiln_guest_msgpack_main(kiln_msgpack_fn run);

#ifdef __cplusplus
}
#endif

#endif  // KILN_GUEST_H
