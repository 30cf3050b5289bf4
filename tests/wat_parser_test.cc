// Text to binary: what parses encodes, and errors name line and column.
#include "wasm/wat_parser.h"

#include <gtest/gtest.h>

#include "wasm/decoder.h"

namespace kiln::wasm {
namespace {

TEST(WatParser, EncodesAModuleThatDecodes) {
  Result<std::vector<uint8_t>> bytes = wat_to_wasm("(module (func (export \"f\") (result i32) i32.const 1))", "f.wat");
  ASSERT_TRUE(bytes.ok()) << bytes.error().message;
  Result<DecodedModule> decoded = decode(*bytes, "f.wasm");
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  EXPECT_NE(decoded->info.find_export("f"), nullptr);
}

TEST(WatParser, NamesTheLineAndColumnOfASyntaxError) {
  Result<std::vector<uint8_t>> bytes = wat_to_wasm("(module\n  (func (resalt i32)))", "bad.wat");
  ASSERT_FALSE(bytes.ok());
  EXPECT_EQ(bytes.error().message, "bad.wat:2:10: unexpected token \"resalt\", expected an instr.");
}

TEST(WatParser, NamesAnUndefinedName) {
  Result<std::vector<uint8_t>> bytes = wat_to_wasm("(module (func call $nowhere))", "names.wat");
  ASSERT_FALSE(bytes.ok());
  EXPECT_EQ(bytes.error().message, "names.wat:1:20: undefined function variable \"$nowhere\"");
}

TEST(WatParser, LeavesValidationToTheDecoder) {
  // Parses (types are not checked here) but does not validate.
  Result<std::vector<uint8_t>> bytes = wat_to_wasm("(module (func (result i32) i64.const 0))", "invalid.wat");
  ASSERT_TRUE(bytes.ok()) << bytes.error().message;
  EXPECT_FALSE(decode(*bytes, "invalid.wasm").ok());
}

}  // namespace
}  // namespace kiln::wasm
