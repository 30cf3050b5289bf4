// StageHistogram: a log-linear histogram of durations, as HdrHistogram and
// Prometheus' native histograms keep them: each power of two is split in 16
// buckets, so any quantile read back is within 1/16 (6.25%) of the truth,
// from 1 ns to 2^40 ns (18 minutes). Recording is wait-free (a few relaxed
// atomic adds, no lock, no allocation): it sits on the execute hot path,
// shared by every thread executing one extension point.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>

namespace kiln::execute {

struct Percentiles {
  uint64_t count = 0;
  uint64_t p50_ns = 0;
  uint64_t p95_ns = 0;
  uint64_t p99_ns = 0;
  uint64_t max_ns = 0;
  uint64_t sum_ns = 0;
};

class StageHistogram {
 public:
  static constexpr int kSubBuckets = 16;
  static constexpr int kMaxExponent = 40;
  static constexpr int kBuckets = (kMaxExponent - 3) * kSubBuckets;

  // Hot path.
  void record(uint64_t ns);

  // The value at quantile q (0..1): the upper bound of its bucket, never
  // more than the largest value recorded.
  uint64_t quantile(double q) const;
  Percentiles percentiles() const;
  uint64_t count() const { return count_.load(std::memory_order_relaxed); }
  uint64_t sum_ns() const { return sum_.load(std::memory_order_relaxed); }
  uint64_t max_ns() const { return max_.load(std::memory_order_relaxed); }

  // For exporters (Prometheus' _bucket series): bucket i holds values up
  // to upper_bound(i).
  uint64_t bucket_count(int i) const { return buckets_[i].load(std::memory_order_relaxed); }
  static uint64_t upper_bound(int bucket);
  static int bucket_of(uint64_t ns);

 private:
  std::array<std::atomic<uint64_t>, kBuckets> buckets_{};
  std::atomic<uint64_t> count_{0};
  std::atomic<uint64_t> sum_{0};
  std::atomic<uint64_t> max_{0};
};

}  // namespace kiln::execute
