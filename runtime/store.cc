#include "kiln/store.h"

#include <algorithm>

#include "base/fuel_abi.h"
#include "kiln/instance.h"
#include "kiln/linker.h"
#include "kiln/module.h"
#include "runtime/backend.h"
#include "runtime/call_meter.h"
#include "runtime/module_impl.h"
#include "runtime/store_internals.h"

namespace kiln {

namespace {

constexpr uint64_t kPageBytes = 65536;

}  // namespace

Store::Store(const Engine& engine) : impl_(std::make_unique<Impl>(engine)) {
  impl_->backend = engine.backend().new_store(*this);
  impl_->fuel_slot = impl_->backend->new_global(Value::from_i64(0), /*is_mutable=*/true);
  impl_->fuel_cell = impl_->backend->i64_global_cell(impl_->fuel_slot);
  impl_->fuel_exhausted = impl_->backend->new_host_func(HostFunc{
      FuncType{},
      [](HostContext& context, std::span<const Value>, std::span<Value>) {
        return context.store().impl().refill_fuel();
      }});
}

Store::~Store() = default;

Limits& Store::limits() { return impl_->limits; }
const Limits& Store::limits() const { return impl_->limits; }

HostResult Store::Impl::refill_fuel() {
  std::optional<Trap> trap;
  int64_t next = meter.refill(slot(), &trap);
  if (trap) return HostResult::trapped(trap->kind, trap->message);
  set_slot(next);
  return HostResult::ok();
}

Result<Instance> Store::instantiate(const Module& module, const Linker& linker, std::optional<Trap>* start_trap) {
  const Module::Impl& m = module.impl();
  std::vector<Extern> imports;
  imports.reserve(m.link_order.size());
  for (size_t i = 0; i < m.link_order.size(); ++i) {
    const auto& key = m.link_order[i];
    if (key.module == fuel_abi::kFuelImportModule && key.name == fuel_abi::kFuelGlobalName) {
      imports.push_back(impl_->fuel_slot);
      continue;
    }
    if (key.module == fuel_abi::kFuelImportModule && key.name == fuel_abi::kFuelExhaustedName) {
      imports.push_back(impl_->fuel_exhausted);
      continue;
    }
    const ImportDesc& desc = m.info.imports[i];
    const Linker::Definition* definition = linker.find(key.module, key.name);
    if (!definition) return make_error(ErrorKind::Link, module.name() + ": unknown import " + describe_import(desc));
    if (const auto* func = std::get_if<HostFunc>(definition)) {
      if (desc.kind != ExternKind::Func || func->type != desc.func_type) {
        return make_error(ErrorKind::Link, module.name() + ": incompatible import type for " + describe_import(desc) +
                          ": the host defines a function " + to_string(func->type));
      }
      imports.push_back(impl_->backend->new_host_func(*func));
      continue;
    }
    Extern item = std::get<Extern>(*definition);
    if (const Store* owner = linker.owner(key.module, key.name); owner && owner != this) {
      return make_error(ErrorKind::Link, module.name() + ": import " + describe_import(desc) +
                                             " is an export of an instance in another Store; an instance's exports "
                                             "link only into its own Store");
    }
    if (item.kind != desc.kind) {
      return make_error(ErrorKind::Link, module.name() + ": incompatible import type for " + describe_import(desc) + ": got a " +
                        to_string(item.kind));
    }
    imports.push_back(item);
  }

  return impl_->instantiate(*this, module, imports, start_trap);
}

runtime::InstantiateOptions Store::Impl::instantiate_options() const {
  runtime::InstantiateOptions options;
  options.max_memory_pages = limits.max_memory_bytes / kPageBytes;
  return options;
}

Result<Instance> Store::Impl::instantiate(Store& store, const Module& module, std::span<const Extern> imports,
                                          std::optional<Trap>* start_trap) {
  auto scope = enter_call();
  std::optional<Trap> trap;
  auto index = backend->instantiate(module.backend_module(), imports, instantiate_options(), &trap);
  leave_call(scope);
  if (start_trap) *start_trap = trap;
  if (!index) return prefix_error(module.name() + ": ", index.error());
  instances.push_back(InstanceRecord{module, *index});
  return Instance(&store, static_cast<uint32_t>(instances.size() - 1));
}

Extern Store::Impl::host_func(const std::shared_ptr<const HostFunc>& func) {
  for (const auto& [source, item] : host_funcs) {
    if (source == func) return item;
  }
  Extern item = backend->new_host_func(*func);
  host_funcs.emplace_back(func, item);
  return item;
}

CallResult Store::call(Extern func, std::span<const Value> args) {
  // Observers see outermost calls: a call a host function makes back into
  // the guest is part of the one running (its output is that call's too).
  auto scope = impl_->enter_call();
  if (scope.outermost) {
    for (const auto& observer : impl_->observers) observer->call_started();
  }
  auto start = std::chrono::steady_clock::now();
  CallResult result = impl_->backend->call(func, args);
  result.elapsed = std::chrono::steady_clock::now() - start;
  result.fuel_used = impl_->leave_call(scope);
  if (result.returned() && impl_->over_budget(scope, result.fuel_used)) {
    result.status = CallResult::Status::Trapped;
    result.values.clear();
    result.trap = impl_->out_of_fuel();
  }
  if (scope.outermost) {
    for (const auto& observer : impl_->observers) observer->call_finished(result);
  }
  return result;
}

void Store::call_raw(Extern func, RawValue* slots, RawCallStatus& status) {
  auto scope = impl_->enter_call();
  impl_->backend->call_raw(func, slots, status);
  status.fuel_used = impl_->leave_call(scope);
  if (status.status == CallResult::Status::Returned && impl_->over_budget(scope, status.fuel_used)) {
    status.status = CallResult::Status::Trapped;
    status.trap = impl_->out_of_fuel();
  }
}

namespace detail {
void call_raw(Store& store, Extern func, RawValue* slots, RawCallStatus& status) {
  store.call_raw(func, slots, status);
}
}  // namespace detail

std::optional<std::chrono::steady_clock::time_point> Store::call_deadline() const {
  if (impl_->meter.active) return impl_->meter.deadline;
  // A host function invoked by the host itself, outside any guest call.
  if (impl_->limits.timeout.count() <= 0) return std::nullopt;
  return std::chrono::steady_clock::now() + impl_->limits.timeout;
}

Extern Store::new_memory(uint64_t min_pages, std::optional<uint64_t> max_pages) {
  return impl_->backend->new_memory(min_pages, max_pages);
}
Extern Store::new_table(ValType element, uint32_t min, std::optional<uint32_t> max) {
  return impl_->backend->new_table(element, min, max);
}
Extern Store::new_global(Value value, bool is_mutable) { return impl_->backend->new_global(value, is_mutable); }
Value Store::global_get(Extern global) const { return impl_->backend->global_get(global); }
std::span<uint8_t> Store::memory_data(Extern memory) const { return impl_->backend->memory_data(memory); }

void Store::set_host_data(const void* key, std::shared_ptr<void> data) {
  for (auto& entry : impl_->host_data) {
    if (entry.first == key) {
      entry.second = std::move(data);
      return;
    }
  }
  impl_->host_data.emplace_back(key, std::move(data));
}

void* Store::host_data(const void* key) const {
  for (const auto& entry : impl_->host_data) {
    if (entry.first == key) return entry.second.get();
  }
  return nullptr;
}

void Store::clear_host_data() {
  impl_->host_data.clear();
  impl_->observers.clear();
}

void Store::add_call_observer(std::shared_ptr<CallObserver> observer) {
  impl_->observers.push_back(std::move(observer));
}

}  // namespace kiln
