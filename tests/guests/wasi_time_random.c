// Prints what it reads from the clocks and the random source, for the
// WASI tape tests: a replay must print exactly what the recording printed.
#include <stdio.h>
#include <time.h>
#include <unistd.h>

int main(void) {
  struct timespec real, mono;
  clock_gettime(CLOCK_REALTIME, &real);
  clock_gettime(CLOCK_MONOTONIC, &mono);
  unsigned char bytes[16];
  if (getentropy(bytes, sizeof bytes) != 0) return 1;
  printf("realtime %lld.%09ld\nmonotonic %lld.%09ld\nrandom ", (long long)real.tv_sec, real.tv_nsec,
         (long long)mono.tv_sec, mono.tv_nsec);
  for (size_t i = 0; i < sizeof bytes; ++i) printf("%02x", bytes[i]);
  printf("\n");
  return 0;
}
