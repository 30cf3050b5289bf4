// Loading a module the AOT cache already holds, found in the module index by
// the SHA-256 of its original bytes (backends/aot/module_index.h): its
// ModuleInfo and import order come from the index, its code from the
// verified artifact, so neither WABT nor the compiler runs. Both fronts use
// it: libkiln.so for every module, the full library to skip decoding and
// instrumenting a module it has compiled before (start-up of `kiln run`).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "backends/aot/artifact_cache.h"
#include "kiln/module.h"
#include "kiln/result.h"
#include "runtime/module_impl.h"

namespace kiln::runtime {

struct IndexLookup {
  // Set on a hit: the loaded module, or why loading its artifact failed.
  std::optional<Result<std::shared_ptr<Module::Impl>>> module;
  // Set when the index says the module needs the interpreter, and why.
  std::string interp_only_reason;
};

// A miss (no entry, or its artifact was evicted or failed verification)
// leaves both fields empty.
IndexLookup load_indexed_module(const backends::aot::ArtifactCache& cache, const std::string& sha256,
                                std::string_view name);

}  // namespace kiln::runtime
