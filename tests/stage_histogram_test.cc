// StageHistogram: quantiles within one bucket (1/16) of the exact ones,
// across the whole range, from many threads at once.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <thread>
#include <vector>

#include "execute/stage_histogram.h"

namespace kiln::execute {
namespace {

TEST(StageHistogram, BucketsCoverTheRangeInOrder) {
  for (int b = 1; b < StageHistogram::kBuckets; ++b) {
    EXPECT_LT(StageHistogram::upper_bound(b - 1), StageHistogram::upper_bound(b)) << b;
  }
  for (uint64_t v : {0ull, 1ull, 15ull, 16ull, 17ull, 100ull, 1000ull, 123456ull, 987654321ull, 1ull << 39}) {
    int b = StageHistogram::bucket_of(v);
    EXPECT_LE(v, StageHistogram::upper_bound(b)) << v;
    if (b > 0) EXPECT_GT(v, StageHistogram::upper_bound(b - 1)) << v;
  }
  EXPECT_EQ(StageHistogram::bucket_of(~uint64_t{0}), StageHistogram::kBuckets - 1);
}

TEST(StageHistogram, QuantilesAreWithinOneBucketOfExact) {
  std::mt19937_64 random(7);
  std::lognormal_distribution<double> latency(9.0, 1.2);  // around 8 µs, long tail
  std::vector<uint64_t> values;
  StageHistogram histogram;
  for (int i = 0; i < 100000; ++i) {
    uint64_t v = static_cast<uint64_t>(latency(random));
    values.push_back(v);
    histogram.record(v);
  }
  std::sort(values.begin(), values.end());
  for (double q : {0.5, 0.95, 0.99}) {
    uint64_t exact = values[static_cast<size_t>(q * values.size()) - 1];
    uint64_t read = histogram.quantile(q);
    EXPECT_GE(read, exact) << q;
    EXPECT_LE(static_cast<double>(read), static_cast<double>(exact) * (1.0 + 1.0 / 16) + 1) << q;
  }
  Percentiles p = histogram.percentiles();
  EXPECT_EQ(p.count, values.size());
  EXPECT_EQ(p.max_ns, values.back());
  EXPECT_LE(p.p50_ns, p.p95_ns);
  EXPECT_LE(p.p95_ns, p.p99_ns);
  EXPECT_LE(p.p99_ns, p.max_ns);
}

TEST(StageHistogram, EmptyReadsZero) {
  StageHistogram histogram;
  EXPECT_EQ(histogram.quantile(0.99), 0u);
  EXPECT_EQ(histogram.percentiles().count, 0u);
}

TEST(StageHistogram, RecordsFromManyThreadsAreAllCounted) {
  StageHistogram histogram;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&histogram, t] {
      for (uint64_t i = 0; i < 50000; ++i) histogram.record(i * (t + 1));
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(histogram.count(), 200000u);
  EXPECT_EQ(histogram.max_ns(), 49999u * 4);
  uint64_t sum = 0;
  for (int t = 0; t < 4; ++t) sum += (t + 1) * (49999ull * 50000 / 2);
  EXPECT_EQ(histogram.sum_ns(), sum);
}

}  // namespace
}  // namespace kiln::execute
