// TypedFunc: an exported function resolved once, with its signature checked
// against C++ types, called without name lookups, Value vectors or
// allocation. The fast path for hosts that call the same export many times:
//
//   auto add = instance.typed<int32_t(int32_t, int32_t)>("add");
//   if (!add) ...;                       // no such export, or another type
//   auto out = add->call(2, 3);
//   if (out.returned()) use(out.value);  // else out.trap / out.exit_code
//
// C++ types map to wasm types: int32_t/uint32_t -> i32, int64_t/uint64_t ->
// i64, float -> f32, double -> f64. Results: void, one type, or a
// std::tuple of them for several results.
//
// Calls run under the Store's limits like Store::call. The outcome says how
// the call ended and how much fuel it used; time, peak memory and captured
// output are recorded by Store::call / Instance::call only, to keep clock
// reads off this path.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "kiln/call_result.h"
#include "kiln/extern.h"
#include "kiln/trap.h"
#include "kiln/value.h"

namespace kiln {

class Store;

// One argument or result in the raw calling convention shared with the
// backends: i32 and f32 in the low 32 bits.
union RawValue {
  uint32_t i32;
  uint64_t i64;
  float f32;
  double f64;
  void* ref;
};
static_assert(sizeof(RawValue) == 8);

// How a raw call ended (everything but the values, which stay in the slots).
struct RawCallStatus {
  CallResult::Status status = CallResult::Status::Returned;
  Trap trap;          // when Trapped
  int exit_code = 0;  // when Exited
  std::string error;  // when Failed
  uint64_t fuel_used = 0;
};

template <class T>
struct CallOutcome : RawCallStatus {
  T value{};  // when Returned
  bool returned() const { return status == CallResult::Status::Returned; }
  bool trapped() const { return status == CallResult::Status::Trapped; }
  bool exited() const { return status == CallResult::Status::Exited; }
};

namespace detail {

template <class T> struct WasmTypeOf;
template <> struct WasmTypeOf<int32_t> { static constexpr ValType type = ValType::I32; };
template <> struct WasmTypeOf<uint32_t> { static constexpr ValType type = ValType::I32; };
template <> struct WasmTypeOf<int64_t> { static constexpr ValType type = ValType::I64; };
template <> struct WasmTypeOf<uint64_t> { static constexpr ValType type = ValType::I64; };
template <> struct WasmTypeOf<float> { static constexpr ValType type = ValType::F32; };
template <> struct WasmTypeOf<double> { static constexpr ValType type = ValType::F64; };

template <class T>
RawValue to_raw(T value) {
  RawValue raw;
  raw.i64 = 0;
  std::memcpy(&raw, &value, sizeof(T));
  return raw;
}

template <class T>
T from_raw(const RawValue& raw) {
  T value;
  std::memcpy(&value, &raw, sizeof(T));
  return value;
}

template <class R> struct ResultTypes {
  static std::vector<ValType> types() { return {WasmTypeOf<R>::type}; }
  static constexpr size_t count = 1;
  static R read(const RawValue* slots) { return from_raw<R>(slots[0]); }
};
template <> struct ResultTypes<void> {
  static std::vector<ValType> types() { return {}; }
  static constexpr size_t count = 0;
};
template <class... R> struct ResultTypes<std::tuple<R...>> {
  static std::vector<ValType> types() { return {WasmTypeOf<R>::type...}; }
  static constexpr size_t count = sizeof...(R);
  static std::tuple<R...> read(const RawValue* slots) {
    return read_at(slots, std::index_sequence_for<R...>{});
  }
  template <size_t... I>
  static std::tuple<R...> read_at(const RawValue* slots, std::index_sequence<I...>) {
    return {from_raw<R>(slots[I])...};
  }
};

// Store::call_raw, declared here so this header need not include store.h.
void call_raw(Store& store, Extern func, RawValue* slots, RawCallStatus& status);

}  // namespace detail

template <class Signature> class TypedFunc;

template <class R, class... A>
class TypedFunc<R(A...)> {
 public:
  using Outcome = CallOutcome<std::conditional_t<std::is_void_v<R>, std::monostate, R>>;

  // The wasm type this handle's C++ signature stands for.
  static FuncType func_type() {
    return FuncType{{detail::WasmTypeOf<A>::type...}, detail::ResultTypes<R>::types()};
  }

  TypedFunc(Store* store, Extern func) : store_(store), func_(func) {}

  Outcome call(A... args) const {
    constexpr size_t kSlots = std::max<size_t>({sizeof...(A), detail::ResultTypes<R>::count, size_t{1}});
    RawValue slots[kSlots];
    size_t i = 0;
    ((slots[i++] = detail::to_raw(args)), ...);
    Outcome outcome;
    detail::call_raw(*store_, func_, slots, outcome);
    if constexpr (!std::is_void_v<R>) {
      if (outcome.returned()) outcome.value = detail::ResultTypes<R>::read(slots);
    }
    return outcome;
  }

  Extern extern_func() const { return func_; }

 private:
  Store* store_;
  Extern func_;
};

}  // namespace kiln
