// Recursive Fibonacci: calls and returns, nothing else.
#include <stdio.h>

static volatile int n_input = 32;  // volatile: the compiler cannot fold fib(32)

static unsigned fib(int n) { return n < 2 ? (unsigned)n : fib(n - 1) + fib(n - 2); }

int main(void) {
  int n = n_input;
  printf("fib(%d) = %u\n", n, fib(n));
  return 0;
}
