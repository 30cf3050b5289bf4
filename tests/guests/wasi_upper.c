// Copies stdin to stdout in upper case, through a small buffer so that a
// large input takes many fd_read and fd_write calls.
#include <ctype.h>
#include <unistd.h>

int main(void) {
  char buf[1000];
  for (;;) {
    ssize_t n = read(0, buf, sizeof buf);
    if (n < 0) return 1;
    if (n == 0) return 0;
    for (ssize_t i = 0; i < n; ++i) buf[i] = (char)toupper((unsigned char)buf[i]);
    for (ssize_t done = 0; done < n;) {
      ssize_t put = write(1, buf + done, (size_t)(n - done));
      if (put <= 0) return 1;
      done += put;
    }
  }
}
