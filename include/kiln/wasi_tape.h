// WasiTape: what a guest got from the clocks and the random source, in the
// order it asked. Recorded on one call and played back on another, so that
// a replay (docs/replay.md) sees exactly what the original call saw: the
// same times, the same random bytes, hence the same path through the guest.
//
// A Store's WASI context uses its tape (WasiConfig::tape) for
// clock_time_get, random_get and the clock reads of poll_oneoff. Without a
// tape the host's clocks and kernel randomness are read directly.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "kiln/result.h"

namespace kiln::host {

struct TapeEvent {
  enum class Kind : uint8_t { Clock, Random };
  Kind kind = Kind::Clock;
  uint32_t clock_id = 0;  // Clock: the WASI clock id
  uint64_t time = 0;      // Clock: nanoseconds
  std::string bytes;      // Random: what the guest got
};

class WasiTape {
 public:
  enum class Mode { Record, Replay };

  // Appends every value the guest reads.
  static std::shared_ptr<WasiTape> recording();
  // Serves `events` in order; a read that does not match the next event
  // (another kind, another clock, another length) or comes after the last
  // is an error: the guest took a different path than the recording.
  static std::shared_ptr<WasiTape> replaying(std::vector<TapeEvent> events);

  Mode mode() const { return mode_; }
  // A copy of the events so far (recorded, or the whole tape when replaying).
  std::vector<TapeEvent> events() const;

  // Clock `id` now. Record: `live` is the host's reading, appended and
  // returned. Replay: the recorded reading.
  Result<uint64_t> clock(uint32_t id, uint64_t live);
  // Fills `out` with random bytes. Record: `out` already holds the host's
  // bytes, which are appended. Replay: the recorded bytes are copied in.
  Result<void> random(std::span<uint8_t> out);

 private:
  explicit WasiTape(Mode mode, std::vector<TapeEvent> events = {});
  Result<const TapeEvent*> next(TapeEvent::Kind kind);

  const Mode mode_;
  mutable std::mutex mutex_;  // a guest calls from one thread; a reader may look from another
  std::vector<TapeEvent> events_;
  size_t next_ = 0;  // Replay: the next event to serve
};

}  // namespace kiln::host
