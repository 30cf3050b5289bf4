// The payment_reorder guest: the WASI command around payment_reorder_run.
#include "kiln_guest.h"
#include "reorder.h"

int main(void) { return kiln_guest_main(payment_reorder_run); }
