// Module: a decoded, validated, fuel-instrumented and backend-compiled
// WebAssembly module. Immutable once made; copies share it and it may be used
// from many threads and Stores at once.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "kiln/engine.h"
#include "kiln/module_info.h"
#include "kiln/result.h"

namespace kiln {

namespace runtime { class BackendModule; }

class Module {
 public:
  // `name` is used in error messages ("name: at offset 0x1a: ...").
  static Result<Module> compile(const Engine& engine, std::span<const uint8_t> bytes,
                                std::string_view name = "module.wasm");
  static Result<Module> from_file(const Engine& engine, const std::string& path);

  const std::string& name() const;
  // The engine the module was compiled by; Stores it runs in use the same.
  const Engine& engine() const;
  // What the module declares, as the guest wrote it (without kiln's fuel imports).
  const ModuleInfo& info() const;
  const runtime::BackendModule& backend_module() const;

  struct Impl;
  const Impl& impl() const;

 private:
  explicit Module(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<const Impl> impl_;
};

}  // namespace kiln
