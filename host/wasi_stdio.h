// Where a guest's standard streams lead. Two kinds, chosen by
// WasiConfig::stdio: the process's own fds 0/1/2 (the CLI), or memory
// (embedding: input from a string, output into capped buffers).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "host/wasi_errno.h"
#include "host/wasi_memory.h"

namespace kiln::host::wasi {

enum class StdStream : uint8_t { In = 0, Out = 1, Err = 2 };

using TimePoint = std::chrono::steady_clock::time_point;
// A time to stop waiting at; nullopt waits as long as it takes.
using WaitLimit = std::optional<TimePoint>;

struct IoResult {
  Errno error = Errno::Success;
  uint64_t bytes = 0;      // transferred, when error is Success
  bool timed_out = false;  // no input came before the wait limit
};

struct Readiness {
  bool ready = false;    // a read would not block
  uint64_t nbytes = 0;   // bytes known to be available (0 if unknown)
  bool hangup = false;   // the writer is gone: reads return end of file
};

class Stdio {
 public:
  virtual ~Stdio() = default;

  // Reads standard input into `iovs`, waiting for input until `limit`.
  virtual IoResult read(const IovecList& iovs, WaitLimit limit) = 0;
  // Writes all of `iovs` to `stream` (Out or Err).
  virtual IoResult write(StdStream stream, const IovecList& iovs) = 0;
  // Waits until standard input is readable or `limit` passes.
  virtual Readiness wait_readable(WaitLimit limit) = 0;

  // What the guest wrote to Out or Err; empty unless output is captured.
  virtual std::string_view captured(StdStream) const { return {}; }
  // Output bytes beyond the cap, dropped; 0 unless output is captured.
  virtual uint64_t dropped_bytes() const { return 0; }
};

std::unique_ptr<Stdio> make_inherited_stdio();
// `input` must outlive the Stdio (it is the WasiConfig's stdin_data).
std::unique_ptr<Stdio> make_buffered_stdio(std::string_view input, uint64_t max_output_bytes);

}  // namespace kiln::host::wasi
