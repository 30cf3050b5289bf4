// A wasi-command extension for the platform tests. It reads the input
// and acts on the first "mode" word it finds in it (a plain substring
// search, so that this guest needs no JSON parser):
//   "mode":"echo"      writes the input (config included) to stdout
//   "mode":"exit3"     logs a line and exits with 3
//   "mode":"trap"      traps (unreachable)
//   "mode":"spin"      loops until fuel or time runs out
//   "mode":"chatty"    writes 5,000 bytes of log, then {}
//   "mode":"notjson"   writes text that is not JSON
//   "mode":"badshape"  writes {"result":"wrong type"} (the schema wants a number)
//   "mode":"bigout"    writes 100,000 bytes of JSON
//   "mode":"grow"      asks for 64 MiB of memory and reports if it got it
//   "mode":"deep"      writes {"result":[[[...]]]} nested 5,000 deep
// anything else: {"result":1}
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char input[1 << 20];

int main(void) {
  size_t n = fread(input, 1, sizeof input - 1, stdin);
  input[n] = 0;
  if (strstr(input, "\"mode\":\"echo\"")) {
    fwrite(input, 1, n, stdout);
    fprintf(stderr, "echo: %zu bytes\n", n);
    return 0;
  }
  if (strstr(input, "\"mode\":\"exit3\"")) {
    fprintf(stderr, "giving up: bad cart\n");
    return 3;
  }
  if (strstr(input, "\"mode\":\"trap\"")) __builtin_trap();
  if (strstr(input, "\"mode\":\"spin\"")) {
    volatile unsigned counter = 0;
    for (;;) ++counter;
  }
  if (strstr(input, "\"mode\":\"chatty\"")) {
    for (int i = 0; i < 100; ++i) fprintf(stderr, "log line %03d: forty-nine bytes of log text......\n", i);
    printf("{}");
    return 0;
  }
  if (strstr(input, "\"mode\":\"notjson\"")) {
    printf("this is not JSON");
    return 0;
  }
  if (strstr(input, "\"mode\":\"badshape\"")) {
    printf("{\"result\":\"wrong type\"}");
    return 0;
  }
  if (strstr(input, "\"mode\":\"bigout\"")) {
    printf("{\"result\":1,\"pad\":\"");
    for (int i = 0; i < 100000; ++i) putchar('x');
    printf("\"}");
    return 0;
  }
  if (strstr(input, "\"mode\":\"deep\"")) {
    printf("{\"result\":");
    for (int i = 0; i < 5000; ++i) putchar('[');
    for (int i = 0; i < 5000; ++i) putchar(']');
    printf("}");
    return 0;
  }
  if (strstr(input, "\"mode\":\"grow\"")) {
    // Kept in a volatile so that the compiler cannot assume malloc succeeds.
    static char* volatile block;
    block = malloc(64 << 20);
    if (block) block[(64 << 20) - 1] = 1;
    printf("{\"result\":%d}", block ? 1 : 0);
    return 0;
  }
  printf("{\"result\":1}");
  return 0;
}
