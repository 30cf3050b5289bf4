#include "host/shopify_function_trampoline.h"

#include <array>
#include <cstring>
#include <memory>
#include <span>
#include <string>

#include "kiln/host_function.h"
#include "kiln/module.h"
#include "kiln/typed_func.h"

namespace kiln::host {

namespace {

// The API's names that are the provider's export as they are: values and
// handles only, no pointer into either memory.
constexpr std::array<const char*, 16> kDirect{
    "shopify_function_context_new",
    "shopify_function_input_get",
    "shopify_function_input_get_val_len",
    "shopify_function_input_get_interned_obj_prop",
    "shopify_function_input_get_at_index",
    "shopify_function_input_get_obj_key_at_index",
    "shopify_function_output_new_bool",
    "shopify_function_output_new_null",
    "shopify_function_output_new_i32",
    "shopify_function_output_new_f64",
    "shopify_function_output_new_interned_utf8_str",
    "shopify_function_output_new_object",
    "shopify_function_output_finish_object",
    "shopify_function_output_new_array",
    "shopify_function_output_finish_array",
    "shopify_function_output_finalize",
};

// The provider's exports the four copying functions call.
struct Provider {
  Instance instance;
  TypedFunc<uint32_t(uint32_t, uint32_t)> str_addr;                       // (ctx, value) -> address
  TypedFunc<uint64_t(uint32_t, uint64_t, uint32_t, uint32_t)> obj_prop;  // (ctx, obj, key, len) -> value
  TypedFunc<uint64_t(uint32_t, uint32_t)> new_utf8_str;                   // (ctx, len) -> result << 32 | address
  TypedFunc<uint64_t(uint32_t, uint32_t)> intern;                         // (ctx, len) -> id << 32 | address
  TypedFunc<uint32_t(uint32_t, uint32_t, uint32_t, uint32_t)> realloc;    // (ptr, size, align, new size) -> ptr
  TypedFunc<void(uint32_t, uint32_t, uint32_t)> free;                     // (ptr, size, align)
};

// `length` bytes at `offset` of `memory`, or nullptr when they do not fit.
uint8_t* range(std::span<uint8_t> memory, uint32_t offset, uint32_t length) {
  if (uint64_t{offset} + length > memory.size()) return nullptr;
  return memory.data() + offset;
}

HostResult out_of_bounds(const char* function, const char* whose, uint32_t offset, uint32_t length, size_t size) {
  return HostResult::trapped(TrapKind::MemoryOutOfBounds,
                             std::string(function) + ": " + std::to_string(length) + " bytes at " +
                                 std::to_string(offset) + " are outside the " + whose + " memory (" +
                                 std::to_string(size) + " bytes)");
}

// A provider call that did not return ends the guest's call the same way.
template <class Outcome>
std::optional<HostResult> failed(const Outcome& outcome) {
  switch (outcome.status) {
    case CallResult::Status::Returned: return std::nullopt;
    case CallResult::Status::Trapped: return HostResult::trapped(outcome.trap.kind, outcome.trap.message);
    case CallResult::Status::Exited: return HostResult::exited(outcome.exit_code);
    case CallResult::Status::Failed: return HostResult::trapped(TrapKind::HostError, outcome.error);
  }
  return std::nullopt;
}

// Copies `length` guest bytes at `from` to `to` in the provider's memory.
std::optional<HostResult> copy_to_provider(const char* function, HostContext& guest, const Provider& provider,
                                           uint32_t from, uint32_t to, uint32_t length) {
  std::span<uint8_t> source = guest.memory();
  const uint8_t* bytes = range(source, from, length);
  if (!bytes) return out_of_bounds(function, "function's", from, length, source.size());
  std::span<uint8_t> target = provider.instance.memory();
  uint8_t* into = range(target, to, length);
  if (!into) return out_of_bounds(function, "provider's", to, length, target.size());
  std::memcpy(into, bytes, length);
  return std::nullopt;
}

// (ctx, src, out, len) -> (): the bytes of input string `src` into the guest at `out`.
HostResult read_utf8_str(const Provider& p, HostContext& guest, std::span<const Value> args) {
  constexpr const char* kName = "shopify_function_input_read_utf8_str";
  const uint32_t out = args[2].i32, length = args[3].i32;
  auto address = p.str_addr.call(args[0].i32, args[1].i32);
  if (auto end = failed(address)) return *end;
  std::span<uint8_t> source = p.instance.memory();
  const uint8_t* bytes = range(source, address.value, length);
  if (!bytes) return out_of_bounds(kName, "provider's", address.value, length, source.size());
  std::span<uint8_t> target = guest.memory();
  uint8_t* into = range(target, out, length);
  if (!into) return out_of_bounds(kName, "function's", out, length, target.size());
  std::memcpy(into, bytes, length);
  return HostResult::ok();
}

// (ctx, obj, key, len) -> value: the key moves to a provider buffer for the lookup.
HostResult get_obj_prop(const Provider& p, HostContext& guest, std::span<const Value> args,
                        std::span<Value> results) {
  const uint32_t context = args[0].i32, key = args[2].i32, length = args[3].i32;
  auto buffer = p.realloc.call(0, 0, 1, length);
  if (auto end = failed(buffer)) return *end;
  if (auto end = copy_to_provider("shopify_function_input_get_obj_prop", guest, p, key, buffer.value, length)) {
    return *end;
  }
  auto value = p.obj_prop.call(context, args[1].i64, buffer.value, length);
  if (auto end = failed(value)) return *end;
  if (length > 0) {
    if (auto end = failed(p.free.call(buffer.value, length, 1))) return *end;
  }
  results[0] = Value::from_i64(static_cast<int64_t>(value.value));
  return HostResult::ok();
}

// (ctx, ptr, len) -> result: the provider reserves the string in its
// output (or intern table) and says where; the guest's bytes go there.
HostResult reserve_and_copy(const char* function, const TypedFunc<uint64_t(uint32_t, uint32_t)>& reserve,
                            const Provider& p, HostContext& guest, std::span<const Value> args,
                            std::span<Value> results, bool copy_on_zero_only) {
  const uint32_t length = args[2].i32;
  auto reserved = reserve.call(args[0].i32, length);
  if (auto end = failed(reserved)) return *end;
  const auto answer = static_cast<uint32_t>(reserved.value >> 32);
  const auto address = static_cast<uint32_t>(reserved.value);
  // A write the provider refused (a key where a value belongs, ...) reserves nothing.
  if (!copy_on_zero_only || answer == 0) {
    if (auto end = copy_to_provider(function, guest, p, args[1].i32, address, length)) return *end;
  }
  results[0] = Value::from_i32(static_cast<int32_t>(answer));
  return HostResult::ok();
}

template <class Signature>
Result<TypedFunc<Signature>> export_of(const Instance& provider, const char* name) {
  auto func = provider.typed<Signature>(name);
  if (!func) return make_error(ErrorKind::Link, std::string(kShopifyFunctionV1) + ": " + func.error().message);
  return func;
}

Result<std::shared_ptr<const Provider>> resolve(const Instance& provider) {
  auto str_addr = export_of<uint32_t(uint32_t, uint32_t)>(provider, "_shopify_function_input_get_utf8_str_addr");
  auto obj_prop =
      export_of<uint64_t(uint32_t, uint64_t, uint32_t, uint32_t)>(provider, "_shopify_function_input_get_obj_prop");
  auto new_utf8_str = export_of<uint64_t(uint32_t, uint32_t)>(provider, "_shopify_function_output_new_utf8_str");
  auto intern = export_of<uint64_t(uint32_t, uint32_t)>(provider, "_shopify_function_intern_utf8_str");
  auto realloc = export_of<uint32_t(uint32_t, uint32_t, uint32_t, uint32_t)>(provider, "shopify_function_realloc");
  auto free = export_of<void(uint32_t, uint32_t, uint32_t)>(provider, "shopify_function_free");
  if (!str_addr) return str_addr.error();
  if (!obj_prop) return obj_prop.error();
  if (!new_utf8_str) return new_utf8_str.error();
  if (!intern) return intern.error();
  if (!realloc) return realloc.error();
  if (!free) return free.error();
  return std::make_shared<const Provider>(
      Provider{provider, *str_addr, *obj_prop, *new_utf8_str, *intern, *realloc, *free});
}

}  // namespace

Result<void> define_shopify_function_v1(Linker& linker, const Instance& provider) {
  for (const char* name : kDirect) {
    auto item = provider.get_export(std::string("_") + name);
    if (!item || item->kind != ExternKind::Func) {
      return make_error(ErrorKind::Link, std::string(kShopifyFunctionV1) + ": the provider exports no function _" + name);
    }
    linker.define(kShopifyFunctionV1, name, *item);
  }
  auto resolved = resolve(provider);
  if (!resolved) return resolved.error();
  std::shared_ptr<const Provider> p = *resolved;
  using T = ValType;
  linker.define(kShopifyFunctionV1, "shopify_function_input_read_utf8_str",
                HostFunc{FuncType{{T::I32, T::I32, T::I32, T::I32}, {}},
                         [p](HostContext& guest, std::span<const Value> args, std::span<Value>) {
                           return read_utf8_str(*p, guest, args);
                         }});
  linker.define(kShopifyFunctionV1, "shopify_function_input_get_obj_prop",
                HostFunc{FuncType{{T::I32, T::I64, T::I32, T::I32}, {T::I64}},
                         [p](HostContext& guest, std::span<const Value> args, std::span<Value> results) {
                           return get_obj_prop(*p, guest, args, results);
                         }});
  linker.define(kShopifyFunctionV1, "shopify_function_output_new_utf8_str",
                HostFunc{FuncType{{T::I32, T::I32, T::I32}, {T::I32}},
                         [p](HostContext& guest, std::span<const Value> args, std::span<Value> results) {
                           return reserve_and_copy("shopify_function_output_new_utf8_str", p->new_utf8_str, *p, guest,
                                                   args, results, true);
                         }});
  linker.define(kShopifyFunctionV1, "shopify_function_intern_utf8_str",
                HostFunc{FuncType{{T::I32, T::I32, T::I32}, {T::I32}},
                         [p](HostContext& guest, std::span<const Value> args, std::span<Value> results) {
                           return reserve_and_copy("shopify_function_intern_utf8_str", p->intern, *p, guest, args,
                                                   results, false);
                         }});
  return {};
}

}  // namespace kiln::host
