// A wasi-command extension for the combine tests (several extensions at
// one extension point). What it does comes from its config, which the host
// appends to the input as its last member, "config":{...}:
//   "act":"add" (or none)  reads the input's "total" (0 without one) and
//                          writes {"total":T+amount,"discounts":[{"tag":TAG,
//                          "amount":amount}],"meta":{TAG:amount,"by":TAG}}
//   "act":"trap"           traps (unreachable)
//   "act":"spin"           loops until fuel or time runs out
//   "act":"notjson"        writes text that is not JSON
//   "act":"exit3"          logs a line and exits with 3
//   "act":"burn"           spins `amount` thousand rounds first, then adds
//   "act":"scalar"         writes {"total":"not a number","discounts":5,"meta":[]}
// with "amount":N (default 1) and "tag":"TAG" (default "x"). Every run logs
// "TAG ran". No JSON parser: the fields are found by substring search.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char input[1 << 16];
volatile long burned;  // what "burn" adds up: volatile, so the loop stays

// The text after the last `"key":` (the config's, being last), or null.
static const char* last_value(const char* key) {
  char pattern[32];
  snprintf(pattern, sizeof pattern, "\"%s\":", key);
  const char* found = 0;
  for (const char* at = strstr(input, pattern); at; at = strstr(at + 1, pattern)) found = at;
  return found ? found + strlen(pattern) : 0;
}

static int starts(const char* value, const char* text) { return value && strncmp(value, text, strlen(text)) == 0; }

int main(void) {
  size_t n = fread(input, 1, sizeof input - 1, stdin);
  input[n] = 0;
  const char* act = last_value("act");
  const char* amount_at = last_value("amount");
  const char* tag_at = last_value("tag");
  long amount = amount_at ? strtol(amount_at, 0, 10) : 1;
  char tag[32] = "x";
  if (tag_at && *tag_at == '"') sscanf(tag_at + 1, "%31[^\"]", tag);
  fprintf(stderr, "%s ran\n", tag);

  if (starts(act, "\"trap\"")) __builtin_trap();
  if (starts(act, "\"spin\"")) {
    volatile unsigned counter = 0;
    for (;;) ++counter;
  }
  if (starts(act, "\"notjson\"")) {
    printf("this is not JSON");
    return 0;
  }
  if (starts(act, "\"exit3\"")) {
    fprintf(stderr, "giving up\n");
    return 3;
  }
  if (starts(act, "\"scalar\"")) {
    printf("{\"total\":\"not a number\",\"discounts\":5,\"meta\":[]}");
    return 0;
  }
  if (starts(act, "\"burn\"")) {
    for (long i = 0; i < amount * 1000; ++i) burned += i;
  }
  // The input's own "total" is its first one: the config has none.
  const char* total_at = strstr(input, "\"total\":");
  long total = total_at ? strtol(total_at + 8, 0, 10) : 0;
  printf("{\"total\":%ld,\"discounts\":[{\"tag\":\"%s\",\"amount\":%ld}],\"meta\":{\"%s\":%ld,\"by\":\"%s\"}}",
         total + amount, tag, amount, tag, amount, tag);
  return 0;
}
