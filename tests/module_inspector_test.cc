// ModuleInfo from a decoded module: imports, exports, index spaces and the
// features a module uses, from modules written as text.
#include "wasm/module_inspector.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "wasm/decoder.h"
#include "wasm/wat_parser.h"

namespace kiln::wasm {
namespace {

ModuleInfo info_of(std::string_view wat) {
  Result<std::vector<uint8_t>> bytes = wat_to_wasm(wat, "test.wat");
  EXPECT_TRUE(bytes.ok()) << bytes.error().message;
  if (!bytes.ok()) return {};
  DecodeOptions options;
  options.multi_memory = true;  // the cases include a module with two memories
  Result<DecodedModule> decoded = decode(*bytes, "test.wasm", options);
  EXPECT_TRUE(decoded.ok()) << decoded.error().message;
  return decoded.ok() ? decoded->info : ModuleInfo{};
}

TEST(ModuleInspector, ListsImportsWithKindsAndTypes) {
  ModuleInfo info = info_of(R"((module
    (import "env" "add" (func (param i32 i64) (result f32)))
    (import "env" "memory" (memory 1 2))
    (import "env" "table" (table 10 20 funcref))
    (import "env" "counter" (global (mut i64)))))");
  ASSERT_EQ(info.imports.size(), 4u);
  EXPECT_EQ(info.imports[0].module, "env");
  EXPECT_EQ(info.imports[0].name, "add");
  EXPECT_EQ(info.imports[0].kind, ExternKind::Func);
  EXPECT_EQ(info.imports[0].type, "(i32, i64) -> (f32)");
  EXPECT_EQ(info.imports[0].func_type, (FuncType{{ValType::I32, ValType::I64}, {ValType::F32}}));
  EXPECT_EQ(info.imports[1].kind, ExternKind::Memory);
  EXPECT_EQ(info.imports[1].type, "memory 1..2");
  EXPECT_EQ(info.imports[2].kind, ExternKind::Table);
  EXPECT_EQ(info.imports[2].type, "table funcref 10..20");
  EXPECT_EQ(info.imports[3].kind, ExternKind::Global);
  EXPECT_EQ(info.imports[3].type, "global mut i64");
}

TEST(ModuleInspector, ListsExportsWithIndexesInTheirIndexSpace) {
  ModuleInfo info = info_of(R"((module
    (import "env" "f" (func))
    (import "env" "g" (global i32))
    (func $double (param i32) (result i32) local.get 0 i32.const 2 i32.mul)
    (global $answer i32 (i32.const 42))
    (memory 1)
    (export "double" (func $double))
    (export "answer" (global $answer))
    (export "memory" (memory 0))))");
  ASSERT_EQ(info.exports.size(), 3u);
  const ExportDesc* doubled = info.find_export("double");
  ASSERT_NE(doubled, nullptr);
  EXPECT_EQ(doubled->kind, ExternKind::Func);
  EXPECT_EQ(doubled->index, 1u);  // after the imported function
  EXPECT_EQ(doubled->type, "(i32) -> (i32)");
  EXPECT_EQ(doubled->func_type, (FuncType{{ValType::I32}, {ValType::I32}}));
  const ExportDesc* answer = info.find_export("answer");
  ASSERT_NE(answer, nullptr);
  EXPECT_EQ(answer->kind, ExternKind::Global);
  EXPECT_EQ(answer->index, 1u);
  EXPECT_EQ(answer->type, "global i32");
  EXPECT_EQ(info.find_export("memory")->type, "memory 1..");
  EXPECT_EQ(info.find_export("missing"), nullptr);
}

TEST(ModuleInspector, ListsIndexSpacesImportsFirst) {
  ModuleInfo info = info_of(R"((module
    (import "env" "memory" (memory 1))
    (import "env" "table" (table 1 funcref))
    (import "env" "g" (global f64))
    (memory 2 3)
    (table 4 externref)
    (global (mut i32) (i32.const 0))
    (func) (func) (start 0)))");
  ASSERT_EQ(info.memories.size(), 2u);
  EXPECT_TRUE(info.memories[0].imported);
  EXPECT_FALSE(info.memories[1].imported);
  EXPECT_EQ(info.memories[1].pages.min, 2u);
  EXPECT_EQ(info.memories[1].pages.max, 3u);
  ASSERT_EQ(info.tables.size(), 2u);
  EXPECT_TRUE(info.tables[0].imported);
  EXPECT_EQ(info.tables[1].element, ValType::ExternRef);
  EXPECT_FALSE(info.tables[1].size.max.has_value());
  ASSERT_EQ(info.globals.size(), 2u);
  EXPECT_EQ(info.globals[0].type, ValType::F64);
  EXPECT_TRUE(info.globals[0].imported);
  EXPECT_TRUE(info.globals[1].is_mutable);
  EXPECT_FALSE(info.globals[1].imported);
  EXPECT_EQ(info.defined_functions, 2u);
  EXPECT_TRUE(info.has_start);
}

TEST(ModuleInspector, AWebAssembly1ModuleUsesNoFeatures) {
  ModuleInfo info = info_of(R"((module (memory 1) (table 1 funcref) (elem (i32.const 0) $f)
    (func $f (param i32) (result i32)
      (loop (br_if 0 (local.get 0)))
      (call_indirect (param i32) (result i32) (local.get 0) (i32.const 0)))))");
  EXPECT_EQ(info.features.names(), std::vector<std::string>{});
}

struct FeatureCase {
  const char* name;  // as FeatureSet::names() spells it
  const char* wat;
};

class FeatureDetection : public testing::TestWithParam<FeatureCase> {};

TEST_P(FeatureDetection, FindsTheFeatureAndNothingElse) {
  ModuleInfo info = info_of(GetParam().wat);
  EXPECT_EQ(info.features.names(), std::vector<std::string>{GetParam().name});
}

INSTANTIATE_TEST_SUITE_P(
    ModuleInspector, FeatureDetection,
    testing::Values(
        FeatureCase{"simd", "(module (func (local v128)))"},
        FeatureCase{"simd", "(module (func (result i32) (i32x4.extract_lane 1 (v128.const i64x2 1 2))))"},
        FeatureCase{"simd", "(module (memory 1) (func (drop (v128.load (i32.const 0)))))"},
        FeatureCase{"threads", "(module (memory 1 1 shared))"},
        FeatureCase{"threads", "(module (func atomic.fence))"},
        FeatureCase{"tail-call", "(module (func $f return_call $f))"},
        FeatureCase{"tail-call", "(module (type $t (func)) (table 1 funcref) "
                                 "(func (return_call_indirect (type $t) (i32.const 0))))"},
        FeatureCase{"memory64", "(module (memory i64 1))"},
        FeatureCase{"multi-memory", "(module (memory 1) (memory 1))"},
        FeatureCase{"bulk-memory", "(module (memory 1) (func (memory.fill (i32.const 0) (i32.const 0) (i32.const 0))))"},
        FeatureCase{"bulk-memory", "(module (memory 1) (data \"passive\"))"},
        FeatureCase{"reference-types", "(module (func (param externref)))"},
        FeatureCase{"reference-types", "(module (table 1 funcref) (func (drop (table.size 0))))"},
        FeatureCase{"multi-value", "(module (func (result i32 i32) i32.const 1 i32.const 2))"},
        FeatureCase{"multi-value", "(module (func (result i32) (i32.const 1) (block (param i32) (result i32))))"},
        FeatureCase{"sign-extension", "(module (func (result i32) (i32.extend8_s (i32.const 1))))"},
        FeatureCase{"saturating-float-to-int",
                    "(module (func (result i32) (i32.trunc_sat_f32_s (f32.const 1))))"}),
    [](const testing::TestParamInfo<FeatureCase>& info) {
      std::string name = std::string(info.param.name) + "_" + std::to_string(info.index);
      for (char& c : name) {
        if (c == '-') c = '_';
      }
      return name;
    });

TEST(ModuleInspector, FindsFeaturesInsideNestedBlocks) {
  ModuleInfo info = info_of(R"((module (func (param i32)
    (block (loop (if (local.get 0) (then) (else
      (block (drop (i32.extend16_s (i32.const 1)))))))))))");
  EXPECT_TRUE(info.features.sign_extension);
}

TEST(ModuleInspector, ListsFeatureNamesInAStableOrder) {
  FeatureSet features;
  features.tail_call = true;
  features.simd = true;
  features.multi_memory = true;
  EXPECT_EQ(features.names(), (std::vector<std::string>{"simd", "tail-call", "multi-memory"}));
}

}  // namespace
}  // namespace kiln::wasm
