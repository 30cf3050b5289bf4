#include "runtime/backend.h"

namespace kiln::runtime {

namespace {

Value value_from_raw(ValType type, const RawValue& raw) {
  switch (type) {
    case ValType::I32: return Value::from_i32(static_cast<int32_t>(raw.i32));
    case ValType::I64: return Value::from_i64(static_cast<int64_t>(raw.i64));
    case ValType::F32: return Value::from_f32(raw.f32);
    case ValType::F64: return Value::from_f64(raw.f64);
    default: return Value::from_ref(type, raw.i64);
  }
}

RawValue raw_from_value(const Value& value) {
  RawValue raw;
  raw.i64 = 0;
  switch (value.type) {
    case ValType::I32: raw.i32 = value.i32; break;
    case ValType::F32: raw.i32 = value.f32_bits; break;
    default: raw.i64 = value.i64; break;
  }
  return raw;
}

}  // namespace

void BackendStore::call_raw(Extern func, RawValue* slots, RawCallStatus& status) {
  // Only the count is needed here; TypedFunc guaranteed the types, and the
  // backend checks them again in call().
  FuncType type = func_type(func);
  std::vector<Value> args;
  args.reserve(type.params.size());
  for (size_t i = 0; i < type.params.size(); ++i) args.push_back(value_from_raw(type.params[i], slots[i]));
  CallResult result = call(func, args);
  status.status = result.status;
  status.trap = std::move(result.trap);
  status.exit_code = result.exit_code;
  status.error = std::move(result.error);
  if (result.returned()) {
    for (size_t i = 0; i < result.values.size(); ++i) slots[i] = raw_from_value(result.values[i]);
  }
}

Result<void> BackendStore::reset_instance(uint32_t, const InstantiateOptions&, std::optional<Trap>*, uint64_t) {
  return make_error(ErrorKind::Unsupported, "this backend cannot reset instances");
}

}  // namespace kiln::runtime
