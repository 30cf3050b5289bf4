// ExecResult: everything one execution produced and cost — the output and
// log, how it ended, fuel / memory / time against their limits, which
// extension and version ran, and the duration of every stage of the
// execute pipeline (seed 000's breakdown).
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/data_format.h"
#include "kiln/error.h"

namespace kiln::execute {

enum class ExecStatus {
  Ok,               // the extension ran and its output passed the output schema
  NotRun,           // nothing enabled is bound to the extension point for this scope: an ordinary outcome
  InvalidInput,     // the input is too large, not a JSON object, has "config", or fails the input schema
  InvalidOutput,    // the output is too large, not JSON, or fails the output schema
  ExtensionFailed,  // the guest exited non-zero
  Trapped,          // the guest trapped
  OutOfFuel,
  Deadline,
  Error,            // no such extension point, a module that cannot load, a kiln failure
};

inline constexpr int kExecStatusCount = 9;
// "ok", "not run", "invalid input", ... (stable; used in JSON output).
const char* to_string(ExecStatus status);

// The stages of the execute path, in order.
enum class Stage { Lookup, ValidateInput, Serialize, Acquire, Run, ReadOutput, ValidateOutput, Total };
inline constexpr int kStageCount = 8;
// "lookup", "validate_input", "serialize", "acquire", "run", "read_output", "validate_output", "total".
const char* to_string(Stage stage);

// One extension's part in a call that ran several (combine chain or all):
// how it ended and what it used of its own limits. Its output is not kept:
// it went into the next link or the reducer.
struct ExtensionRun {
  std::string extension;
  int64_t version = 0;
  bool canary = false;  // the version that ran is a canary (registry/canary_share.h)
  std::string scope;  // the binding's: the scope asked for, or "*"
  ExecStatus status = ExecStatus::Error;
  std::optional<kiln::Error> error;
  std::string log;
  bool log_truncated = false;
  int exit_code = 0;
  uint64_t fuel_used = 0, fuel_limit = 0;  // the limit: its own, or what the call had left if less
  uint64_t memory_peak_bytes = 0;
  std::chrono::nanoseconds run_time{0}, time_limit{0};
  uint64_t input_bytes = 0, output_bytes = 0;
};

struct ExecResult {
  ExecStatus status = ExecStatus::Error;
  std::optional<kiln::Error> error;  // set unless Ok or NotRun: kind, message, JSON Pointer where known

  std::string output;  // the guest's output when it ran, in output_format
  // The format `output` is in: the caller's (CallOptions::output_format),
  // or the guest's when the output was refused or the call failed.
  base::DataFormat output_format = base::DataFormat::Json;
  // The output was taken and is an object without a top-level "config": a
  // chain hands it to the next link without checking its shape again.
  bool output_is_plain_object = false;
  std::string log;     // the guest's stderr, cut at the log limit
  bool log_truncated = false;
  int exit_code = 0;

  uint64_t fuel_used = 0, fuel_limit = 0;
  uint64_t memory_peak_bytes = 0, memory_limit_bytes = 0;
  std::chrono::nanoseconds run_time{0}, time_limit{0};
  uint64_t module_size = 0;
  uint64_t input_bytes = 0;
  bool input_validated = false;  // the input schema was checked on this run (sampling)

  std::string extension_point;
  std::string scope;          // the scope asked for
  std::string matched_scope;  // the binding that ran: the scope, or "*"
  std::string extension;
  int64_t version = 0;  // the version that answered: the live one, or a canary's
  bool canary = false;  // it was a canary's, for this scope's share
  std::string module_sha256;
  std::string backend;  // "aot" or "interp"

  // combine chain or all: every extension the call tried, in the order
  // they ran (priority, highest first). Empty for combine single, whose
  // one extension is the fields above.
  std::vector<ExtensionRun> extensions;

  std::array<std::chrono::nanoseconds, kStageCount> stages{};
  // A remote Executor's round trip minus the service's own total: the
  // network and HTTP, seed 000's "3a. run: network". Zero in process.
  std::chrono::nanoseconds network_time{0};
  std::chrono::nanoseconds stage(Stage s) const { return stages[static_cast<int>(s)]; }
  // Bytes of input and output each stage copied or converted (written
  // anew: into the guest, into a conversion buffer, into `output`): the
  // benchmark's "bytes copied per stage". Integer adds on the hot path.
  std::array<uint64_t, kStageCount> bytes_copied{};
};

}  // namespace kiln::execute
