#include "kiln/instance_pre.h"

#include <variant>
#include <vector>

#include "base/fuel_abi.h"
#include "kiln/linker.h"
#include "kiln/store.h"
#include "runtime/module_impl.h"
#include "runtime/reactor_initialize.h"
#include "runtime/store_internals.h"

namespace kiln {

namespace {

// What one import of the instrumented module is bound to.
struct FuelSlot {};
struct FuelExhausted {};
using ResolvedImport = std::variant<std::shared_ptr<const HostFunc>, FuelSlot, FuelExhausted>;

}  // namespace

struct InstancePre::Impl {
  Module module;
  std::vector<ResolvedImport> imports;  // in link order
  bool reactor = false;                 // exports _initialize: () -> ()
};

Result<InstancePre> InstancePre::create(const Module& module, const Linker& linker) {
  const Module::Impl& m = module.impl();
  auto impl = std::make_shared<Impl>(Impl{module, {}, false});
  impl->imports.reserve(m.link_order.size());
  for (size_t i = 0; i < m.link_order.size(); ++i) {
    const auto& key = m.link_order[i];
    if (key.module == fuel_abi::kFuelImportModule && key.name == fuel_abi::kFuelGlobalName) {
      impl->imports.emplace_back(FuelSlot{});
      continue;
    }
    if (key.module == fuel_abi::kFuelImportModule && key.name == fuel_abi::kFuelExhaustedName) {
      impl->imports.emplace_back(FuelExhausted{});
      continue;
    }
    const ImportDesc& desc = m.info.imports[i];
    const Linker::Definition* definition = linker.find(key.module, key.name);
    if (!definition) return make_error(ErrorKind::Link, module.name() + ": unknown import " + describe_import(desc));
    const auto* func = std::get_if<HostFunc>(definition);
    if (!func) {
      return make_error(ErrorKind::Link, module.name() + ": import " + describe_import(desc) +
                        " is defined by an item of a Store; an InstancePre can only bind host functions");
    }
    if (desc.kind != ExternKind::Func || func->type != desc.func_type) {
      return make_error(ErrorKind::Link, module.name() + ": incompatible import type for " + describe_import(desc) +
                        ": the host defines a function " + to_string(func->type));
    }
    impl->imports.emplace_back(std::make_shared<const HostFunc>(*func));
  }
  impl->reactor = is_reactor_module(module);
  return InstancePre(std::move(impl));
}

const Module& InstancePre::module() const { return impl_->module; }

bool InstancePre::is_reactor() const { return impl_->reactor; }

Result<Instance> InstancePre::instantiate(Store& store, std::optional<Trap>* trap, bool run_initialize) const {
  Store::Impl& s = store.impl();
  std::vector<Extern> imports;
  imports.reserve(impl_->imports.size());
  for (const ResolvedImport& import : impl_->imports) {
    if (std::holds_alternative<FuelSlot>(import)) {
      imports.push_back(s.fuel_slot);
    } else if (std::holds_alternative<FuelExhausted>(import)) {
      imports.push_back(s.fuel_exhausted);
    } else {
      imports.push_back(s.host_func(std::get<std::shared_ptr<const HostFunc>>(import)));
    }
  }
  auto instance = s.instantiate(store, impl_->module, imports, trap);
  if (!instance || !impl_->reactor || !run_initialize) return instance;
  if (auto initialized = initialize(*instance, trap); !initialized) return initialized.error();
  return instance;
}

Result<void> InstancePre::initialize(const Instance& instance, std::optional<Trap>* trap) const {
  if (!impl_->reactor) return {};
  return run_initialize(impl_->module, instance, trap);
}

}  // namespace kiln
