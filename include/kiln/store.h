// Store: one tenant's state. It owns the instances made in it, the items the
// host creates, the per-call limits and the host state host functions keep
// (the WASI context, for instance). Not thread-safe: one thread at a time.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "kiln/call_result.h"
#include "kiln/engine.h"
#include "kiln/extern.h"
#include "kiln/host_function.h"
#include "kiln/limits.h"
#include "kiln/result.h"
#include "kiln/trap.h"
#include "kiln/typed_func.h"
#include "kiln/value.h"

namespace kiln {

class Instance;
class Linker;
class Module;

class Store {
 public:
  explicit Store(const Engine& engine);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // Limits applied to every call (and to instantiation, which may run a start function).
  Limits& limits();
  const Limits& limits() const;

  // Resolves the module's imports through the linker, instantiates it and
  // runs its start function. Fails with a message naming the import that is
  // missing or mistyped, or the trap that initialization hit (a start
  // function, an out-of-bounds segment); then `trap`, if given, is set.
  Result<Instance> instantiate(const Module& module, const Linker& linker, std::optional<Trap>* trap = nullptr);

  // When the call now running must end: for host functions that wait (WASI
  // sleeps, stdin); outside a call, a full timeout from now. nullopt
  // without a timeout.
  std::optional<std::chrono::steady_clock::time_point> call_deadline() const;

  // Calls a function Extern of this Store under the Store's limits.
  CallResult call(Extern func, std::span<const Value> args);

  // Items the host creates (the spec tests' `spectest` module uses these).
  Extern new_memory(uint64_t min_pages, std::optional<uint64_t> max_pages);
  Extern new_table(ValType element, uint32_t min, std::optional<uint32_t> max);
  Extern new_global(Value value, bool is_mutable);

  Value global_get(Extern global) const;
  std::span<uint8_t> memory_data(Extern memory) const;

  // State that host functions keep per Store, found by a key of their own
  // (the address of a static variable).
  void set_host_data(const void* key, std::shared_ptr<void> data);
  void* host_data(const void* key) const;

  // Drops every piece of host state set with set_host_data (and the call
  // observers): what an instance pool does between tenants.
  void clear_host_data();

  // Watches every call made through Store::call / Instance::call, except
  // calls a host function makes back into a guest (those are part of the
  // call running): host state that records per-call figures (captured
  // output) implements it.
  class CallObserver {
   public:
    virtual ~CallObserver() = default;
    virtual void call_started() = 0;
    virtual void call_finished(CallResult& result) = 0;
  };
  void add_call_observer(std::shared_ptr<CallObserver> observer);

  // The raw call TypedFunc makes: arguments in `slots`, results written back
  // from slot 0, how it ended in `status` (written only when it did not
  // return, besides fuel_used). The caller guarantees the types (TypedFunc
  // checked them once); limits apply as for call().
  void call_raw(Extern func, RawValue* slots, RawCallStatus& status);

  // kiln's runtime layer reaches the backend and instance records through
  // this (runtime/store_internals.h).
  struct Impl;
  Impl& impl() { return *impl_; }
  const Impl& impl() const { return *impl_; }

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace kiln
