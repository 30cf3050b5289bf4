#include "cli/auto_backend.h"

#include "backends/aot/artifact_cache.h"
#include "backends/aot/c_compiler.h"
#include "backends/aot/module_index.h"

namespace kiln::cli {

AutoChoice choose_auto_backend(const std::string& module_sha256, const std::string& cache_dir, bool multi_memory) {
  // The AOT backend runs one memory only; `kiln compile` would refuse the
  // module that asked for several, so there is nothing to start.
  if (multi_memory) return {BackendKind::Interp, false, "interp (multi-memory runs on the interpreter only)"};
  backends::aot::ArtifactCache cache(cache_dir);
  // The lookup `--backend aot` makes first (library/indexed_module.h): the
  // module index by the bytes' SHA-256, then the verified artifact.
  auto entry = backends::aot::ModuleIndex(cache.dir()).find(module_sha256);
  if (entry && !entry->interp_only_reason.empty()) {
    return {BackendKind::Interp, false, "interp (the AOT backend cannot run it: " + entry->interp_only_reason + ")"};
  }
  if (entry) {
    if (auto artifact = cache.find(entry->artifact_key)) {
      return {BackendKind::Aot, false, "aot (cached artifact " + artifact->so_path + ")"};
    }
  }
  if (!backends::aot::Compiler::found()) {
    return {BackendKind::Interp, false, "interp (no AOT artifact, and no C compiler to make one: set $CC)"};
  }
  return {BackendKind::Interp, true, "interp (no AOT artifact in " + cache.dir() + " yet)"};
}

}  // namespace kiln::cli
