// The payment_reorder guest for the kiln-reactor ABI: payment_reorder_run, entered through run().
#include "reorder.h"
#include "kiln_reactor.h"

static int64_t run(const char* input, uint32_t len) { return kiln_guest_reactor_run(payment_reorder_run, input, len); }
KILN_ALLOCATOR_MALLOC()
KILN_ENTRY(run)
