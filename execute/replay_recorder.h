// ReplayRecorder: keeps a replay bundle (execute/replay_bundle.h) of every
// failed or slow call in a folder, within a bound on the number of files
// and their bytes — what LocalExecutorConfig::replay_capture turns on.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "execute/exec_result.h"
#include "kiln/wasi_tape.h"

namespace kiln::registry {
class Registry;
}

namespace kiln::execute {

struct ReplayCapture {
  std::string dir;  // empty: no capture
  // Once the folder holds this many bundles, or this many bytes of them,
  // new ones are dropped (counted in dropped()): the oldest failures are
  // usually the ones being studied, and the folder never grows unbounded.
  uint64_t max_files = 100;
  uint64_t max_bytes = uint64_t{256} << 20;
  // Calls whose total time is at least this are kept too; 0: failures only.
  std::chrono::nanoseconds slow{0};
};

class ReplayRecorder {
 public:
  // Counts the bundles already in the folder (creating it) against the bounds.
  ReplayRecorder(ReplayCapture capture, std::string registry_path);
  ~ReplayRecorder();

  // A call that failed in the extension's own way (trap, fuel, deadline,
  // exit code, invalid output, a module that cannot load) or ran slow.
  bool wants(const ExecResult& result) const;
  // Writes the bundle, unless a bound is reached. Never fails the call:
  // a bundle that cannot be made or written is counted in dropped().
  void save(const ExecResult& result, std::string_view input, const host::WasiTape& tape);

  uint64_t saved() const;
  uint64_t dropped() const;

 private:
  ReplayCapture capture_;
  std::string registry_path_;
  mutable std::mutex mutex_;
  std::unique_ptr<registry::Registry> registry_;  // opened on the first save
  uint64_t files_ = 0, bytes_ = 0, saved_ = 0, dropped_ = 0;
};

}  // namespace kiln::execute
