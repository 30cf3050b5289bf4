// Shopify's `shopify_function_v1` Wasm API for C guests: the function never
// parses its input. The provider module (shopify_function_v1.wasm) holds
// the MessagePack input and answers questions about it through handles; the
// function builds its output by telling the provider what to write, value
// by value. docs/abi.md ("shopify_function_v1") describes the interface; in
// kiln the provider is linked by host/function_providers.h and the
// functions that move bytes between the two memories by
// host/shopify_function_trampoline.h.
//
// A handle (sfv1_val) is a 64-bit NaN box: a number is the f64 itself;
// anything else is a quiet NaN carrying a 4-bit type tag, a 14-bit length
// (string bytes, array elements, object entries; 16383 means "ask
// shopify_function_input_get_val_len") and a 32-bit reference the provider
// understands (never an address the guest may read).
#ifndef KILN_SHOPIFY_FUNCTION_V1_H
#define KILN_SHOPIFY_FUNCTION_V1_H

#include <stdint.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef int32_t sfv1_context;  // one run's state, from shopify_function_context_new
typedef uint64_t sfv1_val;     // a NaN-boxed input value
typedef int32_t sfv1_interned; // an interned string's id

#define SFV1_IMPORT(name) __attribute__((import_module("shopify_function_v1"), import_name(#name)))

// ---- context ---------------------------------------------------------------
// Reads the whole input (the provider takes it from stdin, as MessagePack).
SFV1_IMPORT(shopify_function_context_new) sfv1_context shopify_function_context_new(void);
// Registers a string once, for key lookups and output without copying it again.
SFV1_IMPORT(shopify_function_intern_utf8_str)
sfv1_interned shopify_function_intern_utf8_str(sfv1_context, const char* ptr, uint32_t len);

// ---- input -----------------------------------------------------------------
SFV1_IMPORT(shopify_function_input_get) sfv1_val shopify_function_input_get(sfv1_context);
SFV1_IMPORT(shopify_function_input_get_val_len) uint32_t shopify_function_input_get_val_len(sfv1_context, sfv1_val);
// Copies `len` bytes of the string `src` (the reference of its handle) to `out`.
SFV1_IMPORT(shopify_function_input_read_utf8_str)
void shopify_function_input_read_utf8_str(sfv1_context, uint32_t src, char* out, uint32_t len);
// A property of an object: null when absent, an error handle when `obj` is no object.
SFV1_IMPORT(shopify_function_input_get_obj_prop)
sfv1_val shopify_function_input_get_obj_prop(sfv1_context, sfv1_val obj, const char* key, uint32_t len);
SFV1_IMPORT(shopify_function_input_get_interned_obj_prop)
sfv1_val shopify_function_input_get_interned_obj_prop(sfv1_context, sfv1_val obj, sfv1_interned key);
SFV1_IMPORT(shopify_function_input_get_at_index)
sfv1_val shopify_function_input_get_at_index(sfv1_context, sfv1_val array, uint32_t index);
SFV1_IMPORT(shopify_function_input_get_obj_key_at_index)
sfv1_val shopify_function_input_get_obj_key_at_index(sfv1_context, sfv1_val obj, uint32_t index);

// ---- output ----------------------------------------------------------------
// Each returns 0 when the value was accepted. Objects and arrays declare
// their length up front (it is MessagePack's): an object of n entries takes
// n keys and n values, then its finish call.
SFV1_IMPORT(shopify_function_output_new_bool) int32_t shopify_function_output_new_bool(sfv1_context, uint32_t);
SFV1_IMPORT(shopify_function_output_new_null) int32_t shopify_function_output_new_null(sfv1_context);
SFV1_IMPORT(shopify_function_output_new_i32) int32_t shopify_function_output_new_i32(sfv1_context, int32_t);
SFV1_IMPORT(shopify_function_output_new_f64) int32_t shopify_function_output_new_f64(sfv1_context, double);
SFV1_IMPORT(shopify_function_output_new_utf8_str)
int32_t shopify_function_output_new_utf8_str(sfv1_context, const char* ptr, uint32_t len);
SFV1_IMPORT(shopify_function_output_new_interned_utf8_str)
int32_t shopify_function_output_new_interned_utf8_str(sfv1_context, sfv1_interned);
SFV1_IMPORT(shopify_function_output_new_object) int32_t shopify_function_output_new_object(sfv1_context, uint32_t len);
SFV1_IMPORT(shopify_function_output_finish_object) int32_t shopify_function_output_finish_object(sfv1_context);
SFV1_IMPORT(shopify_function_output_new_array) int32_t shopify_function_output_new_array(sfv1_context, uint32_t len);
SFV1_IMPORT(shopify_function_output_finish_array) int32_t shopify_function_output_finish_array(sfv1_context);
// Hands the finished output to the host (the provider writes it to stdout).
SFV1_IMPORT(shopify_function_output_finalize) int32_t shopify_function_output_finalize(sfv1_context);

#undef SFV1_IMPORT

// ---- reading a handle ------------------------------------------------------
enum sfv1_tag { SFV1_NULL = 0, SFV1_BOOL = 1, SFV1_NUMBER = 2, SFV1_STRING = 3, SFV1_OBJECT = 4, SFV1_ARRAY = 5,
                SFV1_ERROR = 15 };

// Exponent and the two top mantissa bits set: a boxed value (the sign bit is not looked at).
#define SFV1_BOX_MASK 0x7FFC000000000000ull
#define SFV1_LENGTH_UNKNOWN 16383u

static inline enum sfv1_tag sfv1_tag_of(sfv1_val v) {
  if ((v & SFV1_BOX_MASK) != SFV1_BOX_MASK) return SFV1_NUMBER;
  return (enum sfv1_tag)((v >> 46) & 0xF);
}
static inline double sfv1_number(sfv1_val v) {
  double d;
  memcpy(&d, &v, sizeof d);
  return d;
}
static inline int sfv1_bool(sfv1_val v) { return (uint32_t)v != 0; }
// The provider's reference to a string, array or object.
static inline uint32_t sfv1_ref(sfv1_val v) { return (uint32_t)v; }
// String bytes, array elements or object entries.
static inline uint32_t sfv1_len(sfv1_context c, sfv1_val v) {
  uint32_t len = (uint32_t)(v >> 32) & 0x3FFF;
  return len < SFV1_LENGTH_UNKNOWN ? len : shopify_function_input_get_val_len(c, v);
}

#ifdef __cplusplus
}
#endif

#endif  // KILN_SHOPIFY_FUNCTION_V1_H
