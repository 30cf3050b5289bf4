// Sieve of Eratosthenes, repeated: byte stores and strided loops.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// Volatile inputs: the compiler cannot precompute the result.
static volatile int limit_input = 1000000;
static volatile int rounds_input = 4;

static unsigned count_primes(unsigned char* composite, int limit) {
  memset(composite, 0, (size_t)limit + 1);
  unsigned count = 0;
  for (int i = 2; i <= limit; ++i) {
    if (composite[i]) continue;
    ++count;
    for (long long j = (long long)i * i; j <= limit; j += i) composite[j] = 1;
  }
  return count;
}

int main(void) {
  int limit = limit_input;
  unsigned char* composite = malloc((size_t)limit + 1);
  if (composite == NULL) return 1;
  unsigned checksum = 0;
  for (int round = 0; round < rounds_input; ++round) checksum = checksum * 31 + count_primes(composite, limit - round);
  printf("sieve(%d) checksum = %u\n", limit, checksum);
  free(composite);
  return 0;
}
