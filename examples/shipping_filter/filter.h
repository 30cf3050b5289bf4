// shipping_filter: hides delivery options by destination country and cart
// weight (extension point checkout.delivery_customization). The pure logic;
// main.c wraps it into the guest.
#ifndef KILN_EXAMPLE_SHIPPING_FILTER_H
#define KILN_EXAMPLE_SHIPPING_FILTER_H

#include <stddef.h>

#include "kiln_json.h"

#ifdef __cplusplus
extern "C" {
#endif

// As product_discount_run (kiln_guest.h's kiln_guest_fn). log: "5 options,
// 2 hidden, cart 21400 g" or "error: ...".
int shipping_filter_run(const char* input, size_t input_len, kj_writer* out, char* log, size_t log_cap);

#ifdef __cplusplus
}
#endif

#endif  // KILN_EXAMPLE_SHIPPING_FILTER_H
