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

// The fixed `le` bounds of the exported (Prometheus) histograms: 1 µs to
// 10 s in 1-2.5-5 steps, in nanoseconds; +Inf is the count.
inline constexpr int kLatencyBoundCount = 22;
inline constexpr std::array<uint64_t, kLatencyBoundCount> kLatencyBoundsNs = {
    1'000,         2'500,         5'000,         10'000,         25'000,        50'000,
    100'000,       250'000,       500'000,       1'000'000,      2'500'000,     5'000'000,
    10'000'000,    25'000'000,    50'000'000,    100'000'000,    250'000'000,   500'000'000,
    1'000'000'000, 2'500'000'000, 5'000'000'000, 10'000'000'000};

// A histogram as Prometheus' classic _bucket / _sum / _count series want
// it: le[i] is how many values were at most kLatencyBoundsNs[i]
// (cumulative, non-decreasing); count is the +Inf bucket.
struct LatencyBuckets {
  std::array<uint64_t, kLatencyBoundCount> le{};
  uint64_t count = 0;
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

  // The buckets folded onto kLatencyBoundsNs. A log-linear bucket counts
  // toward a bound when its upper_bound() is at most the bound, so the
  // bucket straddling a bound is left to the next one: each `le` count
  // under-counts by at most that one bucket's values, whose width is 1/16
  // (6.25%) of its power of two. count is the sum of the buckets read here
  // (not count()), so +Inf always equals the _count exported beside it
  // even while other threads record.
  LatencyBuckets latency_buckets() const;

 private:
  std::array<std::atomic<uint64_t>, kBuckets> buckets_{};
  std::atomic<uint64_t> count_{0};
  std::atomic<uint64_t> sum_{0};
  std::atomic<uint64_t> max_{0};
};

}  // namespace kiln::execute
