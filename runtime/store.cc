#include "kiln/store.h"

#include <algorithm>

#include "kiln/instance.h"
#include "kiln/linker.h"
#include "kiln/module.h"
#include "runtime/backend.h"
#include "runtime/call_meter.h"
#include "runtime/module_impl.h"
#include "wasm/fuel_instrumenter.h"

namespace kiln {

namespace {

constexpr uint64_t kPageBytes = 65536;

struct InstanceRecord {
  Module module;
  uint32_t backend_index;
};

}  // namespace

struct Store::Impl {
  Engine engine;
  std::unique_ptr<runtime::BackendStore> backend;
  Limits limits;
  runtime::CallMeter meter;
  Extern fuel_slot;
  Extern fuel_exhausted;
  std::vector<InstanceRecord> instances;
  std::vector<std::pair<const void*, std::shared_ptr<void>>> host_data;

  explicit Impl(const Engine& e) : engine(e) {}
  // The backend's instances refer to their modules: they go first.
  ~Impl() { backend.reset(); }

  int64_t slot() const { return static_cast<int64_t>(backend->global_get(fuel_slot).i64); }
  void set_slot(int64_t value) { backend->global_set(fuel_slot, Value::from_i64(value)); }

  // Arms the meter for a call or an instantiation.
  void begin_metering() { set_slot(meter.begin(limits)); }
  uint64_t end_metering() {
    meter.active = false;
    return meter.used(slot());
  }
};

Store::Store(const Engine& engine) : impl_(std::make_unique<Impl>(engine)) {
  impl_->backend = engine.backend().new_store(*this);
  impl_->fuel_slot = impl_->backend->new_global(Value::from_i64(0), /*is_mutable=*/true);
  impl_->fuel_exhausted = impl_->backend->new_host_func(HostFunc{
      FuncType{},
      [](HostContext& context, std::span<const Value>, std::span<Value>) {
        return context.store().refill_fuel();
      }});
}

Store::~Store() = default;

Limits& Store::limits() { return impl_->limits; }
const Limits& Store::limits() const { return impl_->limits; }
runtime::BackendStore& Store::backend_store() { return *impl_->backend; }

HostResult Store::refill_fuel() {
  std::optional<Trap> trap;
  int64_t next = impl_->meter.refill(impl_->slot(), &trap);
  if (trap) return HostResult::trapped(trap->kind, trap->message);
  impl_->set_slot(next);
  return HostResult::ok();
}

namespace {

std::string describe_import(const ImportDesc& import) {
  return import.module + "." + import.name + " (" + to_string(import.kind) + " " + import.type + ")";
}

}  // namespace

Result<Instance> Store::instantiate(const Module& module, const Linker& linker, std::optional<Trap>* start_trap) {
  const Module::Impl& m = module.impl();
  std::vector<Extern> imports;
  imports.reserve(m.link_order.size());
  for (size_t i = 0; i < m.link_order.size(); ++i) {
    const auto& key = m.link_order[i];
    if (key.module == wasm::kFuelImportModule && key.name == wasm::kFuelGlobalName) {
      imports.push_back(impl_->fuel_slot);
      continue;
    }
    if (key.module == wasm::kFuelImportModule && key.name == wasm::kFuelExhaustedName) {
      imports.push_back(impl_->fuel_exhausted);
      continue;
    }
    const ImportDesc& desc = m.info.imports[i];
    const Linker::Definition* definition = linker.find(key.module, key.name);
    if (!definition) return make_error(module.name() + ": unknown import " + describe_import(desc));
    if (const auto* func = std::get_if<HostFunc>(definition)) {
      if (desc.kind != ExternKind::Func || func->type != desc.func_type) {
        return make_error(module.name() + ": incompatible import type for " + describe_import(desc) +
                          ": the host defines a function " + to_string(func->type));
      }
      imports.push_back(impl_->backend->new_host_func(*func));
      continue;
    }
    Extern item = std::get<Extern>(*definition);
    if (item.kind != desc.kind) {
      return make_error(module.name() + ": incompatible import type for " + describe_import(desc) + ": got a " +
                        to_string(item.kind));
    }
    imports.push_back(item);
  }

  runtime::InstantiateOptions options;
  options.max_memory_pages = impl_->limits.max_memory_bytes / kPageBytes;
  impl_->begin_metering();
  std::optional<Trap> trap;
  auto index = impl_->backend->instantiate(module.backend_module(), imports, options, &trap);
  impl_->end_metering();
  if (start_trap) *start_trap = trap;
  if (!index) return make_error(module.name() + ": " + index.error().message);
  impl_->instances.push_back(InstanceRecord{module, *index});
  return Instance(this, static_cast<uint32_t>(impl_->instances.size() - 1));
}

CallResult Store::call(Extern func, std::span<const Value> args) {
  impl_->begin_metering();
  auto start = std::chrono::steady_clock::now();
  CallResult result = impl_->backend->call(func, args);
  result.elapsed = std::chrono::steady_clock::now() - start;
  result.fuel_used = impl_->end_metering();
  // The last stretch after the final check point can overrun the budget;
  // the budget is a hard limit, so such a call is out of fuel too.
  if (result.returned() && result.fuel_used > impl_->limits.fuel) {
    result.status = CallResult::Status::Trapped;
    result.values.clear();
    result.trap = Trap{TrapKind::OutOfFuel, "fuel budget of " + std::to_string(impl_->limits.fuel) + " units used up"};
  }
  return result;
}

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

const Module& Store::instance_module(uint32_t index) const { return impl_->instances[index].module; }
uint32_t Store::backend_instance(uint32_t index) const { return impl_->instances[index].backend_index; }

}  // namespace kiln
