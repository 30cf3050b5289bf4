// Sleeps for argv[1] milliseconds, then prints "awake".
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int main(int argc, char** argv) {
  long ms = argc > 1 ? atol(argv[1]) : 0;
  struct timespec sleep = {ms / 1000, (ms % 1000) * 1000000};
  if (nanosleep(&sleep, NULL) != 0) return 1;
  printf("awake\n");
  return 0;
}
