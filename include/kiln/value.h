// Value types and values as they cross the host/guest boundary. Floats are
// kept as raw bits so NaN payloads survive a round trip (the spec tests
// check them). References are opaque 64-bit handles owned by a Store.
#pragma once

#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kiln {

enum class ValType : uint8_t { I32, I64, F32, F64, V128, FuncRef, ExternRef };

const char* to_string(ValType type);
// The inverse of to_string: "i32" -> ValType::I32; nullopt for anything else.
std::optional<ValType> parse_val_type(std::string_view name);

struct V128 {
  uint8_t bytes[16];
};

// The null reference of either reference type.
inline constexpr uint64_t kNullRef = ~uint64_t{0};

struct Value {
  ValType type = ValType::I32;
  union {
    uint32_t i32;
    uint64_t i64;
    uint32_t f32_bits;
    uint64_t f64_bits;
    V128 v128;
    uint64_t ref;
  };

  Value() : i64(0) { v128 = V128{}; }

  static Value from_i32(int32_t v) { Value r; r.type = ValType::I32; r.i32 = static_cast<uint32_t>(v); return r; }
  static Value from_i64(int64_t v) { Value r; r.type = ValType::I64; r.i64 = static_cast<uint64_t>(v); return r; }
  static Value from_f32(float v) { Value r; r.type = ValType::F32; std::memcpy(&r.f32_bits, &v, 4); return r; }
  static Value from_f64(double v) { Value r; r.type = ValType::F64; std::memcpy(&r.f64_bits, &v, 8); return r; }
  static Value from_f32_bits(uint32_t bits) { Value r; r.type = ValType::F32; r.f32_bits = bits; return r; }
  static Value from_f64_bits(uint64_t bits) { Value r; r.type = ValType::F64; r.f64_bits = bits; return r; }
  static Value from_v128(V128 v) { Value r; r.type = ValType::V128; r.v128 = v; return r; }
  static Value from_ref(ValType type, uint64_t ref) { Value r; r.type = type; r.ref = ref; return r; }

  float f32() const { float f; std::memcpy(&f, &f32_bits, 4); return f; }
  double f64() const { double d; std::memcpy(&d, &f64_bits, 8); return d; }
  bool is_null_ref() const { return ref == kNullRef; }
};

// Prints a value as `i32:42`, `f64:1.5`, `v128:0x...`, `funcref:null`.
std::string to_string(const Value& value);

struct FuncType {
  std::vector<ValType> params;
  std::vector<ValType> results;

  bool operator==(const FuncType&) const = default;
};

// Prints a function type as `(i32, i32) -> (i64)`.
std::string to_string(const FuncType& type);

}  // namespace kiln
