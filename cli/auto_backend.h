// What `kiln run --backend auto` (the default) runs a module on: the AOT
// artifact when the cache already holds the one `--backend aot` would load,
// else the interpreter, with a compile into the cache started in the
// background so that the next run of the same bytes starts on AOT.
#pragma once

#include <string>

#include "kiln/engine.h"

namespace kiln::cli {

struct AutoChoice {
  BackendKind backend = BackendKind::Interp;
  // Start a detached compile (cli/background_compile.h) for next time.
  bool compile_in_background = false;
  std::string why;  // one line for `kiln run --verbose`
};

// `module_sha256`: of the module's bytes as given. `cache_dir` as
// EngineConfig::cache_dir ("" = the default location). Reads the module
// index and hashes the artifact; starts no process.
AutoChoice choose_auto_backend(const std::string& module_sha256, const std::string& cache_dir, bool multi_memory);

}  // namespace kiln::cli
