#include "backends/interp/interp_values.h"

#include <cstring>
#include <string_view>

#include "wasm/value_types.h"

namespace kiln::backends::interp {

wabt::Type to_wabt(ValType type) { return wasm::to_wabt_type(type); }

wi::FuncType to_wabt(const FuncType& type) {
  wi::ValueTypes params, results;
  for (auto t : type.params) params.push_back(to_wabt(t));
  for (auto t : type.results) results.push_back(to_wabt(t));
  return wi::FuncType(std::move(params), std::move(results));
}

Value RefMapper::to_kiln(wabt::Type type, const wi::Value& value) {
  switch (type) {
    case wabt::Type::I32: return Value::from_i32(static_cast<int32_t>(value.Get<wi::u32>()));
    case wabt::Type::I64: return Value::from_i64(static_cast<int64_t>(value.Get<wi::u64>()));
    case wabt::Type::F32: {
      float f = value.Get<float>();
      uint32_t bits;
      std::memcpy(&bits, &f, 4);
      return Value::from_f32_bits(bits);
    }
    case wabt::Type::F64: {
      double d = value.Get<double>();
      uint64_t bits;
      std::memcpy(&bits, &d, 8);
      return Value::from_f64_bits(bits);
    }
    case wabt::Type::V128: {
      v128 v = value.Get<v128>();
      V128 out;
      std::memcpy(out.bytes, &v, 16);
      return Value::from_v128(out);
    }
    case wabt::Type::FuncRef:
    case wabt::Type::ExternRef: {
      ValType kind = type == wabt::Type::FuncRef ? ValType::FuncRef : ValType::ExternRef;
      wi::Ref ref = value.Get<wi::Ref>();
      if (ref == wi::Ref::Null) return Value::from_ref(kind, kNullRef);
      // A host-made externref is a Foreign whose pointer holds the host's value.
      if (kind == ValType::ExternRef && store_.Is<wi::Foreign>(ref)) {
        auto foreign = store_.UnsafeGet<wi::Foreign>(ref);
        return Value::from_ref(kind, reinterpret_cast<uintptr_t>(foreign->ptr()));
      }
      return Value::from_ref(kind, ref.index);
    }
    default: return Value{};
  }
}

wi::Value RefMapper::to_wabt(const Value& value) {
  switch (value.type) {
    case ValType::I32: return wi::Value::Make(value.i32);
    case ValType::I64: return wi::Value::Make(value.i64);
    case ValType::F32: return wi::Value::Make(value.f32());
    case ValType::F64: return wi::Value::Make(value.f64());
    case ValType::V128: {
      v128 v;
      std::memcpy(&v, value.v128.bytes, 16);
      return wi::Value::Make(v);
    }
    case ValType::FuncRef:
      return wi::Value::Make(value.is_null_ref() ? wi::Ref::Null : wi::Ref{static_cast<size_t>(value.ref)});
    case ValType::ExternRef: {
      if (value.is_null_ref()) return wi::Value::Make(wi::Ref::Null);
      auto [it, added] = externrefs_.try_emplace(value.ref);
      if (added) it->second = wi::Foreign::New(store_, reinterpret_cast<void*>(static_cast<uintptr_t>(value.ref))).ref();
      return wi::Value::Make(it->second);
    }
  }
  return wi::Value::Make(uint32_t{0});
}

TrapKind classify_trap(const std::string& message) {
  std::string_view m = message;
  auto has = [&](std::string_view s) { return m.find(s) != std::string_view::npos; };
  if (has("unreachable")) return TrapKind::Unreachable;
  if (has("divide by zero")) return TrapKind::IntegerDivideByZero;
  if (has("integer overflow")) return TrapKind::IntegerOverflow;
  if (has("invalid conversion")) return TrapKind::InvalidConversion;
  if (has("call stack exhausted") || has("value stack exhausted")) return TrapKind::CallStackExhausted;
  if (has("indirect call signature mismatch")) return TrapKind::IndirectCallTypeMismatch;
  if (has("uninitialized table element") || has("null function reference")) return TrapKind::IndirectCallNull;
  if (has("out of bounds memory access")) return TrapKind::MemoryOutOfBounds;
  if (has("out of bounds table access") || has("undefined table index")) return TrapKind::TableOutOfBounds;
  return TrapKind::HostError;
}

}  // namespace kiln::backends::interp
