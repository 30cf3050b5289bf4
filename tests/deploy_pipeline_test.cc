// The deploy pipeline (deploy/module_pipeline.h): decode → validate →
// contract → instrument → compile → record, as `kiln compile`, the library
// and the platform run it.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include "backends/aot/artifact_cache.h"
#include "backends/aot/module_index.h"
#include "deploy/module_pipeline.h"
#include "kiln/instance.h"
#include "kiln/linker.h"
#include "kiln/module.h"
#include "kiln/store.h"
#include "tests/aot_test_support.h"
#include "wasm/wat_parser.h"

namespace kiln {
namespace {

using deploy::PipelineOptions;
using deploy::prepare_module;

std::vector<uint8_t> wat(const std::string& text) {
  auto bytes = wasm::wat_to_wasm(text, "test.wat");
  if (!bytes.ok()) throw std::runtime_error(bytes.error().message);
  return std::move(bytes).value();
}

const char* kAnswer = R"((module
  (import "env" "log" (func (param i32)))
  (func (export "answer") (result i32) (i32.const 42))))";
const char* kSimd = R"((module
  (func (export "lanes") (result i32)
    (i32x4.extract_lane 2 (v128.const i32x4 1 2 3 4)))))";

PipelineOptions options_for(const std::string& name, const std::string& cache_dir) {
  PipelineOptions options;
  options.name = name;
  options.cache_dir = cache_dir;
  return options;
}

TEST(DeployPipeline, TheContractSeesTheModuleAndItsErrorIsReturnedAsIs) {
  PipelineOptions options = options_for("guest.wasm", test::aot_test_cache_dir());
  options.compile_aot = false;
  std::atomic<int> calls{0};
  options.contract = [&](const ModuleInfo& info) -> Result<void> {
    ++calls;
    EXPECT_NE(info.find_export("answer"), nullptr);
    EXPECT_EQ(info.imports.size(), 1u);  // the guest's own, not kiln's fuel imports
    return make_error(ErrorKind::Contract, "guest.wasm: exports no \"run\"", {.file = "guest.wasm"});
  };
  auto prepared = prepare_module(wat(kAnswer), options);
  ASSERT_FALSE(prepared.ok());
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(prepared.error().kind, ErrorKind::Contract);
  EXPECT_EQ(prepared.error().message, "guest.wasm: exports no \"run\"");
  EXPECT_EQ(prepared.error().where.file, "guest.wasm");

  options.contract = [](const ModuleInfo&) -> Result<void> { return {}; };
  auto kept = prepare_module(wat(kAnswer), options);
  ASSERT_TRUE(kept.ok()) << kept.error().message;
  EXPECT_EQ(kept->backend, BackendKind::Interp);
  EXPECT_TRUE(kept->artifact_key.empty());
  // The instrumented module imports kiln's fuel items after the guest's own.
  ASSERT_GT(kept->link_order.size(), 1u);
  EXPECT_EQ(kept->link_order[0], std::make_pair(std::string("env"), std::string("log")));
  EXPECT_EQ(kept->sha256.size(), 64u);
  EXPECT_EQ(kept->size, wat(kAnswer).size());
}

TEST(DeployPipeline, AModuleOverTheSizeLimitIsRefusedBeforeDecoding) {
  PipelineOptions options = options_for("big.wasm", test::aot_test_cache_dir());
  options.max_module_bytes = 16;
  bool contract_called = false;
  options.contract = [&](const ModuleInfo&) -> Result<void> {
    contract_called = true;
    return {};
  };
  auto prepared = prepare_module(std::vector<uint8_t>(20, 0), options);
  ASSERT_FALSE(prepared.ok());
  EXPECT_EQ(prepared.error().kind, ErrorKind::InvalidModule);
  EXPECT_EQ(prepared.error().message, "big.wasm: module is 20 bytes, over the limit of 16");
  EXPECT_FALSE(contract_called);
}

TEST(DeployPipeline, AMalformedModuleIsAnInvalidModuleWithItsOffset) {
  auto prepared = prepare_module(std::vector<uint8_t>{0, 'a', 's', 'n', 2, 0, 0, 0}, options_for("bad.wasm", ""));
  ASSERT_FALSE(prepared.ok());
  EXPECT_EQ(prepared.error().kind, ErrorKind::InvalidModule);
  EXPECT_TRUE(prepared.error().where.offset.has_value());
  EXPECT_EQ(prepared.error().where.file, "bad.wasm");
}

TEST(DeployPipeline, TheInterpreterFallbackIsRecordedWithItsReason) {
  const std::string dir = test::fresh_cache_dir("pipeline-fallback");
  auto prepared = prepare_module(wat(kSimd), options_for("simd.wasm", dir));
  ASSERT_TRUE(prepared.ok()) << prepared.error().message;
  EXPECT_EQ(prepared->backend, BackendKind::Interp);
  EXPECT_NE(prepared->interp_reason.find("SIMD"), std::string::npos) << prepared->interp_reason;
  EXPECT_EQ(prepared->interp_reason.find("simd.wasm"), std::string::npos) << "the bare reason";
  EXPECT_TRUE(prepared->artifact_key.empty());
  // Recorded, so that libkiln.so can say why without decoding.
  backends::aot::ArtifactCache cache(dir);
  auto entry = backends::aot::ModuleIndex(cache.dir()).find(prepared->sha256);
  ASSERT_TRUE(entry.has_value());
  EXPECT_EQ(entry->interp_only_reason, prepared->interp_reason);

  PipelineOptions forced = options_for("simd.wasm", dir);
  forced.allow_interp_fallback = false;
  auto refused = prepare_module(wat(kSimd), forced);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().kind, ErrorKind::Unsupported);
  EXPECT_EQ(refused.error().message.rfind("simd.wasm: ", 0), 0u) << refused.error().message;
  std::filesystem::remove_all(dir);
}

TEST(DeployPipeline, ASecondPrepareIsCachedAndTheIndexServesModuleCompile) {
  const std::string dir = test::fresh_cache_dir("pipeline-cached");
  const auto bytes = wat(kAnswer);
  auto first = prepare_module(bytes, options_for("answer.wasm", dir));
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_EQ(first->backend, BackendKind::Aot);
  EXPECT_FALSE(first->artifact_cached);
  EXPECT_GT(first->compile_seconds, 0);
  EXPECT_TRUE(std::filesystem::exists(first->artifact_path));

  auto second = prepare_module(bytes, options_for("answer.wasm", dir));
  ASSERT_TRUE(second.ok()) << second.error().message;
  EXPECT_TRUE(second->artifact_cached);
  EXPECT_EQ(second->artifact_key, first->artifact_key);
  EXPECT_EQ(second->sha256, first->sha256);

  // Module::compile of the same bytes on an aot engine takes the module
  // index's word for what the module is: a marked entry shows it did not
  // decode the bytes itself.
  backends::aot::ArtifactCache cache(dir);
  backends::aot::ModuleIndex index(cache.dir());
  auto entry = index.find(first->sha256);
  ASSERT_TRUE(entry.has_value());
  EXPECT_EQ(entry->artifact_key, first->artifact_key);
  EXPECT_EQ(entry->link_order, first->link_order);
  entry->info.defined_functions = 1234;
  ASSERT_TRUE(index.store(first->sha256, *entry).ok());
  Engine engine = test::make_engine(BackendKind::Aot, dir);
  auto module = Module::compile(engine, bytes, "answer.wasm");
  ASSERT_TRUE(module.ok()) << module.error().message;
  EXPECT_EQ(module->info().defined_functions, 1234u);
  std::filesystem::remove_all(dir);
}

TEST(DeployPipeline, NoTemporaryFileIsLeftInTheCache) {
  const std::string dir = test::fresh_cache_dir("pipeline-temp");
  auto prepared = prepare_module(wat(kAnswer), options_for("answer.wasm", dir));
  ASSERT_TRUE(prepared.ok()) << prepared.error().message;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    EXPECT_FALSE(name.starts_with(".tmp-") || name.starts_with("tmp-")) << entry.path();
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace kiln
