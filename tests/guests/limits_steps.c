// Reads a number of rounds from stdin and prints one line per round, each
// flushed at once, so a run stopped by fuel shows exactly how far it got.
// The work depends only on the input: fuel used is the same on every run.
#include <stdint.h>
#include <stdio.h>

static uint32_t mix(uint32_t state, int round) {
  for (int i = 0; i < 1000; ++i) state = state * 1664525u + 1013904223u + (uint32_t)round;
  return state;
}

int main(void) {
  int rounds = 0;
  if (scanf("%d", &rounds) != 1) return 2;
  uint32_t state = 1;
  for (int round = 0; round < rounds; ++round) {
    state = mix(state, round);
    printf("round %d: %08x\n", round, (unsigned)state);
    fflush(stdout);
  }
  return 0;
}
