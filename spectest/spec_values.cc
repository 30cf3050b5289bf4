#include "spectest/spec_values.h"

#include <charconv>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <optional>

namespace kiln::spectest {

namespace {

constexpr LaneShape kI8{"i8", 8, false};
constexpr LaneShape kI16{"i16", 16, false};
constexpr LaneShape kI32{"i32", 32, false};
constexpr LaneShape kI64{"i64", 64, false};
constexpr LaneShape kF32{"f32", 32, true};
constexpr LaneShape kF64{"f64", 64, true};

std::optional<ValType> parse_type(std::string_view name) {
  if (name == "i32") return ValType::I32;
  if (name == "i64") return ValType::I64;
  if (name == "f32") return ValType::F32;
  if (name == "f64") return ValType::F64;
  if (name == "v128") return ValType::V128;
  if (name == "funcref") return ValType::FuncRef;
  if (name == "externref") return ValType::ExternRef;
  return std::nullopt;
}

std::optional<LaneShape> parse_lane_type(std::string_view name) {
  for (const LaneShape& shape : {kI8, kI16, kI32, kI64, kF32, kF64}) {
    if (name == shape.name) return shape;
  }
  return std::nullopt;
}

bool is_reference(ValType type) { return type == ValType::FuncRef || type == ValType::ExternRef; }

LaneShape scalar_shape(ValType type) {
  switch (type) {
    case ValType::I64: return kI64;
    case ValType::F32: return kF32;
    case ValType::F64: return kF64;
    default: return kI32;
  }
}

uint64_t lane_mask(unsigned bits) { return bits == 64 ? ~uint64_t{0} : (uint64_t{1} << bits) - 1; }

// Decimal text to the lane's bits. wast2json writes unsigned decimals; a
// leading '-' is accepted too, as two's complement.
Result<uint64_t> parse_bits(std::string_view text, unsigned bits) {
  bool negative = !text.empty() && text.front() == '-';
  std::string_view digits = negative ? text.substr(1) : text;
  uint64_t magnitude = 0;
  auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), magnitude);
  if (digits.empty() || error != std::errc() || end != digits.data() + digits.size()) {
    return make_error(ErrorKind::InvalidArgument, "bad number \"" + std::string(text) + "\"");
  }
  uint64_t limit = negative ? (uint64_t{1} << (bits - 1)) : lane_mask(bits);
  if (magnitude > limit) {
    return make_error(ErrorKind::InvalidArgument, "number \"" + std::string(text) + "\" does not fit " + std::to_string(bits) + " bits");
  }
  return (negative ? uint64_t{0} - magnitude : magnitude) & lane_mask(bits);
}

Result<LanePattern> parse_lane(std::string_view text, const LaneShape& shape) {
  if (shape.is_float && text == "nan:canonical") return LanePattern{NanPattern::Canonical, 0};
  if (shape.is_float && text == "nan:arithmetic") return LanePattern{NanPattern::Arithmetic, 0};
  auto bits = parse_bits(text, shape.bits);
  if (!bits) return bits.error();
  return LanePattern{NanPattern::None, *bits};
}

Result<void> parse_v128_lanes(const Json& json, ExpectedValue& out) {
  auto lane_type = string_member(json, "lane_type");
  std::optional<LaneShape> shape = lane_type ? parse_lane_type(*lane_type) : std::nullopt;
  if (!shape) return make_error(ErrorKind::InvalidArgument, "v128 value without a known lane_type");
  const Json* lanes = array_member(json, "value");
  size_t count = 128 / shape->bits;
  if (!lanes || lanes->Size() != count) return make_error(ErrorKind::InvalidArgument, "v128 value needs " + std::to_string(count) + " lanes");
  out.shape = *shape;
  for (const Json& lane : lanes->GetArray()) {
    if (!lane.IsString()) return make_error(ErrorKind::InvalidArgument, "v128 lane is not a string");
    auto pattern = parse_lane(std::string_view(lane.GetString(), lane.GetStringLength()), *shape);
    if (!pattern) return pattern.error();
    out.lanes.push_back(*pattern);
  }
  return {};
}

Result<void> parse_reference(std::string_view text, ExpectedValue& out) {
  if (text == "null") return {};
  auto bits = parse_bits(text, 64);
  if (!bits) return bits.error();
  // wast2json writes `(ref.func)` as a funcref with a number: any non-null funcref.
  if (out.type == ValType::FuncRef) {
    out.non_null = true;
    return {};
  }
  if (*bits == kNullRef) return make_error(ErrorKind::InvalidArgument, "externref " + std::string(text) + " is out of range");
  out.ref = *bits;
  return {};
}

Result<void> parse_payload(const Json& json, ExpectedValue& out) {
  if (out.type == ValType::V128) return parse_v128_lanes(json, out);
  auto text = string_member(json, "value");
  if (!text) return make_error(ErrorKind::InvalidArgument, std::string(to_string(out.type)) + " value is not a string");
  if (is_reference(out.type)) return parse_reference(*text, out);
  out.shape = scalar_shape(out.type);
  auto lane = parse_lane(*text, out.shape);
  if (!lane) return lane.error();
  out.lanes.push_back(*lane);
  return {};
}

void set_scalar_bits(Value& value, uint64_t bits) {
  switch (value.type) {
    case ValType::I32: value.i32 = static_cast<uint32_t>(bits); break;
    case ValType::F32: value.f32_bits = static_cast<uint32_t>(bits); break;
    case ValType::F64: value.f64_bits = bits; break;
    default: value.i64 = bits; break;
  }
}

Result<Value> to_value(const ExpectedValue& expected) {
  if (expected.any) return make_error(ErrorKind::InvalidArgument, std::string("argument of type ") + to_string(expected.type) + " has no value");
  if (is_reference(expected.type)) {
    if (expected.non_null) return make_error(ErrorKind::InvalidArgument, "a non-null funcref cannot be passed as an argument");
    return Value::from_ref(expected.type, expected.ref);
  }
  Value value;
  value.type = expected.type;
  for (size_t i = 0; i < expected.lanes.size(); ++i) {
    const LanePattern& lane = expected.lanes[i];
    if (lane.nan != NanPattern::None) return make_error(ErrorKind::InvalidArgument, "a NaN pattern cannot be passed as an argument");
    if (expected.type != ValType::V128) {
      set_scalar_bits(value, lane.bits);
      continue;
    }
    unsigned bytes = expected.shape.bits / 8;
    for (unsigned b = 0; b < bytes; ++b) value.v128.bytes[i * bytes + b] = static_cast<uint8_t>(lane.bits >> (8 * b));
  }
  return value;
}

uint64_t scalar_bits(const Value& value) {
  switch (value.type) {
    case ValType::I32: return value.i32;
    case ValType::F32: return value.f32_bits;
    case ValType::F64: return value.f64_bits;
    default: return value.i64;
  }
}

// Lane `index` of a number, in the layout `shape` gives it.
uint64_t lane_bits(const Value& value, const LaneShape& shape, size_t index) {
  if (value.type != ValType::V128) return scalar_bits(value);
  unsigned bytes = shape.bits / 8;
  uint64_t bits = 0;
  for (unsigned b = 0; b < bytes; ++b) bits |= uint64_t{value.v128.bytes[index * bytes + b]} << (8 * b);
  return bits;
}

bool lane_matches(const LanePattern& pattern, unsigned width, uint64_t bits) {
  // A canonical NaN has only the quiet bit of the significand set (either
  // sign); an arithmetic NaN has the quiet bit set and any other payload.
  uint64_t quiet_nan = width == 32 ? 0x7fc00000u : 0x7ff8000000000000u;
  uint64_t sign = uint64_t{1} << (width - 1);
  switch (pattern.nan) {
    case NanPattern::Canonical: return (bits & ~sign) == quiet_nan;
    case NanPattern::Arithmetic: return (bits & quiet_nan) == quiet_nan;
    case NanPattern::None: return bits == pattern.bits;
  }
  return false;
}

std::string format_float(uint64_t bits, unsigned width) {
  uint64_t sign = uint64_t{1} << (width - 1);
  uint64_t exponent = width == 32 ? 0x7f800000u : 0x7ff0000000000000u;
  uint64_t payload = bits & ~(sign | exponent);
  char text[64];
  if ((bits & exponent) == exponent && payload != 0) {
    std::snprintf(text, sizeof text, "%snan:0x%" PRIx64, (bits & sign) ? "-" : "", payload);
  } else if (width == 32) {
    float f;
    uint32_t narrow = static_cast<uint32_t>(bits);
    std::memcpy(&f, &narrow, 4);
    std::snprintf(text, sizeof text, "%.9g", static_cast<double>(f));
  } else {
    double d;
    std::memcpy(&d, &bits, 8);
    std::snprintf(text, sizeof text, "%.17g", d);
  }
  return text;
}

std::string format_lane(uint64_t bits, const LaneShape& shape) {
  if (shape.is_float) return format_float(bits, shape.bits);
  // Integers read best signed: -1 rather than 4294967295.
  unsigned shift = 64 - shape.bits;
  return std::to_string(static_cast<int64_t>(bits << shift) >> shift);
}

std::string format_pattern(const LanePattern& lane, const LaneShape& shape) {
  if (lane.nan == NanPattern::Canonical) return "nan:canonical";
  if (lane.nan == NanPattern::Arithmetic) return "nan:arithmetic";
  return format_lane(lane.bits, shape);
}

std::string v128_prefix(const LaneShape& shape) {
  return std::string("v128:") + shape.name + "x" + std::to_string(128 / shape.bits);
}

std::string format_ref(uint64_t ref) { return ref == kNullRef ? "null" : std::to_string(ref); }

template <class T, class Describe>
std::string describe_list(std::span<const T> items, Describe describe_one) {
  std::string text = "(";
  for (size_t i = 0; i < items.size(); ++i) text += (i ? ", " : "") + describe_one(i);
  return text + ")";
}

}  // namespace

Result<ExpectedValue> parse_expected(const Json& json) {
  auto type_name = string_member(json, "type");
  std::optional<ValType> type = type_name ? parse_type(*type_name) : std::nullopt;
  if (!type) return make_error(ErrorKind::InvalidArgument, "unsupported value type \"" + std::string(type_name.value_or("")) + "\"");
  ExpectedValue expected;
  expected.type = *type;
  expected.shape = scalar_shape(*type);
  if (!member(json, "value")) {
    expected.any = true;
    return expected;
  }
  if (auto parsed = parse_payload(json, expected); !parsed) return parsed.error();
  return expected;
}

Result<std::vector<ExpectedValue>> parse_expected_list(const Json* array) {
  std::vector<ExpectedValue> list;
  if (!array) return list;
  if (!array->IsArray()) return make_error(ErrorKind::InvalidArgument, "a value list is not an array");
  for (const Json& item : array->GetArray()) {
    auto expected = parse_expected(item);
    if (!expected) return expected.error();
    list.push_back(std::move(*expected));
  }
  return list;
}

Result<std::vector<Value>> parse_arguments(const Json* array) {
  auto parsed = parse_expected_list(array);
  if (!parsed) return parsed.error();
  std::vector<Value> values;
  for (const ExpectedValue& expected : *parsed) {
    auto value = to_value(expected);
    if (!value) return value.error();
    values.push_back(*value);
  }
  return values;
}

bool matches(const ExpectedValue& expected, const Value& actual) {
  if (actual.type != expected.type) return false;
  if (expected.any) return true;
  if (is_reference(expected.type)) return expected.non_null ? !actual.is_null_ref() : actual.ref == expected.ref;
  for (size_t i = 0; i < expected.lanes.size(); ++i) {
    if (!lane_matches(expected.lanes[i], expected.shape.bits, lane_bits(actual, expected.shape, i))) return false;
  }
  return true;
}

bool matches(std::span<const ExpectedValue> expected, std::span<const Value> actual) {
  if (expected.size() != actual.size()) return false;
  for (size_t i = 0; i < expected.size(); ++i) {
    if (!matches(expected[i], actual[i])) return false;
  }
  return true;
}

std::string describe(const ExpectedValue& expected) {
  std::string type = to_string(expected.type);
  if (expected.any) return type + ":any";
  if (is_reference(expected.type)) return type + ":" + (expected.non_null ? "non-null" : format_ref(expected.ref));
  if (expected.type != ValType::V128) return type + ":" + format_pattern(expected.lanes.at(0), expected.shape);
  std::string text = v128_prefix(expected.shape);
  for (const LanePattern& lane : expected.lanes) text += " " + format_pattern(lane, expected.shape);
  return text;
}

std::string describe(std::span<const ExpectedValue> expected) {
  return describe_list(expected, [&](size_t i) { return describe(expected[i]); });
}

std::string describe(const Value& value, const ExpectedValue* hint) {
  std::string type = to_string(value.type);
  if (is_reference(value.type)) return type + ":" + format_ref(value.ref);
  if (value.type != ValType::V128) return type + ":" + format_lane(scalar_bits(value), scalar_shape(value.type));
  bool hinted = hint && hint->type == ValType::V128 && !hint->any;
  LaneShape shape = hinted ? hint->shape : kI32;
  std::string text = v128_prefix(shape);
  for (size_t i = 0; i < 128 / shape.bits; ++i) text += " " + format_lane(lane_bits(value, shape, i), shape);
  return text;
}

std::string describe(std::span<const Value> values, std::span<const ExpectedValue> hints) {
  return describe_list(values, [&](size_t i) { return describe(values[i], i < hints.size() ? &hints[i] : nullptr); });
}

}  // namespace kiln::spectest
