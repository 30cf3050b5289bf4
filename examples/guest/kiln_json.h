// kiln_json: a small JSON reader and writer for extension guests in C.
//
// Guests cannot use the host's JSON libraries, and a general-purpose one is
// larger than the functions it would serve, so this is the least that reads
// the platform's input strictly and writes output that is always valid JSON.
// The same code also builds natively (the host's benchmarks link it), so it
// uses only the C standard library.
//
// Reader: kj_parse() checks the whole text (RFC 8259: UTF-8 strings, \uXXXX
// escapes with surrogate pairs, the number grammar, no trailing commas, one
// top-level value) and builds a flat array of nodes in one pass, without
// recursion: nesting is tracked on a fixed stack, KJ_MAX_DEPTH deep. Nodes
// point back into the text; only strings with escapes are copied (decoded)
// into a side buffer. The caller owns a kj_doc and frees it with kj_free().
// Objects keep duplicate keys; kj_get() finds the first.
//
// Writer: appends compact JSON to a growing buffer that stops at a cap, so a
// guest cannot produce more than the platform would accept anyway. Commas
// are inserted by looking at the previous byte, so callers only say what to
// write, in order.
#ifndef KILN_JSON_H
#define KILN_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define KJ_MAX_DEPTH 64

typedef enum { KJ_NULL, KJ_FALSE, KJ_TRUE, KJ_NUMBER, KJ_STRING, KJ_ARRAY, KJ_OBJECT } kj_type;

// One value. Children of a container follow it in the array: an array's
// elements, or an object's keys, each key immediately followed by its value.
// `next` links an element (or key) to its next sibling, so walking a
// container skips whole subtrees in one step; 0 ends the list (node 0 is the
// root, never anyone's sibling).
typedef struct {
  uint32_t start;  // strings: offset of the contents in text (or in the decoded buffer); others: offset in text
  uint32_t len;    // strings: decoded length in bytes; numbers and literals: length in text
  uint32_t next;   // next sibling, or 0
  uint32_t info;   // type (3 bits) | flags (2 bits) | children count (27 bits)
} kj_node;

typedef struct {
  const char* text;
  size_t text_len;
  kj_node* nodes;
  uint32_t count, capacity;
  char* decoded;            // decoded strings (allocated at the first escape)
  uint32_t decoded_len;
  const char* error;        // set when kj_parse fails: what was wrong
  size_t error_at;          // and at which byte of text
} kj_doc;

// Parses text[0, len) into doc; text must outlive doc. Returns true on
// success; else false with doc->error and doc->error_at set. Either way,
// kj_free(doc) releases it (and makes it ready for another kj_parse).
bool kj_parse(kj_doc* doc, const char* text, size_t len);
void kj_free(kj_doc* doc);

// Lookups take and return node indices; -1 means "absent" and may be passed
// in again, so chains like kj_get(d, kj_get(d, 0, "cart"), "lines") are
// safe. The root is node 0.
kj_type kj_type_of(const kj_doc* doc, int node);  // KJ_NULL for -1
int kj_get(const kj_doc* doc, int object, const char* key);
uint32_t kj_size(const kj_doc* doc, int node);  // elements or members; 0 for scalars
int kj_first(const kj_doc* doc, int container);  // first element (arrays) or key (objects), or -1
int kj_next(const kj_doc* doc, int node);        // next element or key, or -1
// Strings: a pointer to len bytes (not NUL-terminated), or NULL if not a string.
const char* kj_str(const kj_doc* doc, int node, size_t* len);
bool kj_str_eq(const kj_doc* doc, int node, const char* s, size_t s_len);
// Numbers: false if node is not a number, or is out of range (kj_int: not an
// integer that fits in int64_t; kj_double: beyond a double's range).
bool kj_int(const kj_doc* doc, int node, int64_t* out);
bool kj_double(const kj_doc* doc, int node, double* out);

typedef struct {
  char* buf;
  size_t len, cap;
  size_t max;  // the writer refuses to grow beyond this
  bool failed;  // out of memory or over max: the output is incomplete
} kj_writer;

void kjw_init(kj_writer* w, size_t max);
void kjw_free(kj_writer* w);
void kjw_begin_object(kj_writer* w);
void kjw_end_object(kj_writer* w);
void kjw_begin_array(kj_writer* w);
void kjw_end_array(kj_writer* w);
void kjw_key(kj_writer* w, const char* key);  // a NUL-terminated key
void kjw_string(kj_writer* w, const char* s, size_t len);
void kjw_cstring(kj_writer* w, const char* s);
void kjw_int(kj_writer* w, int64_t v);
void kjw_double(kj_writer* w, double v);  // shortest form that reads back the same; null for NaN/inf
void kjw_bool(kj_writer* w, bool v);
void kjw_null(kj_writer* w);

#ifdef __cplusplus
}
#endif

#endif  // KILN_JSON_H
