// The shipping_filter guest for the kiln-reactor ABI: shipping_filter_run, entered through run().
#include "filter.h"
#include "kiln_reactor.h"

static int64_t run(const char* input, uint32_t len) { return kiln_guest_reactor_run(shipping_filter_run, input, len); }
KILN_ALLOCATOR_MALLOC()
KILN_ENTRY(run)
