// Combine: one call that runs several extensions at one extension point —
// `chain` (each output the next one's input) or `all` (each on the call's
// input, the outputs joined by the reducer) — under one budget for the
// whole call (docs/extension-points.md, "Several extensions at one point").
//
// The combiner knows nothing of pools or modules: the executor hands it
// the extension point, how many extensions run (in priority order) and a
// function that runs one of them.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <span>

#include "execute/exec_result.h"
#include "kiln/result.h"
#include "registry/extension_point.h"

namespace kiln::execute {

class WorkerPool;

// What one extension may spend: its own limits for its input, capped by
// what the call has left.
struct LinkBudget {
  uint64_t fuel = 0;
  std::chrono::nanoseconds time{0};
};

struct CombinedCall {
  const registry::ExtensionPoint* ep = nullptr;
  size_t count = 0;  // extensions, highest priority first
  // The call-input checks (size, JSON, no "config"; the input schema on
  // sampled calls): the caller's input once, and in a chain each link's.
  std::function<Result<void>(std::span<const uint8_t> input, bool with_schema)> check_input;
  bool validate_schema = false;  // this call is one of the sampled ones
  // Extension `index`'s identity (name, version, scope, module) in a result
  // of its own: for one that cannot start, and the module of the one the
  // combined result is named after.
  std::function<ExecResult(size_t index)> describe;
  // Runs extension `index` on an input already checked, within `budget`: a
  // result of its own (name, version, scope, stages, fuel, output, log;
  // not its module, which describe() gives).
  std::function<ExecResult(size_t index, std::span<const uint8_t> input, const LinkBudget& budget)> run_one;
  // `all` runs its extensions here side by side when set and when the
  // call's fuel covers every extension's own limit (then sharing it cannot
  // change an outcome); otherwise one after another.
  WorkerPool* workers = nullptr;
};

// Runs the call. `result` comes in with the call's identity (extension
// point, scope, input size) and lookup time; it goes out with the output,
// the status, the sums of the extensions' stages, fuel and run time, and
// one ExtensionRun per extension tried.
ExecResult run_combined(const CombinedCall& call, std::span<const uint8_t> input, ExecResult result);

}  // namespace kiln::execute
