// FNV-1a over a generated buffer, many passes: byte loads and multiplies.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

// Volatile inputs: the compiler cannot precompute the result.
static volatile uint32_t seed_input = 0x9e3779b9u;
static volatile int passes_input = 24;

enum { kBufferBytes = 1 << 20 };

static void fill(uint8_t* buffer, uint32_t state) {
  for (int i = 0; i < kBufferBytes; ++i) {
    state ^= state << 13;
    state ^= state >> 17;
    state ^= state << 5;
    buffer[i] = (uint8_t)state;
  }
}

static uint64_t fnv1a(const uint8_t* data, int size, uint64_t hash) {
  for (int i = 0; i < size; ++i) hash = (hash ^ data[i]) * 0x100000001b3ull;
  return hash;
}

int main(void) {
  uint8_t* buffer = malloc(kBufferBytes);
  if (buffer == NULL) return 1;
  fill(buffer, seed_input);
  uint64_t hash = 0xcbf29ce484222325ull;
  int passes = passes_input;
  for (int pass = 0; pass < passes; ++pass) hash = fnv1a(buffer, kBufferBytes, hash + (uint64_t)pass);
  printf("fnv1a x%d = %016llx\n", passes, (unsigned long long)hash);
  free(buffer);
  return 0;
}
