// Writes argv[1] bytes of 'x' to stdout in 4 KiB writes, then reports on
// stderr how many bytes the writes said they wrote: all of them, even past
// the host's output cap.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char** argv) {
  long total = argc > 1 ? atol(argv[1]) : 0;
  char chunk[4096];
  memset(chunk, 'x', sizeof chunk);
  long written = 0;
  while (written < total) {
    size_t n = total - written < (long)sizeof chunk ? (size_t)(total - written) : sizeof chunk;
    ssize_t put = write(1, chunk, n);
    if (put <= 0) return 1;
    written += put;
  }
  fprintf(stderr, "wrote %ld\n", written);
  return 0;
}
