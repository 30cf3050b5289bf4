// kiln_engine_*: the Engine (include/kiln/kiln.h, "Engine").
#include "capi/internal.h"

using kiln::capi::fail;
using kiln::capi::guarded;

extern "C" {

void kiln_engine_config_init(kiln_engine_config_t* config) {
  if (!config) return;
  kiln::EngineConfig defaults;
  config->backend = KILN_BACKEND_AOT;
  config->cache_dir = nullptr;
  config->compiler = nullptr;
  config->max_module_bytes = defaults.max_module_bytes;
  config->aot_interp_fallback = defaults.aot_interp_fallback;
}

kiln_status_t kiln_engine_new(const kiln_engine_config_t* config, kiln_engine_t** out) {
  return guarded("kiln_engine_new", [&] {
    KILN_CAPI_REQUIRE("kiln_engine_new", out);
    *out = nullptr;
    kiln_engine_config_t c;
    kiln_engine_config_init(&c);
    if (config) c = *config;
    kiln::EngineConfig cpp;
    switch (kiln::capi::raw_enum(c.backend)) {
      case KILN_BACKEND_AOT: cpp.backend = kiln::BackendKind::Aot; break;
      case KILN_BACKEND_INTERP: cpp.backend = kiln::BackendKind::Interp; break;
      default:
        return fail(KILN_ERR_INVALID_ARGUMENT,
                    "kiln_engine_new: unknown backend " + std::to_string(kiln::capi::raw_enum(c.backend)));
    }
    if (c.cache_dir) cpp.cache_dir = c.cache_dir;
    if (c.compiler) cpp.compiler_command = c.compiler;
    cpp.max_module_bytes = c.max_module_bytes;
    cpp.aot_interp_fallback = c.aot_interp_fallback;
    auto engine = kiln::Engine::create(cpp);
    if (!engine) return fail(engine.error(), "kiln_engine_new: ");
    *out = new kiln_engine_t{std::move(*engine)};
    return KILN_OK;
  });
}

void kiln_engine_delete(kiln_engine_t* engine) { delete engine; }

}  // extern "C"
