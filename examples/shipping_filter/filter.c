// See filter.h. Config (every member optional):
//   rate_title_contains  the rules apply to options whose title contains this
//                        (ASCII case-insensitive); absent or "": every option
//   hidden_countries     hide those options for addresses in these countries
//   max_weight_grams     hide those options when the cart weighs more
// Output, as Shopify's delivery customization API:
//   {"operations": [{"hide": {"deliveryOptionHandle": "..."}}]}
#include "filter.h"

#include <stdio.h>
#include <string.h>

#include "kiln_guest.h"

typedef struct {
  const char* title;  // NULL: every option
  size_t title_len;
  int countries;  // array node, or -1
  double max_grams;  // < 0: no weight rule
} config;

static char lower(char c) { return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c; }

// Titles and the needle are a few words: the plain search is the fast one.
static int contains(const char* s, size_t n, const char* needle, size_t m) {
  for (size_t i = 0; i + m <= n; ++i) {
    size_t j = 0;
    while (j < m && lower(s[i + j]) == lower(needle[j])) ++j;
    if (j == m) return 1;
  }
  return 0;
}

static int read_config(const kj_doc* d, config* c, char* log, size_t log_cap) {
  int node = kj_get(d, 0, "config");
  if (kj_type_of(d, node) != KJ_OBJECT) return kiln_guest_fail(log, log_cap, "input has no \"config\" object");
  int title = kj_get(d, node, "rate_title_contains");
  c->title = kj_str(d, title, &c->title_len);
  if (title >= 0 && !c->title) return kiln_guest_fail(log, log_cap, "config.rate_title_contains must be a string");
  c->countries = kj_get(d, node, "hidden_countries");
  if (c->countries >= 0 && kj_type_of(d, c->countries) != KJ_ARRAY)
    return kiln_guest_fail(log, log_cap, "config.hidden_countries must be an array");
  c->max_grams = -1;
  int max = kj_get(d, node, "max_weight_grams");
  if (max >= 0 && (!kj_double(d, max, &c->max_grams) || c->max_grams < 0))
    return kiln_guest_fail(log, log_cap, "config.max_weight_grams must be a number >= 0");
  return 0;
}

static int grams_per_unit(const kj_doc* d, int unit, double* grams) {
  static const struct { const char* name; double grams; } units[] = {
      {"GRAMS", 1}, {"KILOGRAMS", 1000}, {"OUNCES", 28.349523125}, {"POUNDS", 453.59237}};
  for (size_t i = 0; i < sizeof units / sizeof units[0]; ++i) {
    if (kj_str_eq(d, unit, units[i].name, strlen(units[i].name))) {
      *grams = units[i].grams;
      return 1;
    }
  }
  return 0;
}

// The cart's weight in grams; a line without a weight (null or absent)
// weighs nothing. Returns -1 on a malformed line.
static int cart_grams(const kj_doc* d, int lines, double* total, char* log, size_t log_cap) {
  unsigned index = 0;
  *total = 0;
  for (int line = kj_first(d, lines); line >= 0; line = kj_next(d, line), ++index) {
    int merchandise = kj_get(d, line, "merchandise");
    int weight = kj_get(d, merchandise, "weight");
    double value, grams;
    int64_t quantity;
    if (weight < 0 || kj_type_of(d, weight) == KJ_NULL) continue;
    if (!kj_double(d, weight, &value) || value < 0)
      return kiln_guest_fail(log, log_cap, "cart.lines[%u].merchandise.weight is not a number >= 0", index), -1;
    if (!grams_per_unit(d, kj_get(d, merchandise, "weightUnit"), &grams))
      return kiln_guest_fail(log, log_cap, "cart.lines[%u].merchandise.weightUnit is not a known unit", index), -1;
    if (!kj_int(d, kj_get(d, line, "quantity"), &quantity) || quantity < 0)
      return kiln_guest_fail(log, log_cap, "cart.lines[%u].quantity is not an integer >= 0", index), -1;
    *total += (double)quantity * value * grams;
  }
  return 0;
}

// Whether the group's address is in one of the hidden countries; a group
// without an address yet is in none.
static int country_hidden(const kj_doc* d, int group, const config* c) {
  size_t len;
  const char* country = kj_str(d, kj_get(d, kj_get(d, group, "deliveryAddress"), "countryCode"), &len);
  if (!country) return 0;
  for (int e = kj_first(d, c->countries); e >= 0; e = kj_next(d, e))
    if (kj_str_eq(d, e, country, len)) return 1;
  return 0;
}

static int filter(const kj_doc* d, kj_writer* out, char* log, size_t log_cap) {
  config c;
  double grams;
  if (kj_type_of(d, 0) != KJ_OBJECT) return kiln_guest_fail(log, log_cap, "input must be a JSON object");
  if (read_config(d, &c, log, log_cap)) return 1;
  int cart = kj_get(d, 0, "cart");
  int lines = kj_get(d, cart, "lines"), groups = kj_get(d, cart, "deliveryGroups");
  if (kj_type_of(d, lines) != KJ_ARRAY) return kiln_guest_fail(log, log_cap, "input has no array cart.lines");
  if (kj_type_of(d, groups) != KJ_ARRAY) return kiln_guest_fail(log, log_cap, "input has no array cart.deliveryGroups");
  if (cart_grams(d, lines, &grams, log, log_cap)) return 1;
  int too_heavy = c.max_grams >= 0 && grams > c.max_grams;

  kjw_begin_object(out);
  kjw_key(out, "operations");
  kjw_begin_array(out);
  unsigned index = 0, options = 0, hidden = 0;
  for (int group = kj_first(d, groups); group >= 0; group = kj_next(d, group), ++index) {
    int list = kj_get(d, group, "deliveryOptions");
    if (kj_type_of(d, list) != KJ_ARRAY)
      return kiln_guest_fail(log, log_cap, "cart.deliveryGroups[%u].deliveryOptions is not an array", index);
    int hide_group = too_heavy || country_hidden(d, group, &c);
    for (int option = kj_first(d, list); option >= 0; option = kj_next(d, option)) {
      size_t handle_len, title_len = 0;
      const char* handle = kj_str(d, kj_get(d, option, "handle"), &handle_len);
      const char* title = kj_str(d, kj_get(d, option, "title"), &title_len);
      ++options;
      if (!handle)
        return kiln_guest_fail(log, log_cap, "cart.deliveryGroups[%u]: a delivery option has no string handle", index);
      if (!hide_group || (c.title && !contains(title ? title : "", title_len, c.title, c.title_len))) continue;
      kjw_begin_object(out);
      kjw_key(out, "hide");
      kjw_begin_object(out);
      kjw_key(out, "deliveryOptionHandle");
      kjw_string(out, handle, handle_len);
      kjw_end_object(out);
      kjw_end_object(out);
      ++hidden;
    }
  }
  kjw_end_array(out);
  kjw_end_object(out);
  snprintf(log, log_cap, "%u options, %u hidden, cart %.0f g", options, hidden, grams);
  return 0;
}

int shipping_filter_run(const char* input, size_t input_len, kj_writer* out, char* log, size_t log_cap) {
  kj_doc doc;
  int rc;
  if (!kj_parse(&doc, input, input_len))
    rc = kiln_guest_fail(log, log_cap, "input is not valid JSON: %s at byte %zu", doc.error, doc.error_at);
  else
    rc = filter(&doc, out, log, log_cap);
  kj_free(&doc);
  return rc;
}
