#include "kiln/engine.h"

#include "runtime/backend.h"
#include "runtime/front.h"

namespace kiln {

struct Engine::Impl {
  EngineConfig config;
  std::unique_ptr<runtime::Backend> backend;
};

const char* to_string(BackendKind kind) { return kind == BackendKind::Interp ? "interp" : "aot"; }

Result<BackendKind> parse_backend_kind(std::string_view text) {
  if (text == "interp") return BackendKind::Interp;
  if (text == "aot") return BackendKind::Aot;
  return make_error(ErrorKind::InvalidArgument, "unknown backend '" + std::string(text) + "' (expected interp or aot)");
}

// Which backends exist depends on the library (runtime/front.h).
Result<Engine> Engine::create(EngineConfig config) {
  auto impl = std::make_shared<Impl>();
  impl->config = config;
  auto backend = runtime::make_backend(config);
  if (!backend) return backend.error();
  impl->backend = std::move(*backend);
  return Engine(std::move(impl));
}

const EngineConfig& Engine::config() const { return impl_->config; }
runtime::Backend& Engine::backend() const { return *impl_->backend; }

}  // namespace kiln
