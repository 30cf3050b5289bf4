// See discount.h. Config: {"tag": "sale", "percentage": 15, "message": "..."}.
// Output, as Shopify's product discount API: one discount whose targets are
// all matching lines, or no discounts at all when none match.
#include "discount.h"

#include <stdio.h>
#include <string.h>

#include "kiln_guest.h"

typedef struct {
  const char* tag;
  size_t tag_len;
  char percentage[24];  // as a decimal string, e.g. "15.0"
  int message;          // node of the message, or -1
} config;

// Shopify's percentage value is a decimal string: two places at most, and
// at least one ("15.0"), so the output reads the same whatever the input's
// number looked like.
static void format_percentage(double value, char* out, size_t cap) {
  int n = snprintf(out, cap, "%.2f", value);
  while (n > 0 && out[n - 1] == '0' && out[n - 2] != '.') out[--n] = 0;
}

static int read_config(const kj_doc* d, config* c, char* log, size_t log_cap) {
  int node = kj_get(d, 0, "config");
  if (kj_type_of(d, node) != KJ_OBJECT) return kiln_guest_fail(log, log_cap, "input has no \"config\" object");
  c->tag = kj_str(d, kj_get(d, node, "tag"), &c->tag_len);
  if (!c->tag || c->tag_len == 0) return kiln_guest_fail(log, log_cap, "config.tag must be a non-empty string");
  double percentage;
  if (!kj_double(d, kj_get(d, node, "percentage"), &percentage) || !(percentage >= 0.01 && percentage <= 100))
    return kiln_guest_fail(log, log_cap, "config.percentage must be a number from 0.01 to 100");
  format_percentage(percentage, c->percentage, sizeof c->percentage);
  c->message = kj_get(d, node, "message");
  if (c->message >= 0 && kj_type_of(d, c->message) != KJ_STRING)
    return kiln_guest_fail(log, log_cap, "config.message must be a string");
  return 0;
}

// 1 if the line's product has the tag, 0 if not (or the line is no product
// variant), -1 if its tags are not an array.
static int has_tag(const kj_doc* d, int line, const config* c) {
  int product = kj_get(d, kj_get(d, line, "merchandise"), "product");
  int tags = kj_get(d, product, "tags");
  if (tags < 0) return 0;
  if (kj_type_of(d, tags) != KJ_ARRAY) return -1;
  for (int tag = kj_first(d, tags); tag >= 0; tag = kj_next(d, tag))
    if (kj_str_eq(d, tag, c->tag, c->tag_len)) return 1;
  return 0;
}

static int discount(const kj_doc* d, kj_writer* out, char* log, size_t log_cap) {
  config c;
  if (kj_type_of(d, 0) != KJ_OBJECT) return kiln_guest_fail(log, log_cap, "input must be a JSON object");
  if (read_config(d, &c, log, log_cap)) return 1;
  int lines = kj_get(d, kj_get(d, 0, "cart"), "lines");
  if (kj_type_of(d, lines) != KJ_ARRAY) return kiln_guest_fail(log, log_cap, "input has no array cart.lines");

  kjw_begin_object(out);
  kjw_key(out, "discountApplicationStrategy");
  kjw_cstring(out, "FIRST");
  kjw_key(out, "discounts");
  kjw_begin_array(out);
  size_t no_discount = out->len;  // rewound to when no line matches
  kjw_begin_object(out);
  if (c.message >= 0) {
    size_t len;
    const char* message = kj_str(d, c.message, &len);
    kjw_key(out, "message");
    kjw_string(out, message, len);
  }
  kjw_key(out, "targets");
  kjw_begin_array(out);
  unsigned count = 0, discounted = 0;
  for (int line = kj_first(d, lines); line >= 0; line = kj_next(d, line), ++count) {
    int hit = has_tag(d, line, &c);
    if (hit < 0) return kiln_guest_fail(log, log_cap, "cart.lines[%u].merchandise.product.tags is not an array", count);
    if (!hit) continue;
    size_t id_len;
    const char* id = kj_str(d, kj_get(d, line, "id"), &id_len);
    int64_t quantity;
    if (!id) return kiln_guest_fail(log, log_cap, "cart.lines[%u].id is not a string", count);
    if (!kj_int(d, kj_get(d, line, "quantity"), &quantity) || quantity < 1)
      return kiln_guest_fail(log, log_cap, "cart.lines[%u].quantity is not a positive integer", count);
    kjw_begin_object(out);
    kjw_key(out, "cartLine");
    kjw_begin_object(out);
    kjw_key(out, "id");
    kjw_string(out, id, id_len);
    kjw_key(out, "quantity");
    kjw_int(out, quantity);
    kjw_end_object(out);
    kjw_end_object(out);
    ++discounted;
  }
  kjw_end_array(out);
  kjw_key(out, "value");
  kjw_begin_object(out);
  kjw_key(out, "percentage");
  kjw_begin_object(out);
  kjw_key(out, "value");
  kjw_cstring(out, c.percentage);
  kjw_end_object(out);
  kjw_end_object(out);
  kjw_end_object(out);
  if (discounted == 0 && !out->failed) out->len = no_discount;
  kjw_end_array(out);
  kjw_end_object(out);
  snprintf(log, log_cap, "%u lines, %u discounted", count, discounted);
  return 0;
}

int product_discount_run(const char* input, size_t input_len, kj_writer* out, char* log, size_t log_cap) {
  kj_doc doc;
  int rc;
  if (!kj_parse(&doc, input, input_len))
    rc = kiln_guest_fail(log, log_cap, "input is not valid JSON: %s at byte %zu", doc.error, doc.error_at);
  else
    rc = discount(&doc, out, log, log_cap);
  kj_free(&doc);
  return rc;
}
