// Printable forms of value types, values, function types and extern kinds,
// as they appear in error messages, `kiln inspect` and the spec runner.
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <string>

#include "kiln/extern.h"
#include "kiln/value.h"

namespace kiln {

const char* to_string(ValType type) {
  switch (type) {
    case ValType::I32: return "i32";
    case ValType::I64: return "i64";
    case ValType::F32: return "f32";
    case ValType::F64: return "f64";
    case ValType::V128: return "v128";
    case ValType::FuncRef: return "funcref";
    case ValType::ExternRef: return "externref";
  }
  return "unknown";
}

const char* to_string(ExternKind kind) {
  switch (kind) {
    case ExternKind::Func: return "func";
    case ExternKind::Table: return "table";
    case ExternKind::Memory: return "memory";
    case ExternKind::Global: return "global";
  }
  return "unknown";
}

std::optional<ValType> parse_val_type(std::string_view name) {
  for (ValType type : {ValType::I32, ValType::I64, ValType::F32, ValType::F64, ValType::V128, ValType::FuncRef,
                       ValType::ExternRef}) {
    if (name == to_string(type)) return type;
  }
  return std::nullopt;
}

std::optional<ExternKind> parse_extern_kind(std::string_view name) {
  for (ExternKind kind : {ExternKind::Func, ExternKind::Table, ExternKind::Memory, ExternKind::Global}) {
    if (name == to_string(kind)) return kind;
  }
  return std::nullopt;
}

namespace {

// NaNs print with their payload ("nan:0x400000") because the spec tests
// tell canonical and arithmetic NaNs apart by it.
std::string float_text(double value, uint64_t payload, int digits) {
  char buffer[64];
  if (std::isnan(value)) {
    std::snprintf(buffer, sizeof buffer, "%snan:0x%" PRIx64, std::signbit(value) ? "-" : "", payload);
  } else {
    std::snprintf(buffer, sizeof buffer, "%.*g", digits, value);
  }
  return buffer;
}

std::string ref_text(const Value& value) {
  return value.is_null_ref() ? std::string("null") : std::to_string(value.ref);
}

// The 128 bits as one hexadecimal number, most significant byte first
// (lane 0 is the least significant, as in memory).
std::string v128_text(const V128& value) {
  std::string text = "0x";
  char byte[3];
  for (int i = 15; i >= 0; --i) {
    std::snprintf(byte, sizeof byte, "%02x", value.bytes[i]);
    text += byte;
  }
  return text;
}

std::string payload_text(const Value& value) {
  switch (value.type) {
    case ValType::I32: return std::to_string(static_cast<int32_t>(value.i32));
    case ValType::I64: return std::to_string(static_cast<int64_t>(value.i64));
    // 9 and 17 significant digits round-trip every f32 and f64.
    case ValType::F32: return float_text(value.f32(), value.f32_bits & 0x7fffffu, 9);
    case ValType::F64: return float_text(value.f64(), value.f64_bits & 0xfffffffffffffull, 17);
    case ValType::V128: return v128_text(value.v128);
    case ValType::FuncRef:
    case ValType::ExternRef: return ref_text(value);
  }
  return "?";
}

std::string type_list(const std::vector<ValType>& types) {
  std::string text = "(";
  for (size_t i = 0; i < types.size(); ++i) {
    if (i > 0) text += ", ";
    text += to_string(types[i]);
  }
  return text + ")";
}

}  // namespace

std::string to_string(const Value& value) { return std::string(to_string(value.type)) + ":" + payload_text(value); }

std::string to_string(const FuncType& type) { return type_list(type.params) + " -> " + type_list(type.results); }

}  // namespace kiln
