#include "kiln/module.h"

#include <fstream>
#include <iterator>

#include "runtime/backend.h"
#include "runtime/module_impl.h"
#include "wasm/decoder.h"
#include "wasm/fuel_instrumenter.h"
#include "wabt/ir.h"

namespace kiln {

Result<Module> Module::compile(const Engine& engine, std::span<const uint8_t> bytes, std::string_view name) {
  wasm::DecodeOptions options;
  options.max_module_bytes = engine.config().max_module_bytes;
  auto decoded = wasm::decode(bytes, name, options);
  if (!decoded) return decoded.error();

  auto impl = std::make_shared<Impl>();
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
  return Module(std::move(impl));
}

Result<Module> Module::from_file(const Engine& engine, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(path + ": cannot read the file");
  std::vector<uint8_t> bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  if (in.bad()) return make_error(path + ": read failed");
  return compile(engine, bytes, path);
}

const std::string& Module::name() const { return impl_->name; }
const ModuleInfo& Module::info() const { return impl_->info; }
const runtime::BackendModule& Module::backend_module() const { return *impl_->backend_module; }
const Module::Impl& Module::impl() const { return *impl_; }

}  // namespace kiln
