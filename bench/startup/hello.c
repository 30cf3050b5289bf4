// The start-up benchmark's guest (`kiln bench --startup`): prints one line,
// so what is timed is starting a process that runs a module, nothing else.
#include <stdio.h>

int main(void) {
  puts("hello from a guest");
  return 0;
}
