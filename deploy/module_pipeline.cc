#include "deploy/module_pipeline.h"

#include <utility>

#include "backends/aot/artifact_cache.h"
#include "backends/aot/module_index.h"
#include "base/crash_point.h"
#include "base/sha256.h"
#include "wabt/ir.h"
#include "wasm/decoder.h"
#include "wasm/fuel_instrumenter.h"

namespace kiln::deploy {

namespace {

// What the run side needs to load the module without decoding it, by the
// SHA-256 of the bytes as the guest wrote them (backends/aot/module_index.h).
Result<void> record(const backends::aot::ArtifactCache& cache, const PreparedModule& prepared) {
  backends::aot::ModuleIndexEntry entry;
  entry.artifact_key = prepared.artifact_key;
  entry.interp_only_reason = prepared.interp_reason;
  entry.info = prepared.info;
  entry.link_order = prepared.link_order;
  return backends::aot::ModuleIndex(cache.dir()).record(prepared.sha256, entry);
}

// AOT-compiles the instrumented module (a cache hit compiles nothing), or
// records why the interpreter runs it.
Result<void> compile(const PipelineOptions& options, const backends::aot::ArtifactCache& cache,
                     PreparedModule& prepared) {
  auto artifact = cache.get_or_build(prepared.instrumented, options.name);
  if (!artifact && artifact.error().kind == ErrorKind::Unsupported) {
    // The translator's bare reason (c_translator.h).
    if (!options.allow_interp_fallback) return prefix_error(options.name + ": aot: ", artifact.error());
    prepared.backend = BackendKind::Interp;
    prepared.interp_reason = artifact.error().message;
    return {};
  }
  if (!artifact) return artifact.error();
  auto key = cache.key_for(prepared.instrumented);
  if (!key) return key.error();
  prepared.artifact_key = std::move(*key);
  prepared.artifact_path = artifact->so_path;
  prepared.artifact_cached = !artifact->built;
  prepared.compile_seconds = artifact->compile_seconds;
  return {};
}

}  // namespace

Result<PreparedModule> prepare_module(std::span<const uint8_t> bytes, const PipelineOptions& options) {
  wasm::DecodeOptions decode_options;
  decode_options.max_module_bytes = options.max_module_bytes;
  decode_options.multi_memory = options.multi_memory;
  auto decoded = wasm::decode(bytes, options.name, decode_options);  // refuses oversized bytes first
  if (!decoded) return decoded.error();
  base::crash_point("pipeline.validated");
  if (options.contract) {
    if (auto kept = options.contract(decoded->info); !kept) return kept.error();
  }
  auto instrumented = wasm::instrument_fuel(*decoded->ir);
  if (!instrumented) return prefix_error(options.name + ": ", instrumented.error());
  base::crash_point("pipeline.instrumented");

  PreparedModule prepared;
  prepared.sha256 = base::sha256_hex(bytes);
  prepared.size = bytes.size();
  prepared.info = std::move(decoded->info);
  // The instrumented module's import section, in order: what the backend
  // expects at instantiation (the guest's imports, then kiln's own).
  for (const wabt::Import* import : decoded->ir->imports) {
    prepared.link_order.emplace_back(import->module_name, import->field_name);
  }
  prepared.instrumented = std::move(*instrumented);
  if (!options.compile_aot) {
    prepared.backend = BackendKind::Interp;
    return prepared;
  }
  backends::aot::ArtifactCache cache(options.cache_dir);
  if (auto compiled = compile(options, cache, prepared); !compiled) return compiled.error();
  base::crash_point("pipeline.compiled");
  if (auto recorded = record(cache, prepared); !recorded) return recorded.error();
  base::crash_point("pipeline.recorded");
  return prepared;
}

}  // namespace kiln::deploy
