// See discount_msgpack.h; the logic and its messages are discount.c's.
// MessagePack counts come first, so the lines are walked twice: once to
// check them and count the discounted ones, once to write the targets.
#include "discount_msgpack.h"

#include <stdio.h>

#include "kiln_guest.h"

typedef struct {
  const char* tag;
  size_t tag_len;
  char percentage[24];  // as a decimal string, e.g. "15.0"
  kmp_value message;    // absent when not given
} config;

// As discount.c: two places at most, and at least one ("15.0").
static void format_percentage(double value, char* out, size_t cap) {
  int n = snprintf(out, cap, "%.2f", value);
  while (n > 0 && out[n - 1] == '0' && out[n - 2] != '.') out[--n] = 0;
}

static int read_config(kmp_value root, config* c, char* log, size_t log_cap) {
  kmp_value node = kmp_get(root, "config");
  if (kmp_type_of(node) != KMP_MAP) return kiln_guest_fail(log, log_cap, "input has no \"config\" object");
  c->tag = kmp_str(kmp_get(node, "tag"), &c->tag_len);
  if (!c->tag || c->tag_len == 0) return kiln_guest_fail(log, log_cap, "config.tag must be a non-empty string");
  double percentage;
  if (!kmp_double(kmp_get(node, "percentage"), &percentage) || !(percentage >= 0.01 && percentage <= 100))
    return kiln_guest_fail(log, log_cap, "config.percentage must be a number from 0.01 to 100");
  format_percentage(percentage, c->percentage, sizeof c->percentage);
  c->message = kmp_get(node, "message");
  if (c->message.p && kmp_type_of(c->message) != KMP_STR)
    return kiln_guest_fail(log, log_cap, "config.message must be a string");
  return 0;
}

// 1 if the line's product has the tag, 0 if not (or no product), -1 if its tags are not an array.
static int has_tag(kmp_value line, const config* c) {
  kmp_value tags = kmp_get(kmp_get(kmp_get(line, "merchandise"), "product"), "tags");
  if (!tags.p) return 0;
  if (kmp_type_of(tags) != KMP_ARRAY) return -1;
  uint32_t n = kmp_count(tags);
  kmp_value tag = kmp_first(tags);
  for (uint32_t i = 0; i < n; ++i, tag = kmp_next(tag))
    if (kmp_str_eq(tag, c->tag, c->tag_len)) return 1;
  return 0;
}

// Checks every line; counts the discounted ones.
static int count_hits(kmp_value lines, const config* c, uint32_t* hits, char* log, size_t log_cap) {
  uint32_t n = kmp_count(lines);
  kmp_value line = kmp_first(lines);
  *hits = 0;
  for (uint32_t i = 0; i < n; ++i, line = kmp_next(line)) {
    int hit = has_tag(line, c);
    if (hit < 0) return kiln_guest_fail(log, log_cap, "cart.lines[%u].merchandise.product.tags is not an array", i);
    if (!hit) continue;
    size_t id_len;
    int64_t quantity;
    if (!kmp_str(kmp_get(line, "id"), &id_len)) return kiln_guest_fail(log, log_cap, "cart.lines[%u].id is not a string", i);
    if (!kmp_int(kmp_get(line, "quantity"), &quantity) || quantity < 1)
      return kiln_guest_fail(log, log_cap, "cart.lines[%u].quantity is not a positive integer", i);
    ++*hits;
  }
  return 0;
}

static void write_targets(kmp_value lines, const config* c, uint32_t hits, kmp_writer* out) {
  kmpw_cstring(out, "targets");
  kmpw_array(out, hits);
  uint32_t n = kmp_count(lines);
  kmp_value line = kmp_first(lines);
  for (uint32_t i = 0; i < n; ++i, line = kmp_next(line)) {
    if (has_tag(line, c) != 1) continue;
    size_t id_len;
    const char* id = kmp_str(kmp_get(line, "id"), &id_len);
    int64_t quantity = 0;
    kmp_int(kmp_get(line, "quantity"), &quantity);
    kmpw_map(out, 1);
    kmpw_cstring(out, "cartLine");
    kmpw_map(out, 2);
    kmpw_cstring(out, "id");
    kmpw_string(out, id, id_len);
    kmpw_cstring(out, "quantity");
    kmpw_int(out, quantity);
  }
}

static int discount(kmp_value root, kmp_writer* out, char* log, size_t log_cap) {
  config c;
  if (kmp_type_of(root) != KMP_MAP) return kiln_guest_fail(log, log_cap, "input must be a JSON object");
  if (read_config(root, &c, log, log_cap)) return 1;
  kmp_value lines = kmp_get(kmp_get(root, "cart"), "lines");
  if (kmp_type_of(lines) != KMP_ARRAY) return kiln_guest_fail(log, log_cap, "input has no array cart.lines");
  uint32_t hits;
  if (count_hits(lines, &c, &hits, log, log_cap)) return 1;

  kmpw_map(out, 2);
  kmpw_cstring(out, "discountApplicationStrategy");
  kmpw_cstring(out, "FIRST");
  kmpw_cstring(out, "discounts");
  kmpw_array(out, hits > 0 ? 1 : 0);
  if (hits > 0) {
    kmpw_map(out, c.message.p ? 3 : 2);
    if (c.message.p) {
      size_t len;
      const char* message = kmp_str(c.message, &len);
      kmpw_cstring(out, "message");
      kmpw_string(out, message, len);
    }
    write_targets(lines, &c, hits, out);
    kmpw_cstring(out, "value");
    kmpw_map(out, 1);
    kmpw_cstring(out, "percentage");
    kmpw_map(out, 1);
    kmpw_cstring(out, "value");
    kmpw_cstring(out, c.percentage);
  }
  snprintf(log, log_cap, "%u lines, %u discounted", kmp_count(lines), hits);
  return 0;
}

int product_discount_msgpack_run(const uint8_t* input, size_t input_len, kmp_writer* out, char* log, size_t log_cap) {
  kmp_value root;
  const char* error;
  size_t at;
  if (!kmp_check(input, input_len, &root, &error, &at))
    return kiln_guest_fail(log, log_cap, "input is not valid MessagePack: %s at byte %zu", error, at);
  return discount(root, out, log, log_cap);
}
