// The product_discount guest in MessagePack for the kiln-reactor ABI: product_discount_msgpack_run, entered through run().
#include "discount_msgpack.h"
#include "kiln_reactor.h"

static int64_t run(const char* input, uint32_t len) {
  return kiln_guest_reactor_run_msgpack(product_discount_msgpack_run, input, len);
}
KILN_ALLOCATOR_MALLOC()
KILN_ENTRY(run)
