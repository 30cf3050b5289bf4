// The full library's front (runtime/front.h): compile side and run side in
// one process. Links WABT.
#include <string>
#include <utility>
#include <vector>

#include "backends/aot/aot_backend.h"
#include "backends/aot/artifact_cache.h"
#include "backends/aot/c_compiler.h"
#include "backends/aot/module_index.h"
#include "backends/interp/interp_backend.h"
#include "runtime/front.h"
#include "runtime/indexed_module.h"
#include "runtime/module_impl.h"
#include "wabt/ir.h"
#include "wasm/decoder.h"
#include "wasm/fuel_instrumenter.h"

namespace kiln::runtime {

namespace {

// Lets libkiln.so (and later runs of this library) find the module without
// decoding it: its info, link order and artifact key, by the SHA-256 of the
// guest's bytes. Best effort: the index only serves the run-time library,
// so failing to write it does not fail the compile.
void record_in_module_index(const Engine& engine, std::span<const uint8_t> original,
                            std::span<const uint8_t> instrumented, const Module::Impl& impl) {
  backends::aot::ArtifactCache cache(engine.config().cache_dir);
  auto key = cache.key_for(instrumented);
  if (!key) return;
  backends::aot::ModuleIndexEntry entry;
  entry.artifact_key = *key;
  entry.info = impl.info;
  for (const auto& import : impl.link_order) entry.link_order.emplace_back(import.module, import.name);
  (void)backends::aot::ModuleIndex(cache.dir()).record(backends::aot::sha256_hex(original), entry);
}

}  // namespace

const char* front_name() { return "full"; }

Result<std::unique_ptr<Backend>> make_backend(const EngineConfig& config) {
  switch (config.backend) {
    case BackendKind::Interp:
      return backends::make_interp_backend();
    case BackendKind::Aot:
      return backends::make_aot_backend(config.cache_dir, config.aot_interp_fallback, backends::make_interp_backend());
  }
  return make_error("unknown backend");
}

Result<std::shared_ptr<Module::Impl>> make_module(const Engine& engine, std::span<const uint8_t> bytes,
                                                  std::string_view name) {
  // A module compiled before needs no decoding, validation or
  // instrumentation: the index holds what those produced. (It names default
  // builds only; the benchmark's variants take the long way.)
  if (engine.config().backend == BackendKind::Aot && bytes.size() <= engine.config().max_module_bytes &&
      backends::aot::build_variant().is_default()) {
    backends::aot::ArtifactCache cache(engine.config().cache_dir);
    IndexLookup lookup = load_indexed_module(cache, backends::aot::sha256_hex(bytes), name);
    if (lookup.module) return std::move(*lookup.module);
  }
  wasm::DecodeOptions options;
  options.max_module_bytes = engine.config().max_module_bytes;
  auto decoded = wasm::decode(bytes, name, options);
  if (!decoded) return decoded.error();

  auto impl = std::make_shared<Module::Impl>();
  impl->name = std::string(name);
  impl->info = std::move(decoded->info);

  auto instrumented = wasm::instrument_fuel(*decoded->ir);
  if (!instrumented) return make_error(std::string(name) + ": " + instrumented.error().message);
  // The instrumented module's import section, in order: what the backend
  // expects at instantiation (the guest's imports, then kiln's own).
  for (const wabt::Import* import : decoded->ir->imports) {
    impl->link_order.push_back({import->module_name, import->field_name});
  }

  auto loaded = engine.backend().load(*instrumented, name);
  if (!loaded) return loaded.error();
  impl->backend_module = std::move(*loaded);
  if (engine.config().backend == BackendKind::Aot && !backends::is_interp_fallback(*impl->backend_module)) {
    record_in_module_index(engine, bytes, *instrumented, *impl);
  }
  return impl;
}

}  // namespace kiln::runtime
