// The product_discount guest: the WASI command around product_discount_run.
#include "discount.h"
#include "kiln_guest.h"

int main(void) { return kiln_guest_main(product_discount_run); }
