// Standard streams in memory, for embedders: no syscalls, nothing shared
// with the host process. Output is capped so that a guest printing in a loop
// cannot make the host allocate without bound; what is beyond the cap is
// dropped and counted, and the guest is still told it was written (a guest
// that saw short writes would retry forever).
#include <algorithm>

#include "host/wasi_stdio.h"

namespace kiln::host::wasi {

namespace {

class BufferedStdio final : public Stdio {
 public:
  BufferedStdio(std::string_view input, uint64_t max_output_bytes)
      : input_(input), max_output_bytes_(max_output_bytes) {}

  IoResult read(const IovecList& iovs, WaitLimit) override {
    uint64_t copied = 0;
    for (uint32_t i = 0; i < iovs.size() && read_pos_ < input_.size(); ++i) {
      std::span<uint8_t> buf = iovs[i];
      size_t n = std::min(buf.size(), input_.size() - read_pos_);
      std::copy_n(input_.data() + read_pos_, n, buf.data());
      read_pos_ += n;
      copied += n;
    }
    return {.bytes = copied};
  }

  IoResult write(StdStream stream, const IovecList& iovs) override {
    std::string& out = stream == StdStream::Out ? out_ : err_;
    for (uint32_t i = 0; i < iovs.size(); ++i) append_capped(out, iovs[i]);
    return {.bytes = iovs.total_bytes()};
  }

  // Input in memory never makes a reader wait.
  Readiness wait_readable(WaitLimit) override {
    uint64_t left = input_.size() - read_pos_;
    return {.ready = true, .nbytes = left, .hangup = left == 0};
  }

  std::string_view captured(StdStream stream) const override {
    if (stream == StdStream::Out) return out_;
    if (stream == StdStream::Err) return err_;
    return {};
  }
  uint64_t dropped_bytes() const override { return dropped_; }

 private:
  void append_capped(std::string& out, std::span<const uint8_t> data) {
    uint64_t room = max_output_bytes_ - std::min<uint64_t>(out.size(), max_output_bytes_);
    size_t kept = static_cast<size_t>(std::min<uint64_t>(room, data.size()));
    out.append(reinterpret_cast<const char*>(data.data()), kept);
    dropped_ += data.size() - kept;
  }

  std::string_view input_;
  size_t read_pos_ = 0;
  std::string out_;
  std::string err_;
  uint64_t max_output_bytes_;
  uint64_t dropped_ = 0;
};

}  // namespace

std::unique_ptr<Stdio> make_buffered_stdio(std::string_view input, uint64_t max_output_bytes) {
  return std::make_unique<BufferedStdio>(input, max_output_bytes);
}

}  // namespace kiln::host::wasi
