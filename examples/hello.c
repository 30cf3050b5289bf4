// A sample guest: greets its arguments and reports what it read on stdin.
// Built with clang --target=wasm32-wasi; run with `kiln run hello.wasm -- NAME`.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char** argv) {
  const char* who = argc > 1 ? argv[1] : "world";
  printf("hello, %s, from WebAssembly\n", who);

  const char* greeting = getenv("GREETING");
  if (greeting) printf("GREETING=%s\n", greeting);

  if (argc > 2 && strcmp(argv[2], "--count-stdin") == 0) {
    size_t bytes = 0, lines = 0;
    int c;
    while ((c = getchar()) != EOF) {
      ++bytes;
      if (c == '\n') ++lines;
    }
    printf("stdin: %zu bytes, %zu lines\n", bytes, lines);
  }
  return 0;
}
