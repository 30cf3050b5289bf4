// See kiln_msgpack.h. Every MessagePack value starts with one byte that
// says its type and either holds its length or says how many bytes of
// length follow (big-endian); head() decodes that once for everyone.
#include "kiln_msgpack.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
  kmp_type type;
  size_t header;     // bytes before the payload
  uint64_t length;   // strings, bin, ext: payload bytes; arrays, maps: count
  uint64_t scalar;   // ints and floats: the raw big-endian bits
  uint8_t lead;
} head_t;

static uint64_t load_be(const uint8_t* p, int n) {
  uint64_t v = 0;
  for (int i = 0; i < n; ++i) v = (v << 8) | p[i];
  return v;
}

// Decodes the value at p (p < end). False if its head runs past end or the byte is never used.
static bool head(const uint8_t* p, const uint8_t* end, head_t* h) {
  uint8_t b = *p;
  size_t avail = (size_t)(end - p);
  int width = 0;  // bytes of length or scalar after the lead byte
  h->lead = b;
  h->header = 1;
  h->length = 0;
  h->scalar = 0;
  if (b <= 0x7f || b >= 0xe0) { h->type = KMP_INT; h->scalar = b; return true; }
  if (b <= 0x8f) { h->type = KMP_MAP; h->length = b & 0x0f; return true; }
  if (b <= 0x9f) { h->type = KMP_ARRAY; h->length = b & 0x0f; return true; }
  if (b <= 0xbf) { h->type = KMP_STR; h->length = b & 0x1f; return true; }
  switch (b) {
    case 0xc0: h->type = KMP_NIL; return true;
    case 0xc2: case 0xc3: h->type = KMP_BOOL; return true;
    case 0xc4: case 0xc5: case 0xc6: h->type = KMP_BIN; width = 1 << (b - 0xc4); break;
    case 0xc7: case 0xc8: case 0xc9: h->type = KMP_EXT; width = 1 << (b - 0xc7); break;
    case 0xca: h->type = KMP_FLOAT; width = 4; break;
    case 0xcb: h->type = KMP_FLOAT; width = 8; break;
    case 0xcc: case 0xcd: case 0xce: case 0xcf: h->type = KMP_INT; width = 1 << (b - 0xcc); break;
    case 0xd0: case 0xd1: case 0xd2: case 0xd3: h->type = KMP_INT; width = 1 << (b - 0xd0); break;
    case 0xd4: case 0xd5: case 0xd6: case 0xd7: case 0xd8:
      // fixext: a type byte and 1, 2, 4, 8 or 16 bytes.
      h->type = KMP_EXT;
      h->header = 2;
      h->length = (uint64_t)1 << (b - 0xd4);
      return avail >= 2;
    case 0xd9: case 0xda: case 0xdb: h->type = KMP_STR; width = 1 << (b - 0xd9); break;
    case 0xdc: case 0xdd: h->type = KMP_ARRAY; width = b == 0xdc ? 2 : 4; break;
    case 0xde: case 0xdf: h->type = KMP_MAP; width = b == 0xde ? 2 : 4; break;
    default: return false;  // 0xc1
  }
  if (avail < 1 + (size_t)width) return false;
  uint64_t v = load_be(p + 1, width);
  h->header = 1 + (size_t)width;
  if (h->type == KMP_INT || h->type == KMP_FLOAT) {
    h->scalar = v;
  } else {
    h->length = v;
    if (h->type == KMP_EXT) h->header += 1;  // the ext's type byte
  }
  return avail >= h->header;
}

// Bytes of payload that follow the head (0 for containers: their elements are values of their own).
static uint64_t payload(const head_t* h) {
  if (h->type == KMP_STR || h->type == KMP_BIN || h->type == KMP_EXT) return h->length;
  return 0;
}

// Children a container adds to the walk: elements, or keys and values.
static uint64_t children(const head_t* h) {
  if (h->type == KMP_ARRAY) return h->length;
  if (h->type == KMP_MAP) return 2 * h->length;
  return 0;
}

bool kmp_check(const uint8_t* data, size_t len, kmp_value* root, const char** error, size_t* error_at) {
  const uint8_t* p = data;
  const uint8_t* end = data + len;
  // left[d]: values still to read at depth d; depth 0 is the root alone.
  uint64_t left[KMP_MAX_DEPTH + 1];
  int depth = 0;
  left[0] = 1;
  *error = NULL;
  while (depth >= 0) {
    if (left[depth] == 0) { --depth; continue; }
    --left[depth];
    head_t h;
    if (p >= end || !head(p, end, &h)) {
      *error = p >= end ? "truncated: the data ends inside a value" : "a byte that is no MessagePack type (0xc1)";
      *error_at = (size_t)(p - data);
      return false;
    }
    if ((uint64_t)(end - p) - h.header < payload(&h)) {
      *error = "truncated: a string or binary runs past the end";
      *error_at = (size_t)(p - data);
      return false;
    }
    p += h.header + payload(&h);
    uint64_t n = children(&h);
    if (n == 0) continue;
    if (depth == KMP_MAX_DEPTH) {
      *error = "nested too deep";
      *error_at = (size_t)(p - data);
      return false;
    }
    left[++depth] = n;
  }
  if (p != end) {
    *error = "bytes after the MessagePack value";
    *error_at = (size_t)(p - data);
    return false;
  }
  root->p = data;
  root->end = end;
  return true;
}

// The value after v (v checked: every length is within the data).
static kmp_value skip(kmp_value v) {
  uint64_t left = 1;
  const uint8_t* p = v.p;
  while (left > 0) {
    head_t h;
    if (p >= v.end || !head(p, v.end, &h)) return (kmp_value){NULL, v.end};
    --left;
    p += h.header + payload(&h);
    left += children(&h);
  }
  return (kmp_value){p < v.end ? p : NULL, v.end};
}

static bool head_of(kmp_value v, head_t* h) { return v.p && v.p < v.end && head(v.p, v.end, h); }

kmp_type kmp_type_of(kmp_value v) {
  head_t h;
  return head_of(v, &h) ? h.type : KMP_ABSENT;
}

uint32_t kmp_count(kmp_value v) {
  head_t h;
  if (!head_of(v, &h) || (h.type != KMP_ARRAY && h.type != KMP_MAP)) return 0;
  return (uint32_t)h.length;
}

kmp_value kmp_first(kmp_value array) {
  head_t h;
  if (!head_of(array, &h) || h.type != KMP_ARRAY || h.length == 0) return (kmp_value){NULL, array.end};
  return (kmp_value){array.p + h.header, array.end};
}

kmp_value kmp_next(kmp_value element) {
  if (!element.p) return element;
  return skip(element);
}

kmp_value kmp_get(kmp_value map, const char* key) {
  head_t h;
  kmp_value absent = {NULL, map.end};
  if (!head_of(map, &h) || h.type != KMP_MAP) return absent;
  size_t key_len = strlen(key);
  kmp_value k = {map.p + h.header, map.end};
  for (uint64_t i = 0; i < h.length && k.p; ++i) {
    kmp_value value = skip(k);
    if (kmp_str_eq(k, key, key_len)) return value;
    k = skip(value);
  }
  return absent;
}

const char* kmp_str(kmp_value v, size_t* len) {
  head_t h;
  if (!head_of(v, &h) || h.type != KMP_STR) return NULL;
  *len = (size_t)h.length;
  return (const char*)v.p + h.header;
}

bool kmp_str_eq(kmp_value v, const char* s, size_t len) {
  size_t n;
  const char* str = kmp_str(v, &n);
  return str && n == len && memcmp(str, s, len) == 0;
}

bool kmp_int(kmp_value v, int64_t* out) {
  head_t h;
  if (!head_of(v, &h) || h.type != KMP_INT) return false;
  uint8_t b = h.lead;
  if (b <= 0x7f) { *out = b; return true; }
  if (b >= 0xe0) { *out = (int8_t)b; return true; }
  if (b >= 0xcc && b <= 0xcf) {
    if (h.scalar > (uint64_t)INT64_MAX) return false;
    *out = (int64_t)h.scalar;
    return true;
  }
  int bits = 8 << (b - 0xd0);  // int8..int64: sign-extend
  int shift = 64 - bits;
  *out = (int64_t)(h.scalar << shift) >> shift;
  return true;
}

bool kmp_double(kmp_value v, double* out) {
  head_t h;
  if (!head_of(v, &h)) return false;
  if (h.type == KMP_FLOAT) {
    if (h.lead == 0xca) {
      uint32_t bits = (uint32_t)h.scalar;
      float f;
      memcpy(&f, &bits, sizeof f);
      *out = f;
    } else {
      memcpy(out, &h.scalar, sizeof *out);
    }
    return true;
  }
  if (h.type != KMP_INT) return false;
  if (h.lead >= 0xcc && h.lead <= 0xcf) {
    *out = (double)h.scalar;
    return true;
  }
  int64_t i;
  if (!kmp_int(v, &i)) return false;
  *out = (double)i;
  return true;
}

// ---- writer ------------------------------------------------------------

void kmpw_init(kmp_writer* w, size_t max) {
  w->buf = NULL;
  w->len = w->cap = 0;
  w->max = max;
  w->failed = false;
}

void kmpw_free(kmp_writer* w) {
  free(w->buf);
  kmpw_init(w, w->max);
}

static bool reserve(kmp_writer* w, size_t n) {
  if (w->failed) return false;
  if (w->len + n > w->max) {
    w->failed = true;
    return false;
  }
  if (w->len + n <= w->cap) return true;
  size_t cap = w->cap ? w->cap : 256;
  while (cap < w->len + n) cap *= 2;
  uint8_t* bigger = (uint8_t*)realloc(w->buf, cap);
  if (!bigger) {
    w->failed = true;
    return false;
  }
  w->buf = bigger;
  w->cap = cap;
  return true;
}

static void put_byte_and_be(kmp_writer* w, uint8_t lead, uint64_t v, int n) {
  if (!reserve(w, 1 + (size_t)n)) return;
  w->buf[w->len++] = lead;
  for (int i = n - 1; i >= 0; --i) w->buf[w->len++] = (uint8_t)(v >> (8 * i));
}

static void put_count(kmp_writer* w, uint32_t n, uint8_t fix, uint8_t lead16) {
  if (n <= 15) put_byte_and_be(w, (uint8_t)(fix | n), 0, 0);
  else if (n <= 0xffff) put_byte_and_be(w, lead16, n, 2);
  else put_byte_and_be(w, (uint8_t)(lead16 + 1), n, 4);
}

void kmpw_map(kmp_writer* w, uint32_t count) { put_count(w, count, 0x80, 0xde); }
void kmpw_array(kmp_writer* w, uint32_t count) { put_count(w, count, 0x90, 0xdc); }

size_t kmpw_begin_array_later(kmp_writer* w) {
  size_t at = w->len;
  put_byte_and_be(w, 0xdd, 0, 4);
  return at;
}

void kmpw_end_later(kmp_writer* w, size_t at, uint32_t count) {
  if (w->failed || at + 5 > w->len) return;
  for (int i = 0; i < 4; ++i) w->buf[at + 1 + i] = (uint8_t)(count >> (8 * (3 - i)));
}

void kmpw_string(kmp_writer* w, const char* s, size_t len) {
  if (len <= 31) put_byte_and_be(w, (uint8_t)(0xa0 | len), 0, 0);
  else if (len <= 0xff) put_byte_and_be(w, 0xd9, len, 1);
  else if (len <= 0xffff) put_byte_and_be(w, 0xda, len, 2);
  else put_byte_and_be(w, 0xdb, len, 4);
  if (!reserve(w, len)) return;
  memcpy(w->buf + w->len, s, len);
  w->len += len;
}

void kmpw_cstring(kmp_writer* w, const char* s) { kmpw_string(w, s, strlen(s)); }

void kmpw_int(kmp_writer* w, int64_t v) {
  if (v >= 0 && v <= 0x7f) put_byte_and_be(w, (uint8_t)v, 0, 0);
  else if (v < 0 && v >= -32) put_byte_and_be(w, (uint8_t)(int8_t)v, 0, 0);
  else if (v > 0) put_byte_and_be(w, 0xcf, (uint64_t)v, 8);
  else put_byte_and_be(w, 0xd3, (uint64_t)v, 8);
}

void kmpw_double(kmp_writer* w, double v) {
  uint64_t bits;
  memcpy(&bits, &v, sizeof bits);
  put_byte_and_be(w, 0xcb, bits, 8);
}

void kmpw_bool(kmp_writer* w, bool v) { put_byte_and_be(w, v ? 0xc3 : 0xc2, 0, 0); }
void kmpw_nil(kmp_writer* w) { put_byte_and_be(w, 0xc0, 0, 0); }
