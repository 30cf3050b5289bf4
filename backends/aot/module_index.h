// The module index: what the run side needs to know about a module without
// decoding it. libkiln.so has no WABT (Debian's libwabt.a is not PIC), so it
// cannot decode, validate or fuel-instrument a module; instead it looks the
// module up here by the SHA-256 of the bytes the host handed it, and finds
//   - the guest's ModuleInfo (imports and exports as the guest wrote them),
//   - the import order of the instrumented module (guest imports, then
//     kiln's fuel imports: what the backend links against),
//   - the artifact cache key of the compiled module, or the reason the
//     module can only run on the interpreter.
// The compile side (the full library's Module::compile on the aot backend,
// and `kiln compile`) writes an entry whenever it compiles a module.
//
// Layout: <artifact cache dir>/modules-m<metering>-t<translator>/<sha256 of
// the original bytes>.json (fuel_abi.h's kMeteringVersion, c_translator.h's
// kTranslatorVersion),
// each written to a temporary file and renamed into place, so a reader sees
// a complete entry or none. An entry whose artifact has since been removed
// (cache eviction) is a miss for the caller, never an error: it recompiles.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "kiln/module_info.h"
#include "kiln/result.h"

namespace kiln::backends::aot {

struct ModuleIndexEntry {
  // artifact_cache.h key of the instrumented module; empty when the module
  // runs on the interpreter only.
  std::string artifact_key;
  // Why the AOT backend cannot run the module (the C writer's one-line
  // reason); empty when it can.
  std::string interp_only_reason;
  ModuleInfo info;
  // (module, name) of every import of the instrumented module, in order.
  std::vector<std::pair<std::string, std::string>> link_order;
};

std::string to_json(const ModuleIndexEntry& entry);
Result<ModuleIndexEntry> module_index_entry_from_json(const std::string& text);

class ModuleIndex {
 public:
  // `cache_dir` is ArtifactCache::dir() (the versioned layout directory).
  explicit ModuleIndex(const std::string& cache_dir);

  const std::string& dir() const { return dir_; }

  // nullopt when there is no entry or it cannot be read (a corrupt entry is
  // removed, so the next compile writes a good one).
  std::optional<ModuleIndexEntry> find(const std::string& module_sha256) const;

  // Writes (or replaces) the entry atomically.
  Result<void> store(const std::string& module_sha256, const ModuleIndexEntry& entry) const;

  // store() unless the entry already says the same: the compile side calls
  // this on every compile, so a warm start reads one small file and writes
  // nothing.
  Result<void> record(const std::string& module_sha256, const ModuleIndexEntry& entry) const;

 private:
  std::string dir_;
};

}  // namespace kiln::backends::aot
