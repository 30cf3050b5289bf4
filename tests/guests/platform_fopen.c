// An extension that opens a file: it imports path_open, which the default
// import rules (WASI without files or sockets) forbid.
#include <stdio.h>

int main(void) {
  FILE* file = fopen("/etc/passwd", "r");
  printf("{\"result\":%d}", file ? 1 : 0);
  return 0;
}
