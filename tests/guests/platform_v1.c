// Version 1 of an extension, for redeploy and rollback tests.
#include <stdio.h>

int main(void) {
  char buffer[256];
  while (fread(buffer, 1, sizeof buffer, stdin) > 0) {
  }
  printf("{\"result\":1}");
  return 0;
}
