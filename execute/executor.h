// Executor: the one interface hosts execute extensions through — in
// process (LocalExecutor, on a registry file) or, later, on a remote kiln
// service — so that the choice is configuration, not code.
//
// execute() is safe from many threads at once; it never throws. Every
// outcome, including "nothing to run", is an ExecResult.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "execute/exec_result.h"
#include "execute/stage_histogram.h"

namespace kiln::execute {

// ErrorKind's values run from 1 to its last (kiln/error.h, append only):
// errors_by_kind is indexed by the value, slot 0 unused. Raise this with a
// new kind.
inline constexpr int kErrorKindSlots = static_cast<int>(kLastErrorKind) + 1;

// Per-stage figures of one extension point since the executor started.
struct StageStats {
  std::string extension_point;
  std::array<Percentiles, kStageCount> stages{};
  Percentiles overhead;  // total minus run, per call
  std::array<uint64_t, kExecStatusCount> by_status{};  // count per ExecStatus
  // The same histograms on fixed bounds, for exporters (Prometheus'
  // _bucket / _sum / _count; see StageHistogram::latency_buckets()).
  std::array<LatencyBuckets, kStageCount> stage_buckets{};
  LatencyBuckets overhead_buckets;
  // Count per kind of the result's error (results with one: neither Ok nor
  // NotRun), indexed by static_cast<int>(ErrorKind).
  std::array<uint64_t, kErrorKindSlots> errors_by_kind{};
};

// One instance pool (a module made ready for one extension point's
// limits): what it holds now.
struct PoolStats {
  std::string extension_point;
  std::string extension;  // the first binding using it, when several share one module
  int64_t version = 0;
  std::string module_sha256;
  uint64_t idle = 0;
  uint64_t leased = 0;
  // No longer bound (a redeploy replaced it): kept only until the calls
  // it is running return, then released with its artifact.
  bool draining = false;
};

class Executor {
 public:
  virtual ~Executor() = default;
  virtual ExecResult execute(std::string_view extension_point, std::string_view scope,
                             std::span<const uint8_t> input) = 0;
  virtual std::vector<StageStats> stats() const = 0;
  // The instance pools of what is deployed now, and of what a redeploy
  // left draining; none where the executor keeps no pools (a remote one).
  // Not for the hot path: it takes locks.
  virtual std::vector<PoolStats> pool_stats() const { return {}; }
};

}  // namespace kiln::execute
