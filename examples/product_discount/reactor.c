// The product_discount guest for the kiln-reactor ABI: product_discount_run, entered through run().
#include "discount.h"
#include "kiln_reactor.h"

static int64_t run(const char* input, uint32_t len) { return kiln_guest_reactor_run(product_discount_run, input, len); }
KILN_ALLOCATOR_MALLOC()
KILN_ENTRY(run)
