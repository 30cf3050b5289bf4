// product_discount: a percentage off every cart line whose product carries a
// tag (extension point checkout.product_discounts). The pure logic, without
// WASI: main.c wraps it into the guest, and the host's benchmarks link the
// same C natively (CMake target kiln_example_discount_native).
#ifndef KILN_EXAMPLE_DISCOUNT_H
#define KILN_EXAMPLE_DISCOUNT_H

#include <stddef.h>

#include "kiln_json.h"

#ifdef __cplusplus
extern "C" {
#endif

// input: the extension's input JSON, config included as its "config" member.
// Appends the output JSON object to out (set up with kjw_init). Returns 0 on
// success; non-zero on bad input or config, with the reason in log. log
// always gets one NUL-terminated line: "3 lines, 2 discounted" or "error: ...".
int product_discount_run(const char* input, size_t input_len, kj_writer* out, char* log, size_t log_cap);

#ifdef __cplusplus
}
#endif

#endif  // KILN_EXAMPLE_DISCOUNT_H
