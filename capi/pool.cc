// kiln_pool_* and kiln_lease_*: bounded pools of ready instances
// (include/kiln/kiln.h, "Instance pools").
#include <chrono>

#include "capi/internal.h"
#include "kiln/instance_pre.h"

using kiln::capi::fail;
using kiln::capi::guarded;

extern "C" {

void kiln_pool_config_init(kiln_pool_config_t* config) {
  if (!config) return;
  kiln::InstancePoolConfig defaults;
  config->max_instances = defaults.max_instances;
  config->max_resident_bytes = defaults.max_resident_bytes;
  config->limits.fuel = defaults.limits.fuel;
  config->limits.max_memory_bytes = defaults.limits.max_memory_bytes;
  config->limits.timeout_ns = static_cast<uint64_t>(defaults.limits.timeout.count());
}

kiln_status_t kiln_pool_new(kiln_module_t* module, kiln_linker_t* linker, const kiln_pool_config_t* config,
                            kiln_pool_t** out) {
  return guarded("kiln_pool_new", [&] {
    KILN_CAPI_REQUIRE("kiln_pool_new", module);
    KILN_CAPI_REQUIRE("kiln_pool_new", linker);
    KILN_CAPI_REQUIRE("kiln_pool_new", out);
    *out = nullptr;
    kiln_pool_config_t c;
    kiln_pool_config_init(&c);
    if (config) c = *config;
    auto pre = kiln::InstancePre::create(module->module, linker->linker);
    if (!pre) return fail(pre.error());
    kiln::InstancePoolConfig cpp;
    if (c.max_instances) cpp.max_instances = c.max_instances;
    if (c.max_resident_bytes) cpp.max_resident_bytes = c.max_resident_bytes;
    cpp.limits.fuel = c.limits.fuel;
    cpp.limits.max_memory_bytes = c.limits.max_memory_bytes;
    cpp.limits.timeout = std::chrono::nanoseconds(static_cast<int64_t>(c.limits.timeout_ns));
    *out = new kiln_pool_t{kiln::InstancePool::create(std::move(*pre), std::move(cpp))};
    return KILN_OK;
  });
}

void kiln_pool_delete(kiln_pool_t* pool) { delete pool; }

void kiln_pool_stats(const kiln_pool_t* pool, kiln_pool_stats_t* out) {
  if (!pool || !out) return;
  kiln::InstancePoolStats stats = pool->pool->stats();
  out->idle = stats.idle;
  out->leased = stats.leased;
  out->resident_bytes = stats.resident_bytes;
  out->created = stats.created;
  out->reused = stats.reused;
  out->discarded = stats.discarded;
}

kiln_status_t kiln_pool_acquire(kiln_pool_t* pool, kiln_lease_t** out) {
  return guarded("kiln_pool_acquire", [&] {
    KILN_CAPI_REQUIRE("kiln_pool_acquire", pool);
    KILN_CAPI_REQUIRE("kiln_pool_acquire", out);
    *out = nullptr;
    auto leased = pool->pool->acquire();
    // Exhausted, a trap while instantiating, a link error: the kind says.
    if (!leased) return fail(leased.error());
    auto lease = std::make_unique<kiln_lease_t>();
    lease->leased.emplace(std::move(*leased));
    lease->store.store = &lease->leased->store();
    lease->instance.emplace(kiln_instance_t{&lease->store, lease->leased->instance()});
    *out = lease.release();
    return KILN_OK;
  });
}

kiln_instance_t* kiln_lease_instance(kiln_lease_t* lease) { return lease ? &*lease->instance : nullptr; }
kiln_store_t* kiln_lease_store(kiln_lease_t* lease) { return lease ? &lease->store : nullptr; }

void kiln_lease_release(kiln_lease_t* lease) {
  if (!lease) return;
  // Release before the lease's handles go: the pool resets the instance.
  lease->leased->release();
  delete lease;
}

}  // extern "C"
