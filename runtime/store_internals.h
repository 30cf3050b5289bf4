// Store's state, shared by the runtime files that work on a Store (instance,
// instance_pre, instance_pool). Not part of the public API.
#pragma once

#include <memory>
#include <utility>
#include <vector>

#include "kiln/engine.h"
#include "kiln/limits.h"
#include "kiln/module.h"
#include "kiln/store.h"
#include "runtime/backend.h"
#include "runtime/call_meter.h"

namespace kiln {

// "env.log (func (i32) -> ())", for link errors.
inline std::string describe_import(const ImportDesc& import) {
  return import.module + "." + import.name + " (" + to_string(import.kind) + " " + import.type + ")";
}

struct Store::Impl {
  struct InstanceRecord {
    Module module;
    uint32_t backend_index;
  };

  Engine engine;
  std::unique_ptr<runtime::BackendStore> backend;
  Limits limits;
  runtime::CallMeter meter;
  Extern fuel_slot;
  Extern fuel_exhausted;
  std::vector<InstanceRecord> instances;
  std::vector<std::pair<const void*, std::shared_ptr<void>>> host_data;
  std::vector<std::shared_ptr<CallObserver>> observers;
  // Host functions already made in this store, by the HostFunc they came
  // from (an InstancePre's, kept alive here so the key stays unique), so
  // instantiating the same InstancePre again reuses them.
  std::vector<std::pair<std::shared_ptr<const HostFunc>, Extern>> host_funcs;

  explicit Impl(const Engine& e) : engine(e) {}
  // The backend's instances refer to their modules: they go first.
  ~Impl() { backend.reset(); }

  // The fuel slot's storage when the backend has one (AOT): read and
  // written directly around outermost calls, where it is authoritative.
  int64_t* fuel_cell = nullptr;

  int64_t slot() const { return static_cast<int64_t>(backend->global_get(fuel_slot).i64); }
  void set_slot(int64_t value) { backend->global_set(fuel_slot, Value::from_i64(value)); }

  // Metering around a call or an instantiation. A call made while another
  // runs (a host function calling back into a guest) is part of that call:
  // it shares its budget and deadline, and reports the fuel it used itself.
  struct MeterScope {
    bool outermost = true;
    uint64_t used_before = 0;
  };
  MeterScope enter_call() {
    if (meter.active) return MeterScope{false, meter.used(slot())};
    int64_t start = meter.begin(limits);
    if (fuel_cell) {
      *fuel_cell = start;
    } else {
      set_slot(start);
    }
    return MeterScope{};
  }
  // Fuel the call used.
  uint64_t leave_call(const MeterScope& scope) {
    if (!scope.outermost) return meter.used(slot()) - scope.used_before;
    meter.active = false;
    return meter.used(fuel_cell ? *fuel_cell : slot());
  }
  // The last stretch after the final check point can overrun the budget;
  // the budget is a hard limit, so a call that did is out of fuel too.
  bool over_budget(const MeterScope& scope, uint64_t fuel_used) const {
    return scope.used_before + fuel_used > meter.budget;
  }
  Trap out_of_fuel() const {
    return Trap{TrapKind::OutOfFuel, "fuel budget of " + std::to_string(meter.budget) + " units used up"};
  }

  // Called by the guest (kiln.__kiln_fuel_exhausted) when its fuel slot runs
  // negative: refills it from the budget, or traps (out of fuel, deadline).
  HostResult refill_fuel();

  runtime::InstantiateOptions instantiate_options() const;
  // Instantiates with imports already resolved (in link order, kiln's fuel
  // imports included) and records the instance.
  Result<Instance> instantiate(Store& store, const Module& module, std::span<const Extern> imports,
                               std::optional<Trap>* trap);
  // The Extern for an InstancePre's host function, made once per Store.
  Extern host_func(const std::shared_ptr<const HostFunc>& func);
  const InstanceRecord& record(uint32_t index) const { return instances[index]; }
};

}  // namespace kiln
