// The product_discount guest in MessagePack: the WASI command around product_discount_msgpack_run.
#include "discount_msgpack.h"
#include "kiln_guest.h"

int main(void) { return kiln_guest_msgpack_main(product_discount_msgpack_run); }
