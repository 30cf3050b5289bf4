// The product_discount guest on Shopify's shopify_function_v1 API
// (shopify_function_v1.h): the same discount as discount.c, with no parser.
// The input's values are read through handles, one provider call each, and
// the output is written value by value; the provider turns it into
// MessagePack. Config comes as the input's "config" member, as the platform
// splices it. Bad input: the reason on stderr, exit code 1.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shopify_function_v1.h"

typedef struct {
  sfv1_context c;
  sfv1_interned merchandise, product, tags, id, quantity, cart_line;  // keys met once per line
} run;

// A string key looked up once: passed as bytes, no interning.
static sfv1_val prop(const run* r, sfv1_val obj, const char* key) {
  return shopify_function_input_get_obj_prop(r->c, obj, key, (uint32_t)strlen(key));
}

static int fail(const char* reason, unsigned line) {
  fprintf(stderr, "error: ");
  fprintf(stderr, reason, line);
  fprintf(stderr, "\n");
  return 1;
}

// The bytes of string `v` in a buffer of the caller's, NUL-terminated; NULL
// if `v` is no string or does not fit.
static const char* read_string(const run* r, sfv1_val v, char* buf, size_t cap, uint32_t* len) {
  if (sfv1_tag_of(v) != SFV1_STRING) return NULL;
  *len = sfv1_len(r->c, v);
  if (*len >= cap) return NULL;
  shopify_function_input_read_utf8_str(r->c, sfv1_ref(v), buf, *len);
  buf[*len] = 0;
  return buf;
}

static void write_key(const run* r, const char* key) {
  shopify_function_output_new_utf8_str(r->c, key, (uint32_t)strlen(key));
}

// As discount.c: a decimal string of two places at most, at least one.
static void format_percentage(double value, char* out, size_t cap) {
  int n = snprintf(out, cap, "%.2f", value);
  while (n > 0 && out[n - 1] == '0' && out[n - 2] != '.') out[--n] = 0;
}

// 1 if the line's product has the tag, 0 if not (or the line is no product
// variant), -1 if its tags are not an array. Tags of another length are
// never copied out of the provider.
static int has_tag(const run* r, sfv1_val line, const char* tag, uint32_t tag_len) {
  sfv1_val merchandise = shopify_function_input_get_interned_obj_prop(r->c, line, r->merchandise);
  sfv1_val product = shopify_function_input_get_interned_obj_prop(r->c, merchandise, r->product);
  sfv1_val tags = shopify_function_input_get_interned_obj_prop(r->c, product, r->tags);
  enum sfv1_tag kind = sfv1_tag_of(tags);
  if (kind == SFV1_NULL || kind == SFV1_ERROR) return 0;  // absent, or merchandise/product absent
  if (kind != SFV1_ARRAY) return -1;
  uint32_t count = sfv1_len(r->c, tags);
  char buf[256];
  for (uint32_t i = 0; i < count; ++i) {
    sfv1_val t = shopify_function_input_get_at_index(r->c, tags, i);
    if (sfv1_tag_of(t) != SFV1_STRING || sfv1_len(r->c, t) != tag_len) continue;
    uint32_t len;
    if (read_string(r, t, buf, sizeof buf, &len) && memcmp(buf, tag, len) == 0) return 1;
  }
  return 0;
}

typedef struct {
  sfv1_val id;
  int32_t quantity;
} target;

static void write_target(const run* r, const target* t) {
  char id[1024];
  uint32_t id_len = 0;
  read_string(r, t->id, id, sizeof id, &id_len);
  shopify_function_output_new_object(r->c, 1);
  shopify_function_output_new_interned_utf8_str(r->c, r->cart_line);
  shopify_function_output_new_object(r->c, 2);
  shopify_function_output_new_interned_utf8_str(r->c, r->id);
  shopify_function_output_new_utf8_str(r->c, id, id_len);
  shopify_function_output_new_interned_utf8_str(r->c, r->quantity);
  shopify_function_output_new_i32(r->c, t->quantity);
  shopify_function_output_finish_object(r->c);
  shopify_function_output_finish_object(r->c);
}

static sfv1_interned intern(sfv1_context c, const char* s) {
  return shopify_function_intern_utf8_str(c, s, (uint32_t)strlen(s));
}

int main(void) {
  run r;
  r.c = shopify_function_context_new();
  r.merchandise = intern(r.c, "merchandise");
  r.product = intern(r.c, "product");
  r.tags = intern(r.c, "tags");
  r.id = intern(r.c, "id");
  r.quantity = intern(r.c, "quantity");
  r.cart_line = intern(r.c, "cartLine");

  sfv1_val input = shopify_function_input_get(r.c);
  if (sfv1_tag_of(input) != SFV1_OBJECT) return fail("input must be a JSON object", 0);
  sfv1_val config = prop(&r, input, "config");
  if (sfv1_tag_of(config) != SFV1_OBJECT) return fail("input has no \"config\" object", 0);
  char tag[256];
  uint32_t tag_len = 0;
  if (!read_string(&r, prop(&r, config, "tag"), tag, sizeof tag, &tag_len) || tag_len == 0)
    return fail("config.tag must be a non-empty string", 0);
  sfv1_val percentage_value = prop(&r, config, "percentage");
  double percentage = sfv1_number(percentage_value);
  if (sfv1_tag_of(percentage_value) != SFV1_NUMBER || !(percentage >= 0.01 && percentage <= 100))
    return fail("config.percentage must be a number from 0.01 to 100", 0);
  char percentage_text[24];
  format_percentage(percentage, percentage_text, sizeof percentage_text);
  sfv1_val message = prop(&r, config, "message");
  int has_message = sfv1_tag_of(message) != SFV1_NULL;
  if (has_message && sfv1_tag_of(message) != SFV1_STRING) return fail("config.message must be a string", 0);
  sfv1_val lines = prop(&r, prop(&r, input, "cart"), "lines");
  if (sfv1_tag_of(lines) != SFV1_ARRAY) return fail("input has no array cart.lines", 0);

  // MessagePack arrays carry their length first: find the targets, then write.
  uint32_t count = sfv1_len(r.c, lines), discounted = 0;
  target* targets = malloc(sizeof(target) * (count ? count : 1));
  if (!targets) return fail("out of memory", 0);
  for (uint32_t i = 0; i < count; ++i) {
    sfv1_val line = shopify_function_input_get_at_index(r.c, lines, i);
    int hit = has_tag(&r, line, tag, tag_len);
    if (hit < 0) return fail("cart.lines[%u].merchandise.product.tags is not an array", i);
    if (!hit) continue;
    sfv1_val id = shopify_function_input_get_interned_obj_prop(r.c, line, r.id);
    if (sfv1_tag_of(id) != SFV1_STRING) return fail("cart.lines[%u].id is not a string", i);
    sfv1_val quantity_value = shopify_function_input_get_interned_obj_prop(r.c, line, r.quantity);
    double quantity = sfv1_number(quantity_value);
    if (sfv1_tag_of(quantity_value) != SFV1_NUMBER || !(quantity >= 1 && quantity <= 2147483647.0) ||
        quantity != (double)(int32_t)quantity)
      return fail("cart.lines[%u].quantity is not a positive integer", i);
    targets[discounted].id = id;
    targets[discounted].quantity = (int32_t)quantity;
    ++discounted;
  }

  shopify_function_output_new_object(r.c, 2);
  write_key(&r, "discountApplicationStrategy");
  write_key(&r, "FIRST");
  write_key(&r, "discounts");
  shopify_function_output_new_array(r.c, discounted ? 1 : 0);
  if (discounted) {
    shopify_function_output_new_object(r.c, has_message ? 3 : 2);
    if (has_message) {
      char text[1024];
      uint32_t len = 0;
      if (!read_string(&r, message, text, sizeof text, &len)) return fail("config.message is too long", 0);
      write_key(&r, "message");
      shopify_function_output_new_utf8_str(r.c, text, len);
    }
    write_key(&r, "targets");
    shopify_function_output_new_array(r.c, discounted);
    for (uint32_t i = 0; i < discounted; ++i) write_target(&r, &targets[i]);
    shopify_function_output_finish_array(r.c);
    write_key(&r, "value");
    shopify_function_output_new_object(r.c, 1);
    write_key(&r, "percentage");
    shopify_function_output_new_object(r.c, 1);
    write_key(&r, "value");
    shopify_function_output_new_utf8_str(r.c, percentage_text, (uint32_t)strlen(percentage_text));
    shopify_function_output_finish_object(r.c);
    shopify_function_output_finish_object(r.c);
    shopify_function_output_finish_object(r.c);
  }
  shopify_function_output_finish_array(r.c);
  shopify_function_output_finish_object(r.c);
  free(targets);
  if (shopify_function_output_finalize(r.c) != 0) return fail("the provider refused the output", 0);
  return 0;
}
