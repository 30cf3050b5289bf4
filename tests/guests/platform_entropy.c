// A wasi-command extension whose output depends on the clock and the random
// source, for the replay tests: {"time": <realtime ns>, "random": "<hex>"}.
// With "mode":"spin" in its input it loops until fuel or time runs out,
// reading the clock as it goes.
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static char input[1 << 16];

int main(void) {
  size_t n = fread(input, 1, sizeof input - 1, stdin);
  input[n] = 0;
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  unsigned char bytes[8];
  if (getentropy(bytes, sizeof bytes) != 0) return 1;
  if (strstr(input, "\"mode\":\"spin\"")) {
    volatile unsigned long sum = 0;
    for (;;) sum += (unsigned long)now.tv_nsec++;
  }
  printf("{\"time\":%lld%09ld,\"random\":\"", (long long)now.tv_sec, now.tv_nsec);
  for (size_t i = 0; i < sizeof bytes; ++i) printf("%02x", bytes[i]);
  printf("\"}");
  return 0;
}
