// The full library's front (runtime/front.h): compile side and run side in
// one process. Links WABT; modules go through the deploy pipeline.
#include <string>
#include <utility>
#include <vector>

#include "backends/aot/aot_backend.h"
#include "backends/aot/artifact_cache.h"
#include "backends/aot/c_compiler.h"
#include "backends/interp/interp_backend.h"
#include "base/sha256.h"
#include "deploy/module_pipeline.h"
#include "runtime/front.h"
#include "library/indexed_module.h"
#include "runtime/module_impl.h"

namespace kiln::runtime {

const char* front_name() { return "full"; }

Result<std::unique_ptr<Backend>> make_backend(const EngineConfig& config) {
  switch (config.backend) {
    case BackendKind::Interp:
      return backends::make_interp_backend();
    case BackendKind::Aot:
      return backends::make_aot_backend(config.cache_dir, config.aot_interp_fallback, backends::make_interp_backend());
  }
  return make_error(ErrorKind::InvalidArgument, "unknown backend");
}

Result<std::shared_ptr<Module::Impl>> make_module(const Engine& engine, std::span<const uint8_t> bytes,
                                                  std::string_view name) {
  // A module compiled before needs no decoding, validation or
  // instrumentation: the index holds what those produced. (It names default
  // builds only; the benchmark's variants take the long way.)
  if (engine.config().backend == BackendKind::Aot && bytes.size() <= engine.config().max_module_bytes &&
      backends::aot::build_variant().is_default()) {
    backends::aot::ArtifactCache cache(engine.config().cache_dir);
    IndexLookup lookup = load_indexed_module(cache, base::sha256_hex(bytes), name);
    if (lookup.module) return std::move(*lookup.module);
  }
  // The deploy pipeline decodes, validates, instruments and (aot) compiles
  // and records the module in the index, so the next load takes the path
  // above.
  deploy::PipelineOptions options;
  options.name = std::string(name);
  options.max_module_bytes = engine.config().max_module_bytes;
  options.cache_dir = engine.config().cache_dir;
  options.compile_aot = engine.config().backend == BackendKind::Aot && backends::aot::build_variant().is_default();
  options.allow_interp_fallback = engine.config().aot_interp_fallback;
  options.multi_memory = engine.config().multi_memory;
  auto prepared = deploy::prepare_module(bytes, options);
  if (!prepared) return prepared.error();

  auto impl = std::make_shared<Module::Impl>();
  impl->name = std::string(name);
  impl->info = std::move(prepared->info);
  for (auto& [module, field] : prepared->link_order) impl->link_order.push_back({std::move(module), std::move(field)});
  // On the aot backend a cache hit: the pipeline compiled it.
  auto loaded = engine.backend().load(prepared->instrumented, name);
  if (!loaded) return loaded.error();
  impl->backend_module = std::move(*loaded);
  return impl;
}

}  // namespace kiln::runtime
