// Allocates 64 KiB blocks until malloc fails, then prints how many bytes it
// got. Under a memory cap the total stays below the cap and the guest ends
// normally: malloc sees memory.grow return -1. The blocks are chained and
// counted back, so the compiler cannot drop the allocations.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { kBlockBytes = 64 * 1024 };

struct block {
  struct block* next;
  char fill[kBlockBytes - sizeof(struct block*)];
};

int main(void) {
  struct block* chain = NULL;
  for (;;) {
    struct block* b = malloc(sizeof *b);
    if (b == NULL) break;
    memset(b->fill, 1, sizeof b->fill);  // touch it, so it is really there
    b->next = chain;
    chain = b;
  }
  unsigned long long total = 0;
  for (struct block* b = chain; b != NULL; b = b->next) total += sizeof *b;
  printf("allocated %llu bytes\n", total);
  return 0;
}
