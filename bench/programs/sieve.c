// Sieve of Eratosthenes: byte stores and strided loops.
// Usage: sieve [rounds]; each round sieves up to about a million.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// Volatile: the compiler cannot precompute the counts.
static volatile int limit_input = 1000000;

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

int main(int argc, char** argv) {
  int rounds = argc > 1 ? atoi(argv[1]) : 12;
  int limit = limit_input;
  unsigned char* composite = malloc((size_t)limit + 1);
  if (composite == NULL) return 1;
  unsigned checksum = 0;
  for (int round = 0; round < rounds; ++round) checksum = checksum * 31 + count_primes(composite, limit - round);
  printf("sieve(%d) x%d checksum = %u\n", limit, rounds, checksum);
  free(composite);
  return 0;
}
