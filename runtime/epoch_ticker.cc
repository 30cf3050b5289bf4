#include "runtime/epoch_ticker.h"

namespace kiln::runtime {

EpochTicker& EpochTicker::instance() {
  static EpochTicker ticker;
  return ticker;
}

EpochTicker::EpochTicker() : thread_([this] { run(); }) {}

EpochTicker::~EpochTicker() {
  stopping_.store(true, std::memory_order_relaxed);
  thread_.join();
}

void EpochTicker::run() {
  // sleep_until on a fixed schedule, so the epoch tracks wall time even when
  // a wake-up comes late.
  auto next = std::chrono::steady_clock::now();
  while (!stopping_.load(std::memory_order_relaxed)) {
    next += kTick;
    std::this_thread::sleep_until(next);
    auto behind = (std::chrono::steady_clock::now() - next) / kTick;
    if (behind > 0) next += kTick * behind;
    epoch_.fetch_add(1 + static_cast<uint64_t>(behind > 0 ? behind : 0), std::memory_order_relaxed);
  }
}

uint64_t EpochTicker::deadline_after(std::chrono::nanoseconds timeout) const {
  // +1: the current tick is already partly over.
  auto ticks = (timeout + kTick - std::chrono::nanoseconds(1)) / kTick;
  return now() + static_cast<uint64_t>(ticks) + 1;
}

}  // namespace kiln::runtime
