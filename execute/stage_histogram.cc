#include "execute/stage_histogram.h"

#include <bit>
#include <cmath>

namespace kiln::execute {

// Values below 16 have a bucket each; from there on, the exponent picks a
// row of 16 and the next four bits below the top one pick the bucket.
int StageHistogram::bucket_of(uint64_t ns) {
  if (ns < kSubBuckets) return static_cast<int>(ns);
  int exponent = 63 - std::countl_zero(ns);
  if (exponent >= kMaxExponent) return kBuckets - 1;
  int sub = static_cast<int>((ns >> (exponent - 4)) & (kSubBuckets - 1));
  return (exponent - 3) * kSubBuckets + sub;
}

uint64_t StageHistogram::upper_bound(int bucket) {
  if (bucket < kSubBuckets) return static_cast<uint64_t>(bucket);
  int exponent = bucket / kSubBuckets + 3;
  uint64_t sub = static_cast<uint64_t>(bucket % kSubBuckets);
  uint64_t step = uint64_t{1} << (exponent - 4);
  return (uint64_t{1} << exponent) + (sub + 1) * step - 1;
}

void StageHistogram::record(uint64_t ns) {
  buckets_[bucket_of(ns)].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(ns, std::memory_order_relaxed);
  uint64_t seen = max_.load(std::memory_order_relaxed);
  while (ns > seen && !max_.compare_exchange_weak(seen, ns, std::memory_order_relaxed)) {
  }
}

uint64_t StageHistogram::quantile(double q) const {
  uint64_t total = count();
  if (total == 0) return 0;
  uint64_t rank = static_cast<uint64_t>(std::ceil(q * static_cast<double>(total)));
  if (rank == 0) rank = 1;
  uint64_t seen = 0;
  for (int i = 0; i < kBuckets; ++i) {
    seen += bucket_count(i);
    if (seen >= rank) {
      uint64_t bound = upper_bound(i);
      uint64_t largest = max_ns();
      return bound < largest ? bound : largest;
    }
  }
  return max_ns();
}

LatencyBuckets StageHistogram::latency_buckets() const {
  LatencyBuckets out;
  int bound = 0;
  uint64_t seen = 0;
  for (int i = 0; i < kBuckets; ++i) {
    // Buckets ascend: every bound below this bucket's upper bound has
    // seen all it will.
    const uint64_t upper = upper_bound(i);
    while (bound < kLatencyBoundCount && kLatencyBoundsNs[bound] < upper) out.le[bound++] = seen;
    seen += bucket_count(i);
  }
  while (bound < kLatencyBoundCount) out.le[bound++] = seen;
  out.count = seen;
  out.sum_ns = sum_ns();
  return out;
}

Percentiles StageHistogram::percentiles() const {
  return {count(), quantile(0.50), quantile(0.95), quantile(0.99), max_ns(), sum_ns()};
}

}  // namespace kiln::execute
