// LocalExecutor: the execute pipeline in the caller's process, on a
// registry file.
//
// The hot path never touches SQLite. What is bound where lives in an
// in-memory index (an immutable snapshot swapped atomically); a background
// thread polls the registry's PRAGMA data_version every `poll_interval`
// and rebuilds the index when another connection — this process's deploy
// or another process's — has committed. A call that races a redeploy holds
// the snapshot it looked up, so it runs the old version or the new one,
// whole. Instances come from one bounded InstancePool per module and
// extension point, reset in place between calls. Several extensions at
// one point (combine chain or all) run through execute/combine.h.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "execute/call_options.h"
#include "execute/executor.h"
#include "execute/replay_recorder.h"
#include "kiln/result.h"

namespace kiln::execute {

struct LocalExecutorConfig {
  std::string registry_path;  // empty: Registry::default_path()
  std::string cache_dir;      // empty: the registry's (cache/ beside it)
  std::chrono::milliseconds poll_interval{200};
  // Instances of one module at once (calls beyond it fail with
  // ErrorKind::PoolExhausted); idle ones keep their memory resident.
  std::size_t max_instances_per_module = 64;
  // Tests and benchmarks: force input validation on (1) or off (0) instead
  // of each extension point's sample rate.
  double validate_input_override = -1;
  // Threads that run a `combine: all` call's extensions side by side,
  // shared by every call (0: one after another, on the caller's thread).
  // Only used when the call's fuel covers each extension's own limit.
  size_t combine_workers = 0;
  // ... and only once this extension point's extensions have been running
  // at least this long each (a moving average over its calls): below it,
  // handing an extension to another thread costs more than it saves (the
  // numbers are in docs/extension-points.md).
  std::chrono::microseconds combine_parallel_min_run{50};
  // A replay bundle of every failed (and, with `slow`, every slow) call of
  // one extension, in `replay_capture.dir`, bounded in count and bytes
  // (docs/replay.md). Empty dir: none, and calls record nothing.
  ReplayCapture replay_capture;
};

class LocalExecutor final : public Executor {
 public:
  static Result<std::unique_ptr<LocalExecutor>> open(LocalExecutorConfig config = {});
  ~LocalExecutor() override;

  ExecResult execute(std::string_view extension_point, std::string_view scope,
                     std::span<const uint8_t> input) override;
  // The same, with a tape for the guest's clocks and randomness and the
  // limits a replay imposes (execute/call_options.h). Options apply to a
  // call of one extension (combine single); several combined extensions
  // run as without them.
  ExecResult execute(std::string_view extension_point, std::string_view scope, std::span<const uint8_t> input,
                     const CallOptions& options);
  std::vector<StageStats> stats() const override;
  // One entry per pool the current index binds, sorted by extension point,
  // extension and version.
  std::vector<PoolStats> pool_stats() const override;

  // Rebuilds the index now if the registry changed (what the poller does).
  Result<void> refresh();
  // How many times the index has been rebuilt.
  uint64_t generation() const;

  struct Impl;

 private:
  explicit LocalExecutor(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace kiln::execute
