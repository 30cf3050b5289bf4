// FNV-1a over a generated buffer: byte loads and 64-bit multiplies.
// Usage: hash [rounds]; each round hashes the whole 1 MiB buffer.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

// Volatile: the compiler cannot precompute the buffer or its hash.
static volatile uint32_t seed_input = 0x9e3779b9u;

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

int main(int argc, char** argv) {
  int rounds = argc > 1 ? atoi(argv[1]) : 32;
  uint8_t* buffer = malloc(kBufferBytes);
  if (buffer == NULL) return 1;
  fill(buffer, seed_input);
  uint64_t hash = 0xcbf29ce484222325ull;
  for (int round = 0; round < rounds; ++round) hash = fnv1a(buffer, kBufferBytes, hash + (uint64_t)round);
  printf("fnv1a x%d = %016llx\n", rounds, (unsigned long long)hash);
  free(buffer);
  return 0;
}
