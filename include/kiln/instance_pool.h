// InstancePool: ready instances of one InstancePre, each in a Store of its
// own, leased to one caller at a time and reset when returned. A returned
// instance is made identical to a fresh instantiation — the used range of
// its memory cleared, data segments copied back, globals and tables
// restored, the start function and `_initialize` run again — while its
// pages stay resident, which is what makes acquire + call + release cheap.
// With ReactorReset::Snapshot a reactor's `_initialize` runs once per
// instance instead, and a reset restores the memory it left
// (runtime/memory_snapshot.h).
//
// A module that imports another module's instance (a Shopify function and
// its provider: host/function_providers.h) is pooled with that instance:
// create() with an `instantiate` that makes both in the slot's Store, and
// every release resets all the Store's instances, in the order they were
// made, so the pair is fresh again.
//
// Bounded twice: at most `max_instances` exist at once (leased or idle), and
// idle instances keep at most `max_resident_bytes` of memory; an instance
// returned beyond that cap is destroyed instead of kept.
//
// Thread-safe: any thread may acquire and release. A lease is used by one
// thread at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>

#include "kiln/instance.h"
#include "kiln/instance_pre.h"
#include "kiln/limits.h"
#include "kiln/result.h"
#include "kiln/trap.h"

namespace kiln {

class Store;
class InstancePool;

struct InstancePoolConfig {
  std::size_t max_instances = 64;
  uint64_t max_resident_bytes = uint64_t{256} << 20;
  // Limits every leased Store starts with (the caller may change them
  // during a lease; they are restored on release).
  Limits limits;
  // Called on every acquire, before the lease is handed out, to attach the
  // per-call host state the guest's imports need (a WASI context with this
  // call's input, for instance). Host state attached to a Store is dropped
  // on release, so one tenant's state never reaches the next. Runs on the
  // acquiring thread, possibly on several threads at once.
  std::function<void(Store&)> on_acquire;
  // How a reactor (a module exporting `_initialize`) is reset between
  // leases. Reinitialize: to a fresh instance, then `_initialize` again.
  // Snapshot: `_initialize` runs once, when the pool makes the instance,
  // and every reset restores memory 0 as it left it — the same state
  // without the cost. Modules whose initialized state may not all be in
  // memory 0 (MemorySnapshot::is_exact_for) are reinitialized regardless.
  enum class ReactorReset { Reinitialize, Snapshot };
  ReactorReset reactor_reset = ReactorReset::Reinitialize;
};

struct InstancePoolStats {
  std::size_t idle = 0;
  std::size_t leased = 0;
  uint64_t resident_bytes = 0;  // memory held by idle instances
  uint64_t created = 0;         // instantiations from scratch
  uint64_t reused = 0;          // acquires served by a reset instance
  uint64_t discarded = 0;       // instances dropped (cap, or reset impossible)
  uint64_t initialized = 0;     // `_initialize` runs (a reactor's; see ReactorReset)
};

// A leased instance. Move-only; returns to its pool when released or
// destroyed. It keeps its pool alive.
class PooledInstance {
 public:
  PooledInstance(PooledInstance&& other) noexcept;
  PooledInstance& operator=(PooledInstance&& other) noexcept;
  PooledInstance(const PooledInstance&) = delete;
  PooledInstance& operator=(const PooledInstance&) = delete;
  ~PooledInstance();

  Instance& instance() { return *instance_; }
  Instance* operator->() { return &*instance_; }
  Store& store();
  // The instances made before this one in its Store, which it links to
  // (InstancePool::create with `instantiate`), in the order made.
  std::size_t linked_count() const;
  Instance linked(std::size_t i);
  // Returns the instance to the pool now (reset for the next caller).
  void release();

 private:
  friend class InstancePool;
  struct Slot;
  PooledInstance(std::shared_ptr<InstancePool> pool, std::unique_ptr<Slot> slot);
  std::shared_ptr<InstancePool> pool_;
  std::unique_ptr<Slot> slot_;
  std::optional<Instance> instance_;
};

class InstancePool : public std::enable_shared_from_this<InstancePool> {
 public:
  static std::shared_ptr<InstancePool> create(InstancePre pre, InstancePoolConfig config = {});
  // Makes `module`'s instances with `instantiate` instead: given each new
  // slot's Store, it makes what the module links to first (another
  // module's instance, in the same Store) and then the module's instance,
  // as Store::instantiate does (start functions run); the pool runs
  // `_initialize` after it for a reactor. Resets cover every instance in
  // the Store; ReactorReset::Snapshot is not applied.
  using Instantiate = std::function<Result<Instance>(Store&, std::optional<Trap>*)>;
  static std::shared_ptr<InstancePool> create(Module module, Instantiate instantiate, InstancePoolConfig config = {});
  ~InstancePool();

  // An idle instance, else a new one. Fails when `max_instances` are leased
  // or a new instance cannot be made (its initialization trapped: `trap`
  // is set then).
  Result<PooledInstance> acquire(std::optional<Trap>* trap = nullptr);

  InstancePoolStats stats() const;
  const Module& module() const;

  struct Impl;

 private:
  friend class PooledInstance;
  explicit InstancePool(std::unique_ptr<Impl> impl);
  void give_back(std::unique_ptr<PooledInstance::Slot> slot);
  std::unique_ptr<Impl> impl_;
};

}  // namespace kiln
