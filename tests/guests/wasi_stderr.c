// Writes one line to stdout and one to stderr, interleaved with a flush.
#include <stdio.h>

int main(void) {
  fputs("to stdout\n", stdout);
  fflush(stdout);
  fputs("to stderr\n", stderr);
  return 0;
}
