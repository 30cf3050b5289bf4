// Engine: configuration and the backend that runs modules. Create one per
// process (or per configuration) and share it; it is thread-safe and must
// outlive every Module and Store made from it.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "kiln/result.h"

namespace kiln {

namespace runtime { class Backend; }

enum class BackendKind { Interp, Aot };

const char* to_string(BackendKind kind);
// Parses "interp" or "aot".
Result<BackendKind> parse_backend_kind(std::string_view text);

struct EngineConfig {
  BackendKind backend = BackendKind::Interp;
  // Modules larger than this are refused before they are decoded.
  uint64_t max_module_bytes = uint64_t{16} << 20;
};

class Engine {
 public:
  static Result<Engine> create(EngineConfig config = {});

  const EngineConfig& config() const;
  runtime::Backend& backend() const;

 private:
  struct Impl;
  explicit Engine(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<const Impl> impl_;
};

}  // namespace kiln
