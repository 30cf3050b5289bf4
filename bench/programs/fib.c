// Recursive Fibonacci: calls and returns, nothing else.
// Usage: fib [rounds]; each round computes fib(27). `kiln bench` also runs
// it with 0 rounds to measure what process start-up alone costs.
#include <stdio.h>
#include <stdlib.h>

// Volatile, and read every round: the compiler can neither fold fib(27) nor
// hoist it out of the loop.
static volatile int n_input = 27;

static unsigned fib(int n) { return n < 2 ? (unsigned)n : fib(n - 1) + fib(n - 2); }

int main(int argc, char** argv) {
  int rounds = argc > 1 ? atoi(argv[1]) : 40;
  unsigned checksum = 0;
  for (int round = 0; round < rounds; ++round) checksum = checksum * 31 + fib(n_input);
  printf("fib(%d) x%d checksum = %u\n", n_input, rounds, checksum);
  return 0;
}
