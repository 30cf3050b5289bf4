#include "kiln/engine.h"

#include "backends/aot/aot_backend.h"
#include "backends/interp/interp_backend.h"
#include "runtime/backend.h"

namespace kiln {

struct Engine::Impl {
  EngineConfig config;
  std::unique_ptr<runtime::Backend> backend;
};

const char* to_string(BackendKind kind) { return kind == BackendKind::Interp ? "interp" : "aot"; }

Result<BackendKind> parse_backend_kind(std::string_view text) {
  if (text == "interp") return BackendKind::Interp;
  if (text == "aot") return BackendKind::Aot;
  return make_error("unknown backend '" + std::string(text) + "' (expected interp or aot)");
}

Result<Engine> Engine::create(EngineConfig config) {
  auto impl = std::make_shared<Impl>();
  impl->config = config;
  switch (config.backend) {
    case BackendKind::Interp:
      impl->backend = backends::make_interp_backend();
      break;
    case BackendKind::Aot:
      impl->backend = backends::make_aot_backend(config.cache_dir, config.aot_interp_fallback);
      break;
  }
  return Engine(std::move(impl));
}

const EngineConfig& Engine::config() const { return impl_->config; }
runtime::Backend& Engine::backend() const { return *impl_->backend; }

}  // namespace kiln
