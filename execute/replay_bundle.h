// ReplayBundle: one execution, whole, in one file (docs/replay.md) — the
// module, the extension point definition it ran under, the extension's
// config, the input, the limits, the kiln version, and every value the
// guest got from the clocks and the random source — so that `kiln replay`
// reproduces it on another machine, with another registry: the same
// output, or the same failure at the same fuel.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "execute/exec_result.h"
#include "kiln/result.h"
#include "kiln/wasi_tape.h"

namespace kiln::registry {
class Registry;
}

namespace kiln::execute {

inline constexpr std::string_view kReplayFormat = "kiln-replay/1";

struct ReplayBundle {
  std::string kiln_version;  // the kiln that recorded it
  std::string recorded_at;   // UTC, ISO 8601
  std::string reason;        // "requested", "failed" or "slow"

  std::string extension_point_definition;  // the definition's JSON, the version that ran
  std::string scope;                       // as asked
  std::string extension;
  int64_t version = 0;
  std::string config;  // JSON text; empty when the extension has none
  std::vector<uint8_t> module;
  std::string module_sha256;
  std::string input;  // the caller's bytes, as given

  uint64_t fuel_limit = 0;
  uint64_t memory_limit_bytes = 0;
  uint64_t time_limit_ns = 0;
  std::vector<host::TapeEvent> tape;

  // What the recorded call did: what a replay must do again.
  std::string status;  // to_string(ExecStatus)
  std::string error_code;  // error_code(kind) when it had an error
  std::string error_message;
  uint64_t fuel_used = 0;
  std::string output;
};

// The bundle of `result`, a call of `input` that ran with `tape` recording;
// the definition, config and module come from `registry`.
Result<ReplayBundle> make_replay_bundle(registry::Registry& registry, const ExecResult& result,
                                        std::string_view input, const host::WasiTape& tape, std::string reason);

std::string to_json(const ReplayBundle& bundle);
// Refuses another format, missing or mistyped fields, bad base64 and a
// module whose SHA-256 is not the one recorded (ErrorKind::InvalidInput,
// naming the field).
Result<ReplayBundle> replay_bundle_from_json(std::string_view json);

}  // namespace kiln::execute
