// Prints 32 random bytes in hex, from getentropy (random_get).
#include <stdio.h>
#include <unistd.h>

int main(void) {
  unsigned char bytes[32];
  if (getentropy(bytes, sizeof bytes) != 0) return 1;
  for (size_t i = 0; i < sizeof bytes; ++i) printf("%02x", bytes[i]);
  printf("\n");
  return 0;
}
