// A program that expects a filesystem and finds none: opening, creating and
// listing all fail cleanly with an errno, and the program carries on.
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

int main(void) {
  FILE* f = fopen("/etc/passwd", "r");
  printf("fopen /etc/passwd: %s\n", f ? "opened" : strerror(errno));
  f = fopen("out.txt", "w");
  printf("fopen out.txt: %s\n", f ? "opened" : strerror(errno));
  DIR* dir = opendir(".");
  printf("opendir .: %s\n", dir ? "opened" : strerror(errno));
  return 0;
}
