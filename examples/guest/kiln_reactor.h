// The "kiln-reactor" extension ABI for the examples' pure functions: the
// same kiln_guest_fn as the wasi-command main.c hands to kiln_guest_main,
// run on the input kiln wrote into memory, its output returned in place
// and its log line sent through kiln.log (include/kiln/guest/kiln_guest.h).
//
// Each example's reactor.c is then three lines:
//
//   static int64_t run(const char* in, uint32_t len) { return kiln_guest_reactor_run(fn, in, len); }
//   KILN_ALLOCATOR_MALLOC()
//   KILN_ENTRY(run)
#ifndef KILN_EXAMPLE_REACTOR_H
#define KILN_EXAMPLE_REACTOR_H

#include <stdint.h>

#include <kiln/guest/kiln_guest.h>

#include "kiln_guest.h"

#ifdef __cplusplus
extern "C" {
#endif

// Calls run on input[0, len); returns kiln_output() of its output, or
// kiln_fail(1) when it fails. Its log line, if any, goes to kiln_log.
int64_t kiln_guest_reactor_run(kiln_guest_fn run, const char* input, uint32_t len);
// The same for a MessagePack function (an extension point with "format": "msgpack").
int64_t kiln_guest_reactor_run_msgpack(kiln_msgpack_fn run, const char* input, uint32_t len);

#ifdef __cplusplus
}
#endif

#endif  // KILN_EXAMPLE_REACTOR_H
