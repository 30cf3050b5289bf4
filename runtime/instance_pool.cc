#include "kiln/instance_pool.h"

#include <atomic>
#include <mutex>
#include <vector>

#include "kiln/store.h"
#include "runtime/memory_snapshot.h"
#include "runtime/reactor_initialize.h"
#include "runtime/store_internals.h"

namespace kiln {
namespace {

constexpr uint64_t kPageBytes = 65536;

// The memories the Store's instances define (an imported one is counted
// where it is defined).
uint64_t resident_memory_bytes(Store& store) {
  uint64_t bytes = 0;
  const auto& instances = store.impl().instances;
  for (uint32_t i = 0; i < instances.size(); ++i) {
    const auto& memories = instances[i].module.info().memories;
    if (!memories.empty() && !memories[0].imported) bytes += Instance(&store, i).memory().size();
  }
  return bytes;
}

}  // namespace

struct PooledInstance::Slot {
  std::unique_ptr<Store> store;
  uint32_t instance = 0;
  std::vector<uint32_t> linked;  // the Store's other instances, in the order made
  uint64_t resident_bytes = 0;  // the memories the Store's instances define, reset
  std::unique_ptr<MemorySnapshot> snapshot;  // a snapshotted reactor's initialized memory
};

struct InstancePool::Impl {
  Impl(InstancePre p, InstancePoolConfig c)
      : module(p.module()),
        pre(std::move(p)),
        config(std::move(c)),
        reactor(pre->is_reactor()),
        snapshots(config.reactor_reset == InstancePoolConfig::ReactorReset::Snapshot && reactor &&
                  MemorySnapshot::is_exact_for(module.info())) {}
  Impl(Module m, Instantiate make, InstancePoolConfig c)
      : module(std::move(m)),
        instantiate(std::move(make)),
        config(std::move(c)),
        reactor(is_reactor_module(module)),
        snapshots(false) {}

  // A new slot's instance, initialized; its snapshot taken when `snapshots`.
  Result<void> make_instance(PooledInstance::Slot& slot, std::optional<Trap>* trap);
  // Back to the state a new instance has; false when it cannot be.
  bool reset(PooledInstance::Slot& slot);

  Module module;
  // Slots are made from `pre`, or by `instantiate` when it is set.
  std::optional<InstancePre> pre;
  Instantiate instantiate;
  InstancePoolConfig config;
  const bool reactor;
  const bool snapshots;
  mutable std::mutex mutex;
  std::vector<std::unique_ptr<PooledInstance::Slot>> idle;  // guarded by mutex, and so is what follows
  std::size_t leased = 0;
  uint64_t resident_bytes = 0;
  uint64_t created = 0;
  uint64_t reused = 0;
  uint64_t discarded = 0;
  std::atomic<uint64_t> initialized{0};
};

Result<void> InstancePool::Impl::make_instance(PooledInstance::Slot& slot, std::optional<Trap>* trap) {
  slot.store = std::make_unique<Store>(module.engine());
  slot.store->limits() = config.limits;
  if (instantiate) {
    auto instance = instantiate(*slot.store, trap);
    if (!instance) return instance.error();
    slot.instance = instance->index();
    const auto made = static_cast<uint32_t>(slot.store->impl().instances.size());
    for (uint32_t i = 0; i < made; ++i) {
      if (i != slot.instance) slot.linked.push_back(i);
    }
    if (reactor) initialized.fetch_add(1, std::memory_order_relaxed);
    return run_initialize(module, *instance, trap);
  }
  auto instance = pre->instantiate(*slot.store, trap, /*initialize=*/!snapshots);
  if (!instance) return instance.error();
  slot.instance = instance->index();
  if (reactor) initialized.fetch_add(1, std::memory_order_relaxed);
  if (!snapshots) return {};
  // Which chunks are non-zero before `_initialize` (data segments), so the
  // snapshot also keeps those it zeroes.
  std::vector<bool> fresh = MemorySnapshot::nonzero_chunks(instance->memory());
  if (auto ran = run_initialize(module, *instance, trap); !ran) return ran.error();
  slot.snapshot = std::make_unique<MemorySnapshot>(MemorySnapshot::capture(instance->memory(), fresh));
  return {};
}

bool InstancePool::Impl::reset(PooledInstance::Slot& slot) {
  Store& store = *slot.store;
  Store::Impl& s = store.impl();
  // What the instance links to first: its start function and data
  // segments may write into their memories.
  for (uint32_t linked : slot.linked) {
    const uint32_t index = s.record(linked).backend_index;
    if (!s.backend->can_reset(index) || !s.backend->reset_instance(index, s.instantiate_options(), nullptr, 0).ok()) {
      return false;
    }
  }
  const uint32_t backend_index = s.record(slot.instance).backend_index;
  if (!s.backend->can_reset(backend_index)) return false;
  // A snapshot's memory size is asked of the reset itself when no start
  // function runs in it: the memory is then grown without the shrink and
  // regrow (two syscalls) that a reset to the initial size would cost.
  uint64_t memory0_pages = 0;
  if (slot.snapshot && !module.info().has_start) memory0_pages = slot.snapshot->memory_size() / kPageBytes;
  if (!s.backend->reset_instance(backend_index, s.instantiate_options(), nullptr, memory0_pages).ok()) return false;
  Instance instance(&store, slot.instance);
  if (slot.snapshot) return slot.snapshot->restore(instance).ok();
  if (reactor) initialized.fetch_add(1, std::memory_order_relaxed);
  return run_initialize(module, instance).ok();
}

// ---- PooledInstance ---------------------------------------------------------

PooledInstance::PooledInstance(std::shared_ptr<InstancePool> pool, std::unique_ptr<Slot> slot)
    : pool_(std::move(pool)), slot_(std::move(slot)), instance_(Instance(slot_->store.get(), slot_->instance)) {}

PooledInstance::PooledInstance(PooledInstance&& other) noexcept = default;

PooledInstance& PooledInstance::operator=(PooledInstance&& other) noexcept {
  if (this != &other) {
    release();
    pool_ = std::move(other.pool_);
    slot_ = std::move(other.slot_);
    instance_ = std::move(other.instance_);
  }
  return *this;
}

PooledInstance::~PooledInstance() { release(); }

Store& PooledInstance::store() { return *slot_->store; }

std::size_t PooledInstance::linked_count() const { return slot_->linked.size(); }

Instance PooledInstance::linked(std::size_t i) { return Instance(slot_->store.get(), slot_->linked.at(i)); }

void PooledInstance::release() {
  if (!slot_) return;
  instance_.reset();
  pool_->give_back(std::move(slot_));
  pool_.reset();
}

// ---- InstancePool -----------------------------------------------------------

InstancePool::InstancePool(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

InstancePool::~InstancePool() = default;

std::shared_ptr<InstancePool> InstancePool::create(InstancePre pre, InstancePoolConfig config) {
  return std::shared_ptr<InstancePool>(
      new InstancePool(std::make_unique<Impl>(std::move(pre), std::move(config))));
}

std::shared_ptr<InstancePool> InstancePool::create(Module module, Instantiate instantiate, InstancePoolConfig config) {
  return std::shared_ptr<InstancePool>(
      new InstancePool(std::make_unique<Impl>(std::move(module), std::move(instantiate), std::move(config))));
}

const Module& InstancePool::module() const { return impl_->module; }

Result<PooledInstance> InstancePool::acquire(std::optional<Trap>* trap) {
  std::unique_ptr<PooledInstance::Slot> slot;
  {
    std::lock_guard lock(impl_->mutex);
    if (!impl_->idle.empty()) {
      slot = std::move(impl_->idle.back());
      impl_->idle.pop_back();
      impl_->resident_bytes -= slot->resident_bytes;
      ++impl_->reused;
    } else if (impl_->leased >= impl_->config.max_instances) {
      return make_error(ErrorKind::PoolExhausted, impl_->module.name() + ": instance pool exhausted: all " +
                        std::to_string(impl_->config.max_instances) + " instances are leased");
    } else {
      ++impl_->created;
    }
    ++impl_->leased;
  }
  if (!slot) {
    // Instantiated outside the lock: it can run a start function.
    slot = std::make_unique<PooledInstance::Slot>();
    if (auto made = impl_->make_instance(*slot, trap); !made) {
      std::lock_guard lock(impl_->mutex);
      --impl_->leased;
      return made.error();
    }
  }
  if (impl_->config.on_acquire) impl_->config.on_acquire(*slot->store);
  return PooledInstance(shared_from_this(), std::move(slot));
}

void InstancePool::give_back(std::unique_ptr<PooledInstance::Slot> slot) {
  Store& store = *slot->store;
  store.clear_host_data();
  store.limits() = impl_->config.limits;
  const bool reset = impl_->reset(*slot);
  if (reset) slot->resident_bytes = resident_memory_bytes(store);

  std::unique_ptr<PooledInstance::Slot> dropped;  // destroyed outside the lock
  std::lock_guard lock(impl_->mutex);
  --impl_->leased;
  if (reset && impl_->resident_bytes + slot->resident_bytes <= impl_->config.max_resident_bytes) {
    impl_->resident_bytes += slot->resident_bytes;
    impl_->idle.push_back(std::move(slot));
  } else {
    ++impl_->discarded;
    dropped = std::move(slot);
  }
}

InstancePoolStats InstancePool::stats() const {
  std::lock_guard lock(impl_->mutex);
  InstancePoolStats stats;
  stats.idle = impl_->idle.size();
  stats.leased = impl_->leased;
  stats.resident_bytes = impl_->resident_bytes;
  stats.created = impl_->created;
  stats.reused = impl_->reused;
  stats.discarded = impl_->discarded;
  stats.initialized = impl_->initialized.load(std::memory_order_relaxed);
  return stats;
}

}  // namespace kiln
