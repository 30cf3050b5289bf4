// poll() on stdin and stdout with a long timeout: both are ready at once
// (input in memory never makes a reader wait), so the call returns at once.
#include <poll.h>
#include <stdio.h>
#include <unistd.h>

int main(void) {
  struct pollfd fds[2] = {{0, POLLIN, 0}, {1, POLLOUT, 0}};
  int ready = poll(fds, 2, 60 * 1000);
  char buf[16];
  ssize_t n = read(0, buf, sizeof buf);
  printf("ready=%d stdin=%s stdout=%s read=%zd\n", ready, (fds[0].revents & POLLIN) ? "in" : "-",
         (fds[1].revents & POLLOUT) ? "out" : "-", n);
  return 0;
}
