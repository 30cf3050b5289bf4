// kiln_json: see kiln_json.h. One pass over the text, no recursion, and
// every failure names the byte where it was found.
#include "kiln_json.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// node.info packs the type, two flag bits and the children count; a text of
// at most MAX_TEXT bytes cannot hold more than 2^27 children.
#define TYPE_OF(info) ((kj_type)((info) & 7u))
#define FLAG_DECODED (1u << 3)  // string: start is an offset into doc->decoded
#define FLAG_INT (1u << 3)      // number: no fraction or exponent, at most 19 digits
#define COUNT_ONE (1u << 5)
#define MAX_TEXT ((size_t)1 << 27)

static bool fail(kj_doc* d, size_t at, const char* what) {
  if (!d->error) {
    d->error = what;
    d->error_at = at;
  }
  return false;
}

static int push(kj_doc* d, kj_type type, size_t start) {
  if (d->count == d->capacity) {
    // A node takes at least a byte of text, so MAX_TEXT nodes are always
    // enough, and their size fits in a 32-bit size_t.
    uint32_t capacity = d->capacity > MAX_TEXT / 2 ? (uint32_t)MAX_TEXT : d->capacity * 2;
    if (capacity == d->capacity) return fail(d, start, "out of memory"), -1;
    kj_node* nodes = (kj_node*)realloc(d->nodes, capacity * sizeof(kj_node));
    if (!nodes) return fail(d, start, "out of memory"), -1;
    d->nodes = nodes;
    d->capacity = capacity;
  }
  kj_node* n = &d->nodes[d->count];
  n->start = (uint32_t)start;
  n->len = 0;
  n->next = 0;
  n->info = (uint32_t)type;
  return (int)d->count++;
}

// Fuel is counted per instruction, so the loops over most of the bytes (string
// contents and indentation) look at 8 bytes at a time ("SWAR"): a few
// instructions per byte instead of about 30.
#define ONES 0x0101010101010101ull
#define HIGHS 0x8080808080808080ull
static uint64_t load8(const char* p) {
  uint64_t v;
  memcpy(&v, p, 8);  // one unaligned load, wasm and x86 alike
  return v;
}
// Nonzero iff some byte of v is below 0x20, '"', '\\' or above 0x7F: the
// bytes a string scan must stop at. (x - ONES * n) & ~x & HIGHS flags the
// bytes below n; a borrow can flag more bytes, but only after a true one.
static uint64_t special_bytes(uint64_t v) {
  uint64_t quote = v ^ (ONES * '"'), backslash = v ^ (ONES * '\\');
  return (((v - ONES * 0x20) & ~v) | ((quote - ONES) & ~quote) | ((backslash - ONES) & ~backslash) | v) & HIGHS;
}

// How many bytes precede the first special byte that special_bytes() found.
// Borrows only flag bytes after a true one, and on a little-endian machine
// (x86, Arm, wasm) the first byte is the lowest, so the lowest flag is true.
static size_t plain_prefix(uint64_t special) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  (void)special;
  return 0;  // the byte loop finds it
#else
  return (size_t)__builtin_ctzll(special) / 8;
#endif
}

static size_t skip_ws(const kj_doc* d, size_t i) {
  if (i < d->text_len && (unsigned char)d->text[i] > ' ') return i;  // the usual case: compact JSON
  while (i + 8 <= d->text_len && load8(d->text + i) == ONES * ' ') i += 8;
  while (i < d->text_len) {
    char c = d->text[i];
    if (c != ' ' && c != '\n' && c != '\r' && c != '\t') break;
    ++i;
  }
  return i;
}

static bool is_digit(const kj_doc* d, size_t i) { return i < d->text_len && d->text[i] >= '0' && d->text[i] <= '9'; }

// The length of the valid UTF-8 sequence at s (RFC 3629: no overlongs, no
// surrogates, nothing above U+10FFFF), or 0.
static size_t utf8_len(const unsigned char* s, size_t avail) {
  unsigned char c = s[0], lo = 0x80, hi = 0xBF;
  size_t k;
  if (c >= 0xC2 && c <= 0xDF) {
    k = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    k = 3;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    k = 4;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (avail < k || s[1] < lo || s[1] > hi) return 0;
  for (size_t j = 2; j < k; ++j)
    if ((s[j] & 0xC0) != 0x80) return 0;
  return k;
}

static bool hex4(const kj_doc* d, size_t i, uint32_t* out) {
  if (i > d->text_len || d->text_len - i < 4) return false;
  uint32_t v = 0;
  for (size_t j = i; j < i + 4; ++j) {
    char c = d->text[j];
    int h = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
    if (h < 0) return false;
    v = v << 4 | (uint32_t)h;
  }
  *out = v;
  return true;
}

static char* put_utf8(char* o, uint32_t cp) {
  if (cp < 0x80) {
    *o++ = (char)cp;
  } else if (cp < 0x800) {
    *o++ = (char)(0xC0 | cp >> 6);
    *o++ = (char)(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    *o++ = (char)(0xE0 | cp >> 12);
    *o++ = (char)(0x80 | (cp >> 6 & 0x3F));
    *o++ = (char)(0x80 | (cp & 0x3F));
  } else {
    *o++ = (char)(0xF0 | cp >> 18);
    *o++ = (char)(0x80 | (cp >> 12 & 0x3F));
    *o++ = (char)(0x80 | (cp >> 6 & 0x3F));
    *o++ = (char)(0x80 | (cp & 0x3F));
  }
  return o;
}

// Decodes the \-escape at text[*i] (the backslash) into o; returns the end of
// what it wrote, or NULL.
static char* unescape(kj_doc* d, size_t* i, char* o) {
  size_t at = *i;
  if (at + 1 >= d->text_len) return fail(d, at, "unterminated string"), NULL;
  char e = d->text[at + 1];
  *i = at + 2;
  switch (e) {
    case '"': case '\\': case '/': *o++ = e; return o;
    case 'b': *o++ = '\b'; return o;
    case 'f': *o++ = '\f'; return o;
    case 'n': *o++ = '\n'; return o;
    case 'r': *o++ = '\r'; return o;
    case 't': *o++ = '\t'; return o;
    case 'u': break;
    default: return fail(d, at, "invalid escape in string"), NULL;
  }
  uint32_t cp, lo;
  if (!hex4(d, at + 2, &cp)) return fail(d, at, "invalid \\u escape"), NULL;
  *i = at + 6;
  if (cp >= 0xDC00 && cp <= 0xDFFF) return fail(d, at, "unpaired surrogate in \\u escape"), NULL;
  if (cp >= 0xD800 && cp <= 0xDBFF) {  // a high surrogate: the low half must follow
    if (at + 7 >= d->text_len || d->text[at + 6] != '\\' || d->text[at + 7] != 'u' || !hex4(d, at + 8, &lo) ||
        lo < 0xDC00 || lo > 0xDFFF)
      return fail(d, at, "unpaired surrogate in \\u escape"), NULL;
    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
    *i = at + 12;
  }
  return put_utf8(o, cp);
}

// A string at text[*pos] (the opening quote). Strings without escapes stay
// in the text; the first escape starts a decoded copy in doc->decoded,
// which never outgrows the text because every escape shrinks or keeps size.
static int parse_string(kj_doc* d, size_t* pos) {
  const unsigned char* s = (const unsigned char*)d->text;
  size_t i = *pos + 1, run = i, n = d->text_len;
  char* out = NULL;
  int node = push(d, KJ_STRING, i);
  if (node < 0) return -1;
  for (;;) {
    for (uint64_t special; i + 8 <= n; i += 8) {
      if ((special = special_bytes(load8(d->text + i)))) {
        i += plain_prefix(special);
        break;
      }
    }
    if (i >= n) return fail(d, *pos, "unterminated string"), -1;
    unsigned char c = s[i];
    if (c == '"') break;
    if (c < 0x20) return fail(d, i, "control character in string"), -1;
    if (c < 0x80 && c != '\\') {
      ++i;
      continue;
    }
    if (c >= 0x80) {
      size_t k = utf8_len(s + i, n - i);
      if (!k) return fail(d, i, "invalid UTF-8 in string"), -1;
      i += k;
      continue;
    }
    if (!out) {
      if (!d->decoded && !(d->decoded = (char*)malloc(n + 1))) return fail(d, i, "out of memory"), -1;
      out = d->decoded + d->decoded_len;
    }
    memcpy(out, s + run, i - run);
    out += i - run;
    if (!(out = unescape(d, &i, out))) return -1;
    run = i;
  }
  kj_node* nd = &d->nodes[node];
  if (out) {
    memcpy(out, s + run, i - run);
    out += i - run;
    nd->start = d->decoded_len;
    nd->len = (uint32_t)(out - (d->decoded + d->decoded_len));
    nd->info |= FLAG_DECODED;
    d->decoded_len += nd->len;
  } else {
    nd->len = (uint32_t)(i - nd->start);
  }
  *pos = i + 1;
  return node;
}

// -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? ; the value is computed on
// demand, so numbers the guest never reads cost only this scan.
static int parse_number(kj_doc* d, size_t* pos) {
  size_t i = *pos;
  bool integer = true;
  if (d->text[i] == '-') ++i;
  size_t digits = i;
  if (i < d->text_len && d->text[i] == '0') {
    ++i;
  } else if (is_digit(d, i)) {
    while (is_digit(d, i)) ++i;
  } else {
    return fail(d, i, "invalid number"), -1;
  }
  size_t int_digits = i - digits;
  if (i < d->text_len && d->text[i] == '.') {
    if (!is_digit(d, ++i)) return fail(d, i, "expected a digit after '.'"), -1;
    while (is_digit(d, i)) ++i;
    integer = false;
  }
  if (i < d->text_len && (d->text[i] == 'e' || d->text[i] == 'E')) {
    ++i;
    if (i < d->text_len && (d->text[i] == '+' || d->text[i] == '-')) ++i;
    if (!is_digit(d, i)) return fail(d, i, "expected a digit in exponent"), -1;
    while (is_digit(d, i)) ++i;
    integer = false;
  }
  int node = push(d, KJ_NUMBER, *pos);
  if (node < 0) return -1;
  d->nodes[node].len = (uint32_t)(i - *pos);
  if (integer && int_digits <= 19) d->nodes[node].info |= FLAG_INT;
  *pos = i;
  return node;
}

static int parse_literal(kj_doc* d, size_t* pos) {
  static const struct { const char* word; size_t len; kj_type type; } words[] = {
      {"true", 4, KJ_TRUE}, {"false", 5, KJ_FALSE}, {"null", 4, KJ_NULL}};
  for (size_t w = 0; w < 3; ++w) {
    if (d->text_len - *pos >= words[w].len && memcmp(d->text + *pos, words[w].word, words[w].len) == 0) {
      int node = push(d, words[w].type, *pos);
      if (node >= 0) d->nodes[node].len = (uint32_t)words[w].len;
      *pos += words[w].len;
      return node;
    }
  }
  return fail(d, *pos, "expected a value"), -1;
}

typedef struct {
  uint32_t node;  // the open array or object
  uint32_t last;  // its last element or key so far (0: none yet)
} frame;

static void add_child(kj_doc* d, frame* f, uint32_t child) {
  if (f->last) d->nodes[f->last].next = child;
  f->last = child;
  d->nodes[f->node].info += COUNT_ONE;
}

bool kj_parse(kj_doc* d, const char* text, size_t len) {
  memset(d, 0, sizeof *d);
  d->text = text;
  d->text_len = len;
  if (len >= MAX_TEXT) return fail(d, 0, "input too large");
  d->capacity = (uint32_t)(len / 8 + 16);  // typical JSON has a node per 8-20 bytes; push() grows it
  if (!(d->nodes = (kj_node*)malloc(d->capacity * sizeof(kj_node)))) return fail(d, 0, "out of memory");

  frame stack[KJ_MAX_DEPTH];
  int depth = 0;
  size_t i = 0;
  enum { VALUE, KEY, AFTER } state = VALUE;
  for (;;) {
    i = skip_ws(d, i);
    if (i >= len && !(state == AFTER && depth == 0)) return fail(d, i, len ? "unexpected end of input" : "empty input");
    frame* top = depth ? &stack[depth - 1] : NULL;
    bool in_object = top && TYPE_OF(d->nodes[top->node].info) == KJ_OBJECT;
    char c = i < len ? text[i] : 0;
    if (state == KEY) {
      if (c != '"') return fail(d, i, "expected a string key");
      int key = parse_string(d, &i);
      if (key < 0) return false;
      add_child(d, top, (uint32_t)key);
      i = skip_ws(d, i);
      if (i >= len || text[i] != ':') return fail(d, i, "expected ':'");
      ++i;
      state = VALUE;
    } else if (state == VALUE) {
      int node;
      if (c == '{' || c == '[') {
        if (depth == KJ_MAX_DEPTH) return fail(d, i, "nesting too deep");
        if ((node = push(d, c == '{' ? KJ_OBJECT : KJ_ARRAY, i)) < 0) return false;
        if (top && !in_object) add_child(d, top, (uint32_t)node);
        stack[depth++] = (frame){(uint32_t)node, 0};
        i = skip_ws(d, i + 1);
        if (i < len && text[i] == (c == '{' ? '}' : ']')) {  // empty: close it at once
          d->nodes[node].len = (uint32_t)(i + 1 - d->nodes[node].start);
          ++i;
          --depth;
          state = AFTER;
        } else {
          state = c == '{' ? KEY : VALUE;
        }
        continue;
      }
      if (c == '"') node = parse_string(d, &i);
      else if (c == '-' || (c >= '0' && c <= '9')) node = parse_number(d, &i);
      else node = parse_literal(d, &i);
      if (node < 0) return false;
      if (top && !in_object) add_child(d, top, (uint32_t)node);
      state = AFTER;
    } else if (!top) {
      if (i != len) return fail(d, i, "unexpected text after the JSON value");
      return true;
    } else if (c == ',') {
      ++i;
      state = in_object ? KEY : VALUE;
    } else if (c == (in_object ? '}' : ']')) {
      d->nodes[top->node].len = (uint32_t)(i + 1 - d->nodes[top->node].start);
      ++i;
      --depth;
    } else {
      return fail(d, i, in_object ? "expected ',' or '}'" : "expected ',' or ']'");
    }
  }
}

void kj_free(kj_doc* d) {
  free(d->nodes);
  free(d->decoded);
  memset(d, 0, sizeof *d);
}

static const kj_node* at(const kj_doc* d, int node) {
  return node >= 0 && (uint32_t)node < d->count ? &d->nodes[node] : NULL;
}

kj_type kj_type_of(const kj_doc* d, int node) {
  const kj_node* n = at(d, node);
  return n ? TYPE_OF(n->info) : KJ_NULL;
}

uint32_t kj_size(const kj_doc* d, int node) {
  kj_type t = kj_type_of(d, node);
  return t == KJ_ARRAY || t == KJ_OBJECT ? d->nodes[node].info >> 5 : 0;
}

int kj_first(const kj_doc* d, int container) { return kj_size(d, container) ? container + 1 : -1; }

int kj_next(const kj_doc* d, int node) {
  const kj_node* n = at(d, node);
  return n && n->next ? (int)n->next : -1;
}

const char* kj_str(const kj_doc* d, int node, size_t* len) {
  const kj_node* n = at(d, node);
  if (!n || TYPE_OF(n->info) != KJ_STRING) return NULL;
  *len = n->len;
  return (n->info & FLAG_DECODED ? d->decoded : d->text) + n->start;
}

bool kj_str_eq(const kj_doc* d, int node, const char* s, size_t s_len) {
  size_t len;
  const char* p = kj_str(d, node, &len);
  return p && len == s_len && memcmp(p, s, len) == 0;
}

int kj_get(const kj_doc* d, int object, const char* key) {
  if (kj_type_of(d, object) != KJ_OBJECT) return -1;
  size_t key_len = strlen(key);
  for (int k = kj_first(d, object); k >= 0; k = kj_next(d, k))
    if (kj_str_eq(d, k, key, key_len)) return k + 1;  // the value follows its key
  return -1;
}

bool kj_double(const kj_doc* d, int node, double* out) {
  const kj_node* n = at(d, node);
  if (!n || TYPE_OF(n->info) != KJ_NUMBER) return false;
  // strtod needs a terminated copy: the text is not NUL-terminated.
  char small[64], *buf = n->len < sizeof small ? small : (char*)malloc(n->len + 1);
  if (!buf) return false;
  memcpy(buf, d->text + n->start, n->len);
  buf[n->len] = 0;
  *out = strtod(buf, NULL);
  if (buf != small) free(buf);
  return isfinite(*out);  // 1e400 is valid JSON but no double
}

bool kj_int(const kj_doc* d, int node, int64_t* out) {
  const kj_node* n = at(d, node);
  if (!n || TYPE_OF(n->info) != KJ_NUMBER) return false;
  if (n->info & FLAG_INT) {  // exact: 19 digits always fit in a uint64_t
    const char* p = d->text + n->start;
    const char* end = p + n->len;
    bool negative = *p == '-';
    uint64_t u = 0;
    for (p += negative; p < end; ++p) u = u * 10 + (uint64_t)(*p - '0');
    if (u > (uint64_t)INT64_MAX + negative) return false;
    *out = negative ? (int64_t)(0 - u) : (int64_t)u;
    return true;
  }
  double v;  // 2.0 or 1e3 are integers too, as JSON Schema's "integer" says
  if (!kj_double(d, node, &v) || v != floor(v) || v < -9223372036854775808.0 || v >= 9223372036854775808.0)
    return false;
  *out = (int64_t)v;
  return true;
}

// ---- writer ----

void kjw_init(kj_writer* w, size_t max) {
  memset(w, 0, sizeof *w);
  w->max = max;
}

void kjw_free(kj_writer* w) {
  free(w->buf);
  memset(w, 0, sizeof *w);
}

static void put(kj_writer* w, const char* s, size_t n) {
  if (w->failed) return;
  if (n > w->max - w->len) {
    w->failed = true;
    return;
  }
  if (w->len + n > w->cap) {
    size_t cap = w->cap ? w->cap : 256;
    while (cap < w->len + n) cap *= 2;
    if (cap > w->max) cap = w->max;
    char* buf = (char*)realloc(w->buf, cap);
    if (!buf) {
      w->failed = true;
      return;
    }
    w->buf = buf;
    w->cap = cap;
  }
  memcpy(w->buf + w->len, s, n);
  w->len += n;
}

// A comma goes before every value or key except the first in its container.
static void separate(kj_writer* w) {
  if (!w->len || w->failed) return;
  char last = w->buf[w->len - 1];
  if (last != '{' && last != '[' && last != ':') put(w, ",", 1);
}

void kjw_begin_object(kj_writer* w) { separate(w), put(w, "{", 1); }
void kjw_end_object(kj_writer* w) { put(w, "}", 1); }
void kjw_begin_array(kj_writer* w) { separate(w), put(w, "[", 1); }
void kjw_end_array(kj_writer* w) { put(w, "]", 1); }
void kjw_bool(kj_writer* w, bool v) { separate(w), put(w, v ? "true" : "false", v ? 4 : 5); }
void kjw_null(kj_writer* w) { separate(w), put(w, "null", 4); }

static void put_escaped(kj_writer* w, const char* s, size_t n) {
  static const char hex[] = "0123456789abcdef";
  put(w, "\"", 1);
  size_t run = 0;
  for (size_t i = 0; i < n; ++i) {
    unsigned char c = (unsigned char)s[i];
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    put(w, s + run, i - run);
    char esc[6] = {'\\', (char)c, 0, 0, 0, 0};
    size_t esc_len = 2;
    if (c == '\n') esc[1] = 'n';
    else if (c == '\r') esc[1] = 'r';
    else if (c == '\t') esc[1] = 't';
    else if (c < 0x20) esc[1] = 'u', esc[2] = '0', esc[3] = '0', esc[4] = hex[c >> 4], esc[5] = hex[c & 15], esc_len = 6;
    put(w, esc, esc_len);
    run = i + 1;
  }
  put(w, s + run, n - run);
  put(w, "\"", 1);
}

void kjw_key(kj_writer* w, const char* key) {
  separate(w);
  put_escaped(w, key, strlen(key));
  put(w, ":", 1);
}

void kjw_string(kj_writer* w, const char* s, size_t len) { separate(w), put_escaped(w, s, len); }
void kjw_cstring(kj_writer* w, const char* s) { kjw_string(w, s, strlen(s)); }

void kjw_int(kj_writer* w, int64_t v) {
  char buf[24], *p = buf + sizeof buf;
  uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;  // INT64_MIN has no positive twin
  do *--p = (char)('0' + u % 10);
  while (u /= 10);
  if (v < 0) *--p = '-';
  separate(w);
  put(w, p, (size_t)(buf + sizeof buf - p));
}

void kjw_double(kj_writer* w, double v) {
  if (!isfinite(v)) {  // JSON has no NaN or infinity
    kjw_null(w);
    return;
  }
  char buf[32];
  int n = 0;
  for (int precision = 15; precision <= 17; ++precision) {  // the shortest that reads back exactly
    n = snprintf(buf, sizeof buf, "%.*g", precision, v);
    if (strtod(buf, NULL) == v) break;
  }
  separate(w);
  put(w, buf, (size_t)n);
}
