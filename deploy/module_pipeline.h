// The one deploy pipeline (DESIGN.md, "Deploy"): module bytes → decode +
// validate → check a contract → instrument (fuel) → AOT-compile (cached) →
// record in the module index. `kiln compile`, the full library's
// Module::compile and the platform's deploy (deploy/extension_deploy.h) all
// run it, so the sequence is written once.
//
// What it leaves on disk is content-addressed and written by atomic rename
// (an fsynced temporary file renamed into place): the artifact cache
// (backends/aot/artifact_cache.h) and the module index
// (backends/aot/module_index.h). A process killed at any moment leaves
// either the whole file or none; a later run never trusts half of one.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "kiln/engine.h"
#include "kiln/module_info.h"
#include "kiln/result.h"

namespace kiln::deploy {

struct PipelineOptions {
  std::string name;  // the module's name in messages ("guest.wasm")
  // Larger modules are refused before decoding: ErrorKind::InvalidModule,
  // "module is N bytes, over the limit of M".
  uint64_t max_module_bytes = uint64_t{16} << 20;
  std::string cache_dir;  // artifact cache; "" = the default (ArtifactCache's rules)
  bool compile_aot = true;  // false: stop after instrumenting (interpreter engines)
  // AOT cannot run the module (SIMD, threads, ...): true records the
  // interpreter and why; false returns the ErrorKind::Unsupported error.
  bool allow_interp_fallback = true;
  bool multi_memory = false;  // wasm::DecodeOptions::multi_memory
  // Checked after validation, before instrumenting; its Error is returned as
  // is (the platform's contract: imports allowed, exports required).
  std::function<Result<void>(const ModuleInfo&)> contract;
};

struct PreparedModule {
  std::string sha256;  // hex SHA-256 of the bytes as given
  uint64_t size = 0;
  ModuleInfo info;  // as the guest declared it
  // The instrumented module's imports, in order: (module, name).
  std::vector<std::pair<std::string, std::string>> link_order;
  // The fuel-instrumented module, as a backend's load() takes it.
  std::vector<uint8_t> instrumented;
  BackendKind backend = BackendKind::Aot;  // Interp when the interpreter runs it
  std::string interp_reason;               // why, when backend == Interp
  // Set when compile_aot and backend == Aot.
  std::string artifact_key, artifact_path;
  bool artifact_cached = false;  // true: no C compiler ran
  double compile_seconds = 0;    // translate + C compile time, when built now
};

// Decode, validate, check the contract, instrument, AOT-compile (cached) and
// record in the module index, so that Module::compile of the same bytes
// later loads without decoding. With compile_aot false it stops after
// instrumenting: backend is Interp, nothing is written. Thread-safe; several
// processes may run it at once on one cache.
Result<PreparedModule> prepare_module(std::span<const uint8_t> bytes, const PipelineOptions& options);

}  // namespace kiln::deploy
