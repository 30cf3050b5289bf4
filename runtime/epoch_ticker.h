// The epoch ticker: one process-wide thread that advances a counter every
// millisecond. Deadlines are epochs; a guest call checks the counter (one
// atomic load) where it checks fuel, so a deadline costs no timer syscall
// per call. The thread starts the first time a deadline is asked for.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <thread>

namespace kiln::runtime {

class EpochTicker {
 public:
  static constexpr std::chrono::milliseconds kTick{1};

  // The shared ticker, started on first use.
  static EpochTicker& instance();

  uint64_t now() const { return epoch_.load(std::memory_order_relaxed); }
  // The epoch at which `timeout` from now has certainly passed.
  uint64_t deadline_after(std::chrono::nanoseconds timeout) const;

  ~EpochTicker();

 private:
  EpochTicker();
  void run();

  std::atomic<uint64_t> epoch_{1};
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace kiln::runtime
