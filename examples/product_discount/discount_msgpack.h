// product_discount in MessagePack: the same discount as discount.h, for the
// extension points whose "format" is "msgpack" — it reads its input and
// writes its output as MessagePack (guest/kiln_msgpack.h), and its output
// converted to JSON equals the JSON version's, byte for byte.
#ifndef KILN_EXAMPLE_DISCOUNT_MSGPACK_H
#define KILN_EXAMPLE_DISCOUNT_MSGPACK_H

#include <stddef.h>
#include <stdint.h>

#include "kiln_msgpack.h"

#ifdef __cplusplus
extern "C" {
#endif

// input: the extension's input map, config included under "config".
// Appends the output map to out (set up with kmpw_init). Returns 0 on
// success; non-zero on bad input or config, with the reason in log. log
// always gets one NUL-terminated line, as product_discount_run's.
int product_discount_msgpack_run(const uint8_t* input, size_t input_len, kmp_writer* out, char* log, size_t log_cap);

#ifdef __cplusplus
}
#endif

#endif  // KILN_EXAMPLE_DISCOUNT_MSGPACK_H
