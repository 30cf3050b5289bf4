// Prints a line without flushing it, then exits with the code in argv[1]
// through exit(), which flushes stdout and ends in proc_exit.
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char** argv) {
  printf("exiting with %s", argc > 1 ? argv[1] : "nothing");
  if (argc < 2) return 99;
  exit(atoi(argv[1]));
}
