// payment_reorder: moves a named payment method first for some countries
// and cart totals (extension point checkout.payment_customization). The
// pure logic; main.c wraps it into the guest.
#ifndef KILN_EXAMPLE_PAYMENT_REORDER_H
#define KILN_EXAMPLE_PAYMENT_REORDER_H

#include <stddef.h>

#include "kiln_json.h"

#ifdef __cplusplus
extern "C" {
#endif

// As product_discount_run (kiln_guest.h's kiln_guest_fn). log: "moved
// \"Cash on Delivery\" first", "\"Cash on Delivery\" unchanged: ...", or
// "error: ...".
int payment_reorder_run(const char* input, size_t input_len, kj_writer* out, char* log, size_t log_cap);

#ifdef __cplusplus
}
#endif

#endif  // KILN_EXAMPLE_PAYMENT_REORDER_H
