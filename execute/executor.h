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

// Per-stage figures of one extension point since the executor started.
struct StageStats {
  std::string extension_point;
  std::array<Percentiles, kStageCount> stages{};
  Percentiles overhead;  // total minus run, per call
  std::array<uint64_t, kExecStatusCount> by_status{};  // count per ExecStatus
};

class Executor {
 public:
  virtual ~Executor() = default;
  virtual ExecResult execute(std::string_view extension_point, std::string_view scope,
                             std::span<const uint8_t> input) = 0;
  virtual std::vector<StageStats> stats() const = 0;
};

}  // namespace kiln::execute
