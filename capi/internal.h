// What the C API's handles are (include/kiln/kiln.h) and the helpers every
// capi/*.cc file shares: error reporting, status mapping, value
// conversion. C++ underneath; no exception leaves a kiln_* function
// (guarded() catches at the boundary).
#pragma once

#include <cstring>
#include <deque>
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "kiln/call_result.h"
#include "kiln/engine.h"
#include "kiln/instance.h"
#include "kiln/instance_pool.h"
#include "kiln/kiln.h"
#include "kiln/linker.h"
#include "kiln/module.h"
#include "kiln/store.h"

struct kiln_engine_t {
  kiln::Engine engine;
};

struct kiln_module_t {
  kiln::Module module;
  // Names as C strings for kiln_module_export_name and friends.
  std::vector<std::string> import_modules, import_names, export_names;
};

struct kiln_linker_t {
  kiln::Linker linker;
};

struct kiln_instance_t {
  kiln_store_t* store;
  kiln::Instance instance;
};

// An exported function resolved once (kiln_instance_get_func).
struct kiln_func_t {
  kiln_instance_t* instance;
  kiln::Extern func;
  kiln::FuncType type;
  std::string what;  // "<module>: export '<name>'", for messages
};

struct kiln_store_t {
  // A store of its own, or the store of a lease (then `owned` is empty).
  std::unique_ptr<kiln::Store> owned;
  kiln::Store* store = nullptr;
  // Stable addresses: handed out as kiln_instance_t*.
  std::deque<kiln_instance_t> instances;
  std::deque<kiln_func_t> funcs;
  // The last call's figures: kiln_call_result_t's strings point into it.
  kiln::CallResult last_call;
};

struct kiln_pool_t {
  std::shared_ptr<kiln::InstancePool> pool;
};

struct kiln_lease_t {
  std::optional<kiln::PooledInstance> leased;
  kiln_store_t store;
  std::optional<kiln_instance_t> instance;
};

namespace kiln::capi {

// What a C caller stored in an enum argument or field, which may be none of
// the enumerators: read as an int, because loading an out-of-range value
// through the enum type is undefined in C++ (UBSan's -fsanitize=enum).
template <class E>
int raw_enum(const E& value) {
  static_assert(sizeof(E) == sizeof(int));
  int raw;
  std::memcpy(&raw, &value, sizeof raw);
  return raw;
}

// Records `message` as this thread's last error and returns `status`.
kiln_status_t fail(kiln_status_t status, std::string message);

// The status of an Error: its kind, one to one (error.cc holds them
// together). No caller reads the message to choose.
inline kiln_status_t status_of(const Error& error) { return static_cast<kiln_status_t>(error.kind); }
// fail(status_of(error), its message, prefixed with `prefix`).
kiln_status_t fail(const Error& error, std::string_view prefix = {});

// Runs `body` (which returns a kiln_status_t), turning any exception into
// KILN_ERR_INTERNAL with its message.
template <class Body>
kiln_status_t guarded(const char* function, Body&& body) noexcept {
  try {
    return body();
  } catch (const std::bad_alloc&) {
    return fail(KILN_ERR_INTERNAL, std::string(function) + ": out of memory");
  } catch (const std::exception& error) {
    return fail(KILN_ERR_INTERNAL, std::string(function) + ": " + error.what());
  } catch (...) {
    return fail(KILN_ERR_INTERNAL, std::string(function) + ": unknown error");
  }
}

// A NULL check that names the function and the argument.
#define KILN_CAPI_REQUIRE(function, arg)                                                          \
  do {                                                                                            \
    if (!(arg)) return ::kiln::capi::fail(KILN_ERR_INVALID_ARGUMENT, std::string(function) + ": " #arg " is NULL"); \
  } while (0)

kiln_trap_kind_t to_c(TrapKind kind);
// The status a trap maps to: OUT_OF_FUEL and DEADLINE have their own.
kiln_status_t status_of(const Trap& trap);

// Value conversion; false when the kind is not one the C API passes.
std::optional<ValType> to_val_type(const kiln_valkind_t& kind);
std::optional<kiln_valkind_t> to_c(ValType type);
Value to_value(const kiln_val_t& value);
std::optional<kiln_val_t> to_c(const Value& value);

// Fills `out` (may be NULL) from the store's last call, and returns its status
// (setting the last error when it is not KILN_OK).
kiln_status_t report_call(kiln_store_t& store, kiln_call_result_t* out, const std::string& what);

}  // namespace kiln::capi
