// Version 1 of an extension, for redeploy, rollback, canary and draining
// tests. An input with "sleep_ms":N sleeps that long first (a long call
// that a redeploy must not interrupt).
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int main(void) {
  static char input[4096];
  size_t n = fread(input, 1, sizeof input - 1, stdin);
  input[n] = 0;
  char rest;
  while (fread(&rest, 1, 1, stdin) > 0) {  // what did not fit is read and dropped
  }
  const char* sleep_ms = strstr(input, "\"sleep_ms\":");
  if (sleep_ms) {
    long ms = atol(sleep_ms + strlen("\"sleep_ms\":"));
    struct timespec pause = {ms / 1000, (ms % 1000) * 1000000};
    nanosleep(&pause, NULL);
  }
  printf("{\"result\":1}");
  return 0;
}
