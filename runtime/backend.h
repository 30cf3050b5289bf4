// The backend interface: what an execution tier (backends/interp, later
// backends/aot) implements so that runtime/ can run modules on it. A backend
// never sees extension points, WASI or fuel policy: it runs an already
// instrumented module, calls host functions it is handed, and reports traps
// as kiln::Trap values.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "kiln/call_result.h"
#include "kiln/extern.h"
#include "kiln/host_function.h"
#include "kiln/module_info.h"
#include "kiln/result.h"
#include "kiln/typed_func.h"
#include "kiln/value.h"

namespace kiln {
class Store;
}

namespace kiln::runtime {

// A module loaded into a backend: immutable, shareable across threads.
class BackendModule {
 public:
  virtual ~BackendModule() = default;
};

struct InstantiateOptions {
  // Linear memories are capped at this many pages: memory.grow past it
  // returns -1; an initial size above it fails instantiation.
  uint64_t max_memory_pages = 65536;
};

// One Store's worth of backend state: instances, host items, and the
// objects they share. Used by one thread at a time.
class BackendStore {
 public:
  virtual ~BackendStore() = default;

  // `imports` are in the order of the module's import section (including
  // kiln's own fuel imports, which runtime/ appends). Returns the instance
  // index, or an error naming the import that did not match or the trap the
  // start function hit (the trap kind is also in `out_trap` when it trapped).
  virtual Result<uint32_t> instantiate(const BackendModule& module, std::span<const Extern> imports,
                                       const InstantiateOptions& options, std::optional<Trap>* out_trap) = 0;

  virtual std::optional<Extern> instance_export(uint32_t instance, std::string_view name) const = 0;
  virtual std::optional<Extern> instance_memory(uint32_t instance) const = 0;

  // Host items. A host function is called with a HostContext whose memory()
  // is memory 0 of the instance that called it.
  virtual Extern new_host_func(const HostFunc& func) = 0;
  virtual Extern new_memory(uint64_t min_pages, std::optional<uint64_t> max_pages) = 0;
  virtual Extern new_table(ValType element, uint32_t min, std::optional<uint32_t> max) = 0;
  virtual Extern new_global(Value value, bool is_mutable) = 0;

  virtual Value global_get(Extern global) const = 0;
  virtual void global_set(Extern global, Value value) = 0;
  virtual std::span<uint8_t> memory_data(Extern memory) const = 0;

  // Runs a function. Returned / Trapped / Exited (a host function asked to
  // exit) / Failed (wrong argument count or types). `fuel_used`, `elapsed`
  // and the memory peak are filled in by runtime/, not by the backend.
  virtual CallResult call(Extern func, std::span<const Value> args) = 0;

  // Where an i64 global's value lives, for the Store to read and write the
  // fuel slot without a virtual call per access; valid outside calls (and
  // in calls made by AOT code), nullptr when the backend has no such cell.
  virtual int64_t* i64_global_cell(Extern global) {
    (void)global;
    return nullptr;
  }

  // The type of a function Extern of this store.
  virtual FuncType func_type(Extern func) const = 0;

  // The typed fast path: arguments in `slots`, results written back from
  // slot 0, types already checked by the caller. The default goes through
  // call(); a backend with a cheaper path overrides it.
  // `status` is written only when the call did not return.
  virtual void call_raw(Extern func, RawValue* slots, RawCallStatus& status);

  // memory.grow done by the host: the previous size in pages, or nullopt
  // when the memory cannot grow by `delta_pages` within `max_pages`.
  virtual std::optional<uint64_t> memory_grow(Extern memory, uint64_t delta_pages, uint64_t max_pages) = 0;

  // Puts `instance` back in the state a fresh instantiation with the same
  // imports gives (memory, globals, tables, start function run again) and
  // keeps its exports' Externs valid. False when the backend cannot (the
  // caller then makes a new Store); an error when re-initialization failed.
  // `memory0_pages` above memory 0's initial size: memory 0 is then grown to
  // it, as a pool restoring a snapshot that `_initialize` grew would do next.
  // The caller passes it only when no guest code runs during the reset (no
  // start function), so the backend may keep those pages accessible instead
  // of removing their access and giving it back (two syscalls).
  virtual bool can_reset(uint32_t instance) const {
    (void)instance;
    return false;
  }
  virtual Result<void> reset_instance(uint32_t instance, const InstantiateOptions& options,
                                      std::optional<Trap>* out_trap, uint64_t memory0_pages);
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::string_view name() const = 0;
  // `wasm` is the fuel-instrumented binary; `info` describes it.
  virtual Result<std::shared_ptr<const BackendModule>> load(std::span<const uint8_t> wasm,
                                                            std::string_view name) const = 0;
  // `store` is the kiln::Store the backend store belongs to; host functions
  // receive it through HostContext::store().
  virtual std::unique_ptr<BackendStore> new_store(Store& store) const = 0;
};

}  // namespace kiln::runtime
