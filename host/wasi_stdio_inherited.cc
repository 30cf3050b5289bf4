// Standard streams that are the process's own fds 0/1/2, for the CLI: the
// guest's output streams to the terminal or pipe as it is written. Guest
// buffers go straight to readv/writev; no copy.
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <ctime>

#include "host/wasi_stdio.h"

namespace kiln::host::wasi {

namespace {

// iovecs handed to one readv/writev: a few dozen covers what stdio
// libraries pass (wasi-libc passes two) without a heap allocation.
constexpr uint32_t kBatch = 64;

struct Batch {
  iovec vec[kBatch];
  int count = 0;
};

// Up to kBatch buffers of `iovs` from index `next` on; advances `next`.
Batch next_batch(const IovecList& iovs, uint32_t& next) {
  Batch batch;
  for (; next < iovs.size() && batch.count < static_cast<int>(kBatch); ++next) {
    std::span<uint8_t> buf = iovs[next];
    batch.vec[batch.count++] = {buf.data(), buf.size()};
  }
  return batch;
}

// Drops the first `n` bytes from the iovecs at `vec`.
void consume(iovec*& vec, int& count, size_t n) {
  for (; count > 0 && n >= vec->iov_len; --count, ++vec) n -= vec->iov_len;
  if (count == 0) return;
  vec->iov_base = static_cast<char*>(vec->iov_base) + n;
  vec->iov_len -= n;
}

// Waits for `fd` to be writable; a nonblocking host fd reports EAGAIN
// where a blocking one would have waited.
void wait_writable(int fd) {
  pollfd p{fd, POLLOUT, 0};
  while (poll(&p, 1, -1) < 0 && errno == EINTR) {
  }
}

// Writes every byte of `batch`, riding out short writes, EINTR and EAGAIN,
// so a guest never sees a partial write it did not cause. Adds what was
// written to `written` even when it fails midway.
Errno write_fully(int fd, Batch& batch, uint64_t& written) {
  iovec* vec = batch.vec;
  int count = batch.count;
  while (count > 0) {
    ssize_t n = writev(fd, vec, count);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      wait_writable(fd);
      continue;
    }
    if (n < 0) return to_wasi_errno(errno);
    written += static_cast<uint64_t>(n);
    consume(vec, count, static_cast<size_t>(n));
  }
  return Errno::Success;
}

// ppoll's relative timeout until `limit`; null waits without end.
const timespec* timeout_until(WaitLimit limit, timespec& storage) {
  if (!limit) return nullptr;
  auto left = std::max(*limit - std::chrono::steady_clock::now(), TimePoint::duration::zero());
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(left).count();
  storage = {static_cast<time_t>(ns / 1'000'000'000), static_cast<long>(ns % 1'000'000'000)};
  return &storage;
}

uint64_t bytes_available(int fd) {
  int n = 0;
  return ioctl(fd, FIONREAD, &n) == 0 && n > 0 ? static_cast<uint64_t>(n) : 0;
}

// Waits until stdin is readable and returns its poll events, or nullopt if
// `limit` passed first. An error (or POLLNVAL: fd 0 is closed) counts as
// readable: the read reports it.
std::optional<short> wait_for_input(WaitLimit limit) {
  pollfd p{STDIN_FILENO, POLLIN, 0};
  for (;;) {
    timespec storage;
    int n = ppoll(&p, 1, timeout_until(limit, storage), nullptr);
    if (n < 0 && errno == EINTR) continue;
    if (n == 0) return std::nullopt;
    return p.revents;
  }
}

class InheritedStdio final : public Stdio {
 public:
  IoResult read(const IovecList& iovs, WaitLimit limit) override {
    if (!wait_for_input(limit)) return {.timed_out = true};
    uint32_t next = 0;
    Batch batch = next_batch(iovs, next);  // a short read is a valid read
    for (;;) {
      ssize_t n = readv(STDIN_FILENO, batch.vec, batch.count);
      if (n >= 0) return {.bytes = static_cast<uint64_t>(n)};
      if (errno != EINTR) return {.error = to_wasi_errno(errno)};
    }
  }

  IoResult write(StdStream stream, const IovecList& iovs) override {
    int fd = stream == StdStream::Err ? STDERR_FILENO : STDOUT_FILENO;
    uint64_t written = 0;
    for (uint32_t next = 0; next < iovs.size();) {
      Batch batch = next_batch(iovs, next);
      Errno error = write_fully(fd, batch, written);
      // As write(2): bytes already written are reported, the error is not.
      if (error != Errno::Success) return written ? IoResult{.bytes = written} : IoResult{.error = error};
    }
    return {.bytes = written};
  }

  Readiness wait_readable(WaitLimit limit) override {
    std::optional<short> revents = wait_for_input(limit);
    if (!revents) return {};
    bool hangup = (*revents & POLLHUP) && !(*revents & POLLIN);
    return {.ready = true, .nbytes = bytes_available(STDIN_FILENO), .hangup = hangup};
  }
};

}  // namespace

std::unique_ptr<Stdio> make_inherited_stdio() { return std::make_unique<InheritedStdio>(); }

}  // namespace kiln::host::wasi
