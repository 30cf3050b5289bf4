// A guest for the embedding examples (embed_c.c, embed_cpp.cc): the
// discount step of a checkout. The host writes the cart as text,
// "<customer tier> <total in cents>", into guest memory (through
// kiln_alloc) and calls discount(pointer, length); the guest asks the host
// for the tier's rate (an import, env.tier_rate), prints what it decided
// (captured per call) and returns the discount in cents.
#include <stdint.h>
#include <stdio.h>

__attribute__((import_module("env"), import_name("tier_rate"))) int32_t tier_rate(int32_t tier);

// A bump allocator over a static arena: enough for one input per call, and
// an instance pool puts memory back as it was between callers.
static uint8_t arena[64 * 1024];
static uint32_t arena_used;

__attribute__((export_name("kiln_alloc"))) uint8_t* kiln_alloc(uint32_t size) {
  uint32_t start = (arena_used + 7u) & ~7u;
  if (size > sizeof arena - start) return 0;
  arena_used = start + size;
  return arena + start;
}

// Reads a decimal number at *at, moving past it and any spaces after it.
static int64_t read_number(const char* text, uint32_t length, uint32_t* at) {
  int64_t value = 0;
  while (*at < length && text[*at] >= '0' && text[*at] <= '9') value = value * 10 + (text[(*at)++] - '0');
  while (*at < length && text[*at] == ' ') ++*at;
  return value;
}

__attribute__((export_name("discount"))) int32_t discount(const char* cart, uint32_t length) {
  uint32_t at = 0;
  int32_t tier = (int32_t)read_number(cart, length, &at);
  int64_t total = read_number(cart, length, &at);
  int32_t rate = tier_rate(tier);
  int64_t off = total * rate / 100;
  printf("tier %d: %d%% off %lld cents\n", tier, rate, (long long)total);
  fflush(stdout);
  return (int32_t)off;
}

// For typed handles: the smallest useful export.
__attribute__((export_name("add_one"))) int32_t add_one(int32_t x) { return x + 1; }

// Remembers a number across calls of one instance (a pool resets it).
static int32_t remembered;
__attribute__((export_name("remember"))) int32_t remember(int32_t x) {
  int32_t previous = remembered;
  remembered = x;
  return previous;
}

int main(void) { return 0; }
