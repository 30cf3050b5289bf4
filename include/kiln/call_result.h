// What one call into a guest produced: its results, or the trap that stopped
// it, or the exit code it chose (WASI proc_exit), plus what it cost.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "kiln/trap.h"
#include "kiln/value.h"

namespace kiln {

struct CallResult {
  enum class Status { Returned, Trapped, Exited, Failed };
  Status status = Status::Returned;
  std::vector<Value> values;  // when Returned
  Trap trap;                  // when Trapped
  int exit_code = 0;          // when Exited
  std::string error;          // when Failed: the call could not be made (no such export, bad arguments)

  uint64_t fuel_used = 0;
  uint64_t memory_peak_bytes = 0;  // largest size of memory 0 seen at the end of the call
  std::chrono::nanoseconds elapsed{0};

  // What the guest wrote to stdout and stderr during this call, when its
  // Store captures WASI output (host::WasiConfig::Stdio::Buffered).
  std::string stdout_bytes;
  std::string stderr_bytes;

  bool returned() const { return status == Status::Returned; }
  bool trapped() const { return status == Status::Trapped; }
  bool exited() const { return status == Status::Exited; }
};

}  // namespace kiln
