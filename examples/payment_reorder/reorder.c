// See reorder.h. Config:
//   first      the payment method's name, exactly as shown to the buyer
//   countries  only when some delivery address is in one of these (absent
//              or []: everywhere)
//   min_total  only when the cart's total is at least this (a decimal
//              string; absent: always)
// Output, as Shopify's payment customization API:
//   {"operations": [{"move": {"paymentMethodId": "...", "index": 0}}]}
// or no operations when a condition fails or no method has that name.
#include "reorder.h"

#include <stdio.h>

#include "kiln_guest.h"

// Money is a decimal string ("120.00"). Compared as integer millionths it is
// exact where doubles are not; digits past the sixth decimal are dropped.
static int parse_amount(const char* s, size_t n, int64_t* out) {
  size_t i = 0, digits = 0, decimals = 0;
  int negative = n > 0 && s[0] == '-';
  int64_t v = 0;
  for (i = negative; i < n && s[i] >= '0' && s[i] <= '9'; ++i, ++digits) {
    if (digits == 12) return 0;  // a trillion is no cart total
    v = v * 10 + (s[i] - '0');
  }
  if (digits == 0) return 0;
  if (i < n && s[i] == '.') {
    size_t start = ++i;
    for (; i < n && s[i] >= '0' && s[i] <= '9'; ++i)
      if (decimals < 6) v = v * 10 + (s[i] - '0'), ++decimals;
    if (i == start) return 0;
  }
  if (i != n) return 0;
  for (; decimals < 6; ++decimals) v *= 10;
  *out = negative ? -v : v;
  return 1;
}

static int string_amount(const kj_doc* d, int node, int64_t* out) {
  size_t len;
  const char* s = kj_str(d, node, &len);
  return s && parse_amount(s, len, out);
}

// Whether any delivery group's address is in countries (an array node).
static int ships_to(const kj_doc* d, int groups, int countries) {
  for (int group = kj_first(d, groups); group >= 0; group = kj_next(d, group)) {
    size_t len;
    const char* code = kj_str(d, kj_get(d, kj_get(d, group, "deliveryAddress"), "countryCode"), &len);
    if (!code) continue;
    for (int c = kj_first(d, countries); c >= 0; c = kj_next(d, c))
      if (kj_str_eq(d, c, code, len)) return 1;
  }
  return 0;
}

// The first method with that name, or -1.
static int find_method(const kj_doc* d, int methods, const char* name, size_t len) {
  for (int m = kj_first(d, methods); m >= 0; m = kj_next(d, m))
    if (kj_str_eq(d, kj_get(d, m, "name"), name, len)) return m;
  return -1;
}

static int reorder(const kj_doc* d, kj_writer* out, char* log, size_t log_cap) {
  if (kj_type_of(d, 0) != KJ_OBJECT) return kiln_guest_fail(log, log_cap, "input must be a JSON object");
  int config = kj_get(d, 0, "config");
  if (kj_type_of(d, config) != KJ_OBJECT) return kiln_guest_fail(log, log_cap, "input has no \"config\" object");
  size_t first_len;
  const char* first = kj_str(d, kj_get(d, config, "first"), &first_len);
  if (!first || first_len == 0) return kiln_guest_fail(log, log_cap, "config.first must be a non-empty string");
  int countries = kj_get(d, config, "countries");
  if (countries >= 0 && kj_type_of(d, countries) != KJ_ARRAY)
    return kiln_guest_fail(log, log_cap, "config.countries must be an array");
  int64_t min_total = 0, total;
  int min = kj_get(d, config, "min_total");
  if (min >= 0 && !string_amount(d, min, &min_total))
    return kiln_guest_fail(log, log_cap, "config.min_total must be a decimal string like \"50.00\"");

  int cart = kj_get(d, 0, "cart");
  if (!string_amount(d, kj_get(d, kj_get(d, kj_get(d, cart, "cost"), "totalAmount"), "amount"), &total))
    return kiln_guest_fail(log, log_cap, "input has no decimal string cart.cost.totalAmount.amount");
  int methods = kj_get(d, 0, "paymentMethods");
  if (kj_type_of(d, methods) != KJ_ARRAY) return kiln_guest_fail(log, log_cap, "input has no array paymentMethods");

  const char* why = NULL;
  int method = -1;
  if (total < min_total)
    why = "total under min_total";
  else if (kj_size(d, countries) > 0 && !ships_to(d, kj_get(d, cart, "deliveryGroups"), countries))
    why = "no delivery to those countries";
  else if ((method = find_method(d, methods, first, first_len)) < 0)
    why = "no method of that name";

  size_t id_len = 0;
  const char* id = kj_str(d, kj_get(d, method, "id"), &id_len);
  if (method >= 0 && !id) return kiln_guest_fail(log, log_cap, "the payment method to move has no string id");
  kjw_begin_object(out);
  kjw_key(out, "operations");
  kjw_begin_array(out);
  if (id) {
    kjw_begin_object(out);
    kjw_key(out, "move");
    kjw_begin_object(out);
    kjw_key(out, "paymentMethodId");
    kjw_string(out, id, id_len);
    kjw_key(out, "index");
    kjw_int(out, 0);
    kjw_end_object(out);
    kjw_end_object(out);
  }
  kjw_end_array(out);
  kjw_end_object(out);
  int shown = first_len > 60 ? 60 : (int)first_len;  // the log stays one short line
  if (why)
    snprintf(log, log_cap, "\"%.*s\" unchanged: %s", shown, first, why);
  else
    snprintf(log, log_cap, "moved \"%.*s\" first", shown, first);
  return 0;
}

int payment_reorder_run(const char* input, size_t input_len, kj_writer* out, char* log, size_t log_cap) {
  kj_doc doc;
  int rc;
  if (!kj_parse(&doc, input, input_len))
    rc = kiln_guest_fail(log, log_cap, "input is not valid JSON: %s at byte %zu", doc.error, doc.error_at);
  else
    rc = reorder(&doc, out, log, log_cap);
  kj_free(&doc);
  return rc;
}
