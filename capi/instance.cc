// kiln_instance_*: calls and host access to guest memory (include/kiln/kiln.h,
// "Instances, calls, guest memory").
#include <array>
#include <cstring>
#include <optional>

#include "capi/internal.h"

using kiln::capi::fail;
using kiln::capi::guarded;

namespace {

std::string where(const kiln_instance_t& instance, std::string_view what) {
  return instance.instance.module().name() + ": " + std::string(what);
}

void clear(kiln_call_result_t& result) {
  std::memset(&result, 0, sizeof result);
  result.trap_message = "";
}

// A resolved function, or the status its resolution failed with (the
// message is already the thread's last error).
struct Resolved {
  std::optional<kiln_func_t> func;
  kiln_status_t status = KILN_OK;
  explicit operator bool() const { return func.has_value(); }
  kiln_func_t& operator*() { return *func; }
  kiln_status_t error() const { return status; }
};

Resolved resolve(kiln_instance_t& instance, const char* export_name) {
  Resolved out;
  std::string what = where(instance, std::string("export '") + export_name + "'");
  const kiln::ExportDesc* desc = instance.instance.module().info().find_export(export_name);
  auto item = instance.instance.get_export(export_name);
  if (!desc || desc->kind != kiln::ExternKind::Func || !item) {
    out.status = fail(KILN_ERR_LINK, what + ": no such exported function");
    return out;
  }
  for (kiln::ValType type : desc->func_type.params) {
    if (!kiln::capi::to_c(type)) {
      out.status = fail(KILN_ERR_INVALID_ARGUMENT, what + " has type " + to_string(desc->func_type) +
                                                       ": the C API passes only i32, i64, f32 and f64");
      return out;
    }
  }
  for (kiln::ValType type : desc->func_type.results) {
    if (!kiln::capi::to_c(type)) {
      out.status = fail(KILN_ERR_INVALID_ARGUMENT, what + " has type " + to_string(desc->func_type) +
                                                       ": the C API passes only i32, i64, f32 and f64");
      return out;
    }
  }
  out.func = kiln_func_t{&instance, *item, desc->func_type, std::move(what)};
  return out;
}

// One call under the store's limits. Up to 16 arguments stay on the stack.
kiln_status_t call(const kiln_func_t& func, const kiln_val_t* args, size_t nargs, kiln_val_t* results,
                   size_t nresults, kiln_call_result_t* result) {
  if (!args && nargs > 0) return fail(KILN_ERR_INVALID_ARGUMENT, func.what + ": args is NULL");
  if (!results && nresults > 0) return fail(KILN_ERR_INVALID_ARGUMENT, func.what + ": results is NULL");
  const kiln::FuncType& type = func.type;
  if (nargs != type.params.size() || nresults != type.results.size()) {
    return fail(KILN_ERR_INVALID_ARGUMENT, func.what + " has type " + to_string(type) + ": called with " +
                                               std::to_string(nargs) + " arguments and room for " +
                                               std::to_string(nresults) + " results");
  }
  for (size_t i = 0; i < nargs; ++i) {
    if (kiln::capi::to_val_type(args[i].kind) != type.params[i]) {
      return fail(KILN_ERR_INVALID_ARGUMENT, func.what + " has type " + to_string(type) + ": argument " +
                                                 std::to_string(i) + " is of another kind");
    }
  }
  constexpr size_t kInline = 16;
  std::array<kiln::Value, kInline> inline_args;
  std::vector<kiln::Value> heap_args;
  std::span<kiln::Value> values(inline_args.data(), nargs);
  if (nargs > kInline) values = heap_args = std::vector<kiln::Value>(nargs);
  for (size_t i = 0; i < nargs; ++i) values[i] = kiln::capi::to_value(args[i]);

  kiln_store_t& store = *func.instance->store;
  store.last_call = store.store->call(func.func, values);
  // Memories only grow, so the size at the end is the call's peak.
  store.last_call.memory_peak_bytes = func.instance->instance.memory().size();
  kiln_status_t status = kiln::capi::report_call(store, result, func.what);
  if (status != KILN_OK) return status;
  for (size_t i = 0; i < nresults; ++i) results[i] = *kiln::capi::to_c(store.last_call.values.at(i));
  return KILN_OK;
}

}  // namespace

extern "C" {

kiln_status_t kiln_instance_call(kiln_instance_t* instance, const char* export_name, const kiln_val_t* args,
                                 size_t nargs, kiln_val_t* results, size_t nresults, kiln_call_result_t* result) {
  return guarded("kiln_instance_call", [&] {
    KILN_CAPI_REQUIRE("kiln_instance_call", instance);
    KILN_CAPI_REQUIRE("kiln_instance_call", export_name);
    if (result) clear(*result);
    auto func = resolve(*instance, export_name);
    if (!func) return func.error();
    return call(*func, args, nargs, results, nresults, result);
  });
}

kiln_status_t kiln_instance_get_func(kiln_instance_t* instance, const char* export_name, kiln_func_t** out) {
  return guarded("kiln_instance_get_func", [&] {
    KILN_CAPI_REQUIRE("kiln_instance_get_func", instance);
    KILN_CAPI_REQUIRE("kiln_instance_get_func", export_name);
    KILN_CAPI_REQUIRE("kiln_instance_get_func", out);
    *out = nullptr;
    auto func = resolve(*instance, export_name);
    if (!func) return func.error();
    *out = &instance->store->funcs.emplace_back(std::move(*func));
    return KILN_OK;
  });
}

kiln_status_t kiln_func_call(kiln_func_t* func, const kiln_val_t* args, size_t nargs, kiln_val_t* results,
                             size_t nresults, kiln_call_result_t* result) {
  return guarded("kiln_func_call", [&] {
    KILN_CAPI_REQUIRE("kiln_func_call", func);
    if (result) clear(*result);
    return call(*func, args, nargs, results, nresults, result);
  });
}

uint8_t* kiln_instance_memory(kiln_instance_t* instance, size_t* size) {
  if (size) *size = 0;
  if (!instance) return nullptr;
  std::span<uint8_t> memory = instance->instance.memory();
  if (memory.empty()) return nullptr;
  if (size) *size = memory.size();
  return memory.data();
}

kiln_status_t kiln_instance_read_memory(kiln_instance_t* instance, uint32_t offset, void* out, size_t length) {
  return guarded("kiln_instance_read_memory", [&] {
    KILN_CAPI_REQUIRE("kiln_instance_read_memory", instance);
    if (!out && length > 0) return fail(KILN_ERR_INVALID_ARGUMENT, "kiln_instance_read_memory: out is NULL");
    if (length > UINT32_MAX) {
      return fail(KILN_ERR_INVALID_ARGUMENT, where(*instance, "kiln_instance_read_memory: length above 4 GiB"));
    }
    auto range = instance->instance.memory_range(kiln::GuestSlice{offset, static_cast<uint32_t>(length)});
    if (!range) return fail(kiln::capi::status_of(range.error()), where(*instance, range.error().message));
    if (length > 0) std::memcpy(out, range->data(), length);
    return KILN_OK;
  });
}

kiln_status_t kiln_instance_write_memory(kiln_instance_t* instance, uint32_t offset, const void* data,
                                         size_t length) {
  return guarded("kiln_instance_write_memory", [&] {
    KILN_CAPI_REQUIRE("kiln_instance_write_memory", instance);
    if (!data && length > 0) return fail(KILN_ERR_INVALID_ARGUMENT, "kiln_instance_write_memory: data is NULL");
    auto written = instance->instance.write_memory(offset, {static_cast<const uint8_t*>(data), length});
    if (!written) return fail(kiln::capi::status_of(written.error()), where(*instance, written.error().message));
    return KILN_OK;
  });
}

kiln_status_t kiln_instance_write_input(kiln_instance_t* instance, const void* data, uint32_t size,
                                        uint32_t* out_offset) {
  return guarded("kiln_instance_write_input", [&] {
    KILN_CAPI_REQUIRE("kiln_instance_write_input", instance);
    KILN_CAPI_REQUIRE("kiln_instance_write_input", out_offset);
    if (!data && size > 0) return fail(KILN_ERR_INVALID_ARGUMENT, "kiln_instance_write_input: data is NULL");
    auto slice = instance->instance.write_input({static_cast<const uint8_t*>(data), size});
    // The guest's allocator ran: a trap there is the guest's outcome (its
    // kind says which), any other failure (no allocator, a bad pointer) the
    // caller's to fix.
    if (!slice) return fail(kiln::capi::status_of(slice.error()), where(*instance, slice.error().message));
    *out_offset = slice->offset;
    return KILN_OK;
  });
}

kiln_status_t kiln_instance_reserve_host_region(kiln_instance_t* instance, uint32_t size, uint32_t* out_offset) {
  return guarded("kiln_instance_reserve_host_region", [&] {
    KILN_CAPI_REQUIRE("kiln_instance_reserve_host_region", instance);
    KILN_CAPI_REQUIRE("kiln_instance_reserve_host_region", out_offset);
    auto slice = instance->instance.reserve_host_region(size);
    if (!slice) return fail(kiln::capi::status_of(slice.error()), where(*instance, slice.error().message));
    *out_offset = slice->offset;
    return KILN_OK;
  });
}

}  // extern "C"
