#include "library/indexed_module.h"

#include <utility>

#include "backends/aot/aot_backend.h"
#include "backends/aot/module_index.h"
#include "base/startup_trace.h"

namespace kiln::runtime {

IndexLookup load_indexed_module(const backends::aot::ArtifactCache& cache, const std::string& sha256,
                                std::string_view name) {
  IndexLookup lookup;
  auto entry = backends::aot::ModuleIndex(cache.dir()).find(sha256);
  base::trace_startup("  module index entry read");
  if (!entry) return lookup;
  if (!entry->interp_only_reason.empty()) {
    lookup.interp_only_reason = std::move(entry->interp_only_reason);
    return lookup;
  }
  auto artifact = cache.find(entry->artifact_key);
  base::trace_startup("  artifact metadata read, .so hashed");
  if (!artifact) return lookup;
  auto loaded = backends::load_cached_artifact(std::move(*artifact), name);
  base::trace_startup("  artifact dlopened");
  if (!loaded) {
    lookup.module.emplace(loaded.error());
    return lookup;
  }
  auto impl = std::make_shared<Module::Impl>();
  impl->name = std::string(name);
  impl->info = std::move(entry->info);
  for (auto& [module, field] : entry->link_order) impl->link_order.push_back({std::move(module), std::move(field)});
  impl->backend_module = std::move(*loaded);
  lookup.module.emplace(std::move(impl));
  return lookup;
}

}  // namespace kiln::runtime
