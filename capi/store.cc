// kiln_store_*: one tenant's state and its limits (include/kiln/kiln.h,
// "Store and limits"), and instantiation into it.
#include <chrono>

#include "capi/internal.h"

using kiln::capi::fail;
using kiln::capi::guarded;

extern "C" {

kiln_status_t kiln_store_new(kiln_engine_t* engine, kiln_store_t** out) {
  return guarded("kiln_store_new", [&] {
    KILN_CAPI_REQUIRE("kiln_store_new", engine);
    KILN_CAPI_REQUIRE("kiln_store_new", out);
    auto* store = new kiln_store_t{};
    store->owned = std::make_unique<kiln::Store>(engine->engine);
    store->store = store->owned.get();
    *out = store;
    return KILN_OK;
  });
}

void kiln_store_delete(kiln_store_t* store) {
  // A lease's store goes with its lease (kiln_lease_release).
  if (store && store->owned) delete store;
}

void kiln_store_get_limits(const kiln_store_t* store, kiln_limits_t* out) {
  if (!store || !out) return;
  const kiln::Limits& limits = store->store->limits();
  out->fuel = limits.fuel;
  out->max_memory_bytes = limits.max_memory_bytes;
  out->timeout_ns = static_cast<uint64_t>(limits.timeout.count());
}

kiln_status_t kiln_store_set_limits(kiln_store_t* store, const kiln_limits_t* limits) {
  return guarded("kiln_store_set_limits", [&] {
    KILN_CAPI_REQUIRE("kiln_store_set_limits", store);
    KILN_CAPI_REQUIRE("kiln_store_set_limits", limits);
    if (limits->timeout_ns > static_cast<uint64_t>(std::chrono::nanoseconds::max().count())) {
      return fail(KILN_ERR_INVALID_ARGUMENT, "kiln_store_set_limits: timeout_ns is too large");
    }
    kiln::Limits& to = store->store->limits();
    to.fuel = limits->fuel;
    to.max_memory_bytes = limits->max_memory_bytes;
    to.timeout = std::chrono::nanoseconds(static_cast<int64_t>(limits->timeout_ns));
    return KILN_OK;
  });
}

kiln_status_t kiln_store_instantiate(kiln_store_t* store, kiln_module_t* module, kiln_linker_t* linker,
                                     kiln_instance_t** out) {
  return guarded("kiln_store_instantiate", [&] {
    KILN_CAPI_REQUIRE("kiln_store_instantiate", store);
    KILN_CAPI_REQUIRE("kiln_store_instantiate", module);
    KILN_CAPI_REQUIRE("kiln_store_instantiate", linker);
    KILN_CAPI_REQUIRE("kiln_store_instantiate", out);
    *out = nullptr;
    // A pool resets its stores to hold their one pooled instance only.
    if (!store->owned) {
      return fail(KILN_ERR_INVALID_ARGUMENT, "kiln_store_instantiate: the store of a pool lease cannot take more instances");
    }
    auto instance = store->store->instantiate(module->module, linker->linker);
    // A trap in the start function is the guest's outcome; an import that
    // did not resolve or match is a link error: the kind says which.
    if (!instance) return fail(instance.error());
    *out = &store->instances.emplace_back(kiln_instance_t{store, std::move(*instance)});
    return KILN_OK;
  });
}

}  // extern "C"
