// Printable forms of types and values, as error messages, `kiln inspect`
// and the spec runner show them.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "kiln/extern.h"
#include "kiln/value.h"

namespace kiln {
namespace {

TEST(ValueFormat, PrintsValueTypesAndExternKinds) {
  EXPECT_STREQ(to_string(ValType::I32), "i32");
  EXPECT_STREQ(to_string(ValType::V128), "v128");
  EXPECT_STREQ(to_string(ValType::ExternRef), "externref");
  EXPECT_STREQ(to_string(ExternKind::Func), "func");
  EXPECT_STREQ(to_string(ExternKind::Memory), "memory");
}

TEST(ValueFormat, ParsesWhatItPrints) {
  for (ValType type : {ValType::I32, ValType::I64, ValType::F32, ValType::F64, ValType::V128, ValType::FuncRef,
                       ValType::ExternRef}) {
    EXPECT_EQ(parse_val_type(to_string(type)), type);
  }
  for (ExternKind kind : {ExternKind::Func, ExternKind::Table, ExternKind::Memory, ExternKind::Global}) {
    EXPECT_EQ(parse_extern_kind(to_string(kind)), kind);
  }
  EXPECT_FALSE(parse_val_type("I32").has_value());
  EXPECT_FALSE(parse_val_type("").has_value());
  EXPECT_FALSE(parse_extern_kind("function").has_value());
}

TEST(ValueFormat, PrintsFunctionTypes) {
  EXPECT_EQ(to_string(FuncType{{ValType::I32, ValType::I32}, {ValType::I64}}), "(i32, i32) -> (i64)");
  EXPECT_EQ(to_string(FuncType{}), "() -> ()");
}

TEST(ValueFormat, PrintsIntegersSigned) {
  EXPECT_EQ(to_string(Value::from_i32(42)), "i32:42");
  EXPECT_EQ(to_string(Value::from_i32(-1)), "i32:-1");
  EXPECT_EQ(to_string(Value::from_i64(std::numeric_limits<int64_t>::min())), "i64:-9223372036854775808");
}

TEST(ValueFormat, PrintsFloatsSoThatTheyRoundTrip) {
  EXPECT_EQ(to_string(Value::from_f64(1.5)), "f64:1.5");
  EXPECT_EQ(to_string(Value::from_f32(0.1f)), "f32:0.100000001");
  EXPECT_EQ(to_string(Value::from_f64(-INFINITY)), "f64:-inf");
}

TEST(ValueFormat, PrintsNanPayloads) {
  EXPECT_EQ(to_string(Value::from_f32_bits(0x7fc00000)), "f32:nan:0x400000");
  EXPECT_EQ(to_string(Value::from_f64_bits(0xfff0000000000001ull)), "f64:-nan:0x1");
}

TEST(ValueFormat, PrintsV128MostSignificantByteFirst) {
  V128 v{};
  v.bytes[0] = 0x01;
  v.bytes[15] = 0xff;
  EXPECT_EQ(to_string(Value::from_v128(v)), "v128:0xff000000000000000000000000000001");
}

TEST(ValueFormat, PrintsReferences) {
  EXPECT_EQ(to_string(Value::from_ref(ValType::FuncRef, kNullRef)), "funcref:null");
  EXPECT_EQ(to_string(Value::from_ref(ValType::ExternRef, 7)), "externref:7");
}

}  // namespace
}  // namespace kiln
