#include "kiln/module.h"

#include "base/files.h"
#include "runtime/backend.h"
#include "runtime/front.h"
#include "runtime/module_impl.h"

namespace kiln {

// How bytes become a Module depends on the library (runtime/front.h).
Result<Module> Module::compile(const Engine& engine, std::span<const uint8_t> bytes, std::string_view name) {
  auto impl = runtime::make_module(engine, bytes, name);
  if (!impl) return impl.error();
  (*impl)->engine = engine;
  return Module(std::move(*impl));
}

Result<Module> Module::from_file(const Engine& engine, const std::string& path) {
  auto bytes = base::read_file_bytes(path);
  if (!bytes) return make_error(ErrorKind::Io, path + ": cannot read the file", {.file = path});
  return compile(engine, *bytes, path);
}

const std::string& Module::name() const { return impl_->name; }
const ModuleInfo& Module::info() const { return impl_->info; }
const runtime::BackendModule& Module::backend_module() const { return *impl_->backend_module; }
const Module::Impl& Module::impl() const { return *impl_; }
const Engine& Module::engine() const { return *impl_->engine; }

}  // namespace kiln
