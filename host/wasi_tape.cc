#include "kiln/wasi_tape.h"

#include <algorithm>

namespace kiln::host {

namespace {

const char* describe(TapeEvent::Kind kind) { return kind == TapeEvent::Kind::Clock ? "a clock" : "random bytes"; }

}  // namespace

WasiTape::WasiTape(Mode mode, std::vector<TapeEvent> events) : mode_(mode), events_(std::move(events)) {}

std::shared_ptr<WasiTape> WasiTape::recording() { return std::shared_ptr<WasiTape>(new WasiTape(Mode::Record)); }

std::shared_ptr<WasiTape> WasiTape::replaying(std::vector<TapeEvent> events) {
  return std::shared_ptr<WasiTape>(new WasiTape(Mode::Replay, std::move(events)));
}

std::vector<TapeEvent> WasiTape::events() const {
  std::lock_guard lock(mutex_);
  return events_;
}

Result<const TapeEvent*> WasiTape::next(TapeEvent::Kind kind) {
  if (next_ >= events_.size()) {
    return make_error(ErrorKind::Trap, std::string("replay diverged: the guest read ") + describe(kind) +
                                           " after the last of the recording's " + std::to_string(events_.size()) +
                                           " values");
  }
  const TapeEvent& event = events_[next_];
  if (event.kind != kind) {
    return make_error(ErrorKind::Trap, std::string("replay diverged at value ") + std::to_string(next_ + 1) +
                                           ": the guest read " + describe(kind) + " where the recording has " +
                                           describe(event.kind));
  }
  ++next_;
  return &event;
}

Result<uint64_t> WasiTape::clock(uint32_t id, uint64_t live) {
  std::lock_guard lock(mutex_);
  if (mode_ == Mode::Record) {
    events_.push_back(TapeEvent{.kind = TapeEvent::Kind::Clock, .clock_id = id, .time = live});
    return live;
  }
  auto event = next(TapeEvent::Kind::Clock);
  if (!event) return event.error();
  if ((*event)->clock_id != id) {
    return make_error(ErrorKind::Trap, "replay diverged at value " + std::to_string(next_) + ": the guest read clock " +
                                           std::to_string(id) + " where the recording has clock " +
                                           std::to_string((*event)->clock_id));
  }
  return (*event)->time;
}

Result<void> WasiTape::random(std::span<uint8_t> out) {
  std::lock_guard lock(mutex_);
  if (mode_ == Mode::Record) {
    events_.push_back(TapeEvent{.kind = TapeEvent::Kind::Random,
                                .bytes = std::string(reinterpret_cast<const char*>(out.data()), out.size())});
    return {};
  }
  auto event = next(TapeEvent::Kind::Random);
  if (!event) return event.error();
  const std::string& bytes = (*event)->bytes;
  if (bytes.size() != out.size()) {
    return make_error(ErrorKind::Trap, "replay diverged at value " + std::to_string(next_) + ": the guest asked for " +
                                           std::to_string(out.size()) + " random bytes where the recording has " +
                                           std::to_string(bytes.size()));
  }
  std::copy(bytes.begin(), bytes.end(), out.begin());
  return {};
}

}  // namespace kiln::host
