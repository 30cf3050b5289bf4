// Values in a wast2json script: the arguments of an action and the results
// an assertion expects. wast2json writes numbers as the unsigned decimal of
// their bits ("4294967295" is i32 -1, f32 lanes too), v128 values as a list
// of lanes with a `lane_type`, and patterns where any of several results is
// right: "nan:canonical" / "nan:arithmetic" for floats and float lanes, and
// a non-null funcref for `(ref.func)`.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "kiln/result.h"
#include "kiln/value.h"
#include "spectest/spec_json.h"

namespace kiln::spectest {

// How the bits of a number are split into lanes: one lane for a scalar,
// 128 / bits lanes for a v128.
struct LaneShape {
  const char* name = "i32";
  unsigned bits = 32;
  bool is_float = false;
};

enum class NanPattern : uint8_t { None, Canonical, Arithmetic };

struct LanePattern {
  NanPattern nan = NanPattern::None;
  uint64_t bits = 0;  // when nan == None: the exact bits
};

// What one result must be.
struct ExpectedValue {
  ValType type = ValType::I32;
  bool any = false;                // only the type is given: any value of it matches
  LaneShape shape;                 // numbers
  std::vector<LanePattern> lanes;  // numbers
  bool non_null = false;           // references: `(ref.func)`, any non-null funcref
  uint64_t ref = kNullRef;         // references otherwise: exactly this one
};

Result<ExpectedValue> parse_expected(const Json& json);
// A missing array is an empty list.
Result<std::vector<ExpectedValue>> parse_expected_list(const Json* array);
// Arguments are exact values: no patterns, no non-null funcref.
Result<std::vector<Value>> parse_arguments(const Json* array);

bool matches(const ExpectedValue& expected, const Value& actual);
bool matches(std::span<const ExpectedValue> expected, std::span<const Value> actual);

// `i32:-1`, `f32:nan:canonical`, `v128:i16x8 1 2 3 4 5 6 7 8`, `funcref:non-null`.
std::string describe(const ExpectedValue& expected);
// `(i32:1, f64:0.5)`.
std::string describe(std::span<const ExpectedValue> expected);
// An actual value; v128 lanes are shown as `hint` splits them when it is a v128.
std::string describe(const Value& value, const ExpectedValue* hint = nullptr);
// `(i32:1, f64:0.5)`, each value shown against the expectation at its position.
std::string describe(std::span<const Value> values, std::span<const ExpectedValue> hints = {});

}  // namespace kiln::spectest
