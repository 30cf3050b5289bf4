#include "host/function_providers.h"

#include "host/shopify_function_trampoline.h"

namespace kiln::host {

FunctionProviders::FunctionProviders(Engine engine, std::string directory)
    : engine_(std::move(engine)), directory_(std::move(directory)) {}

Result<Module> FunctionProviders::provider(const std::string& name) {
  if (auto it = compiled_.find(name); it != compiled_.end()) return it->second;
  auto bytes = read_provider(directory_, name);
  if (!bytes) return bytes.error();
  auto module = Module::compile(engine_, *bytes, name + ".wasm");
  if (!module) return module.error();
  compiled_.emplace(name, *module);
  return module;
}

Result<std::optional<Instance>> FunctionProviders::link(const Module& function, Store& store, Linker& linker) {
  auto name = function_provider(function.info());
  if (!name) return name.error();
  if (!*name) return std::optional<Instance>();
  auto module = provider(**name);
  if (!module) return module.error();
  auto instance = link_provider(**name, *module, store, linker);
  if (!instance) return instance.error();
  return std::optional<Instance>(*instance);
}

Result<Instance> link_provider(const std::string& name, const Module& provider, Store& store, Linker& linker) {
  auto instance = store.instantiate(provider, linker);
  if (!instance) return make_error(instance.error().kind, "provider " + name + ": " + instance.error().message);
  linker.define_instance(name, *instance);
  // function-runner rewrites such functions with its trampoline; kiln links the same API instead.
  if (name == kShopifyFunctionV1) {
    if (auto defined = define_shopify_function_v1(linker, *instance); !defined) return defined.error();
  }
  return *instance;
}

}  // namespace kiln::host
