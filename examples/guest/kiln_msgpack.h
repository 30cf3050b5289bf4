// kiln_msgpack: a small MessagePack reader and writer for extension guests
// in C, for extension points whose "format" is "msgpack" (docs/abi.md).
//
// Reader: kmp_check() walks the whole input once (one value, nothing
// truncated, nothing after it, nesting at most KMP_MAX_DEPTH) so that the
// lookups after it can trust every length. Values are read in place: a
// kmp_value is a pointer to a value's first byte, never a copy, and
// kmp_get() finds a map's member by walking its keys and skipping values.
// So nothing is allocated and nothing is built before the guest asks.
//
// Writer: appends MessagePack to a growing buffer that stops at a cap.
// Maps and arrays are written with their count first, as MessagePack
// wants; when the count is known only at the end, kmpw_begin_array_later()
// leaves room for a 32-bit count and kmpw_end_later() fills it in.
//
// Only the C standard library: the same code builds natively too.
#ifndef KILN_MSGPACK_H
#define KILN_MSGPACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define KMP_MAX_DEPTH 64

typedef enum { KMP_ABSENT, KMP_NIL, KMP_BOOL, KMP_INT, KMP_FLOAT, KMP_STR, KMP_BIN, KMP_ARRAY, KMP_MAP, KMP_EXT } kmp_type;

// One value of a checked input: its first byte, and the input's end.
// p == NULL means "absent" and may be passed in again, so chains like
// kmp_get(kmp_get(root, "cart"), "lines") are safe.
typedef struct {
  const uint8_t* p;
  const uint8_t* end;
} kmp_value;

// Checks data[0, len) is exactly one MessagePack value. On success sets
// *root and returns true; else false with *error and *error_at (a byte
// offset) saying what and where.
bool kmp_check(const uint8_t* data, size_t len, kmp_value* root, const char** error, size_t* error_at);

kmp_type kmp_type_of(kmp_value v);
// A map's value for `key` (the first such member), or absent.
kmp_value kmp_get(kmp_value map, const char* key);
// Elements of an array, members of a map; 0 for anything else.
uint32_t kmp_count(kmp_value container);
// An array's first element, or absent; kmp_next() the element after v in
// the same array, absent after the last (needs the array's count, so
// iterate with an index: for (i = 0, e = kmp_first(a); i < n; ++i, e = kmp_next(e))).
kmp_value kmp_first(kmp_value array);
kmp_value kmp_next(kmp_value element);
// Strings: a pointer to len bytes (not NUL-terminated), or NULL if not a string.
const char* kmp_str(kmp_value v, size_t* len);
bool kmp_str_eq(kmp_value v, const char* s, size_t len);
// Numbers: false if v is not one (kmp_int: not an integer that fits in
// int64_t; kmp_double: an integer or a float, as a double).
bool kmp_int(kmp_value v, int64_t* out);
bool kmp_double(kmp_value v, double* out);

typedef struct {
  uint8_t* buf;
  size_t len, cap;
  size_t max;   // the writer refuses to grow beyond this
  bool failed;  // out of memory or over max: the output is incomplete
} kmp_writer;

void kmpw_init(kmp_writer* w, size_t max);
void kmpw_free(kmp_writer* w);
void kmpw_map(kmp_writer* w, uint32_t count);
void kmpw_array(kmp_writer* w, uint32_t count);
// An array whose count is known at its end: returns where it is, for kmpw_end_later.
size_t kmpw_begin_array_later(kmp_writer* w);
void kmpw_end_later(kmp_writer* w, size_t at, uint32_t count);
void kmpw_string(kmp_writer* w, const char* s, size_t len);
void kmpw_cstring(kmp_writer* w, const char* s);
void kmpw_int(kmp_writer* w, int64_t v);
void kmpw_double(kmp_writer* w, double v);
void kmpw_bool(kmp_writer* w, bool v);
void kmpw_nil(kmp_writer* w);

#ifdef __cplusplus
}
#endif

#endif  // KILN_MSGPACK_H
