// The shipping_filter guest: the WASI command around shipping_filter_run.
#include "filter.h"
#include "kiln_guest.h"

int main(void) { return kiln_guest_main(shipping_filter_run); }
