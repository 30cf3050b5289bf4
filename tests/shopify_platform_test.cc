// Shopify Functions on the platform (issue 17, item 5): a function built by
// Shopify's toolchains deploys to a wasi-command extension point like any
// module, its provider resolved from a folder at deploy and stored in the
// registry beside it, and the executor runs it with the provider linked —
// the same answers `kiln function-run` gives. The fixtures are Shopify's:
// $KILN_SHOPIFY_FUNCTIONS, else ../shared/shopify-functions; without them
// the tests say so and skip.
#include <cstdlib>
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "platform_test_support.h"

namespace kiln {
namespace {

using execute::ExecResult;
using execute::ExecStatus;

std::string shopify_dir() { return test::shopify_functions_dir(); }

// A permissive point: the fixtures' inputs and outputs are theirs.
constexpr const char* kFunctionsPoint = R"({"name": "shopify.functions", "abi": "wasi-command",
  "input_schema": {"type": "object"}, "output_schema": {"type": "object"},
  "limits": {"fuel": 50000000, "timeout": "20s", "memory": "64MiB", "max_log": 2000}})";

// The volume discount js_function_input.json earns (function-runner's tests).
constexpr const char* kVolumeDiscount =
    R"({"discountApplicationStrategy":"FIRST","discounts":[{"value":{"percentage":{"value":20}},)"
    R"("targets":[{"productVariant":{"id":"gid://shopify/ProductVariant/1"}}]}]})";

class ShopifyPlatformTest : public test::PlatformTest {
 protected:
  void SetUp() override {
    if (!std::filesystem::is_directory(shopify_dir() + "/fixtures")) {
      GTEST_SKIP() << "Shopify's function-runner fixtures are not at " << shopify_dir()
                   << " (set KILN_SHOPIFY_FUNCTIONS)";
    }
    test::PlatformTest::SetUp();
    create_ep(kFunctionsPoint);
  }

  Result<deploy::ExtensionDeployResult> deploy_fixture(const std::string& fixture, const std::string& scope,
                                                       const std::string& providers) {
    auto bytes = test::read_file(shopify_dir() + "/fixtures/" + fixture + ".wasm");
    deploy::ExtensionDeployRequest request;
    request.module_name = fixture + ".wasm";
    request.extension_point = "shopify.functions";
    request.scope = scope;
    request.name = fixture;
    request.who = "tester";
    request.providers_dir = providers;
    return deploy::deploy_extension(*registry_, bytes, request);
  }

  static std::string providers() { return shopify_dir() + "/providers"; }
  static std::string cart() {
    auto text = test::read_file(shopify_dir() + "/inputs/js_function_input.json");
    return std::string(text.begin(), text.end());
  }

  ExecResult run(const std::string& input, const std::string& scope) {
    return exec(input, scope, "shopify.functions");
  }
};

std::string why(const ExecResult& r) {
  return std::string(execute::to_string(r.status)) + ": " + (r.error ? r.error->message : "") + "\nlog: " + r.log;
}

TEST_F(ShopifyPlatformTest, AJavyFunctionOverWasiGivesItsDiscountWithTheProviderLinked) {
  auto deployed = deploy_fixture("js_function", "shop-1", providers());
  ASSERT_TRUE(deployed) << deployed.error().message;
  EXPECT_EQ(deployed->extension.provider, "javy_quickjs_provider_v1");
  ASSERT_TRUE(deployed->provider);
  EXPECT_EQ(deployed->extension.provider_module.sha256, deployed->provider->sha256);
  // Stored: the registry holds the provider's bytes, not a path.
  auto stored = registry_->module_bytes(deployed->provider->sha256);
  ASSERT_TRUE(stored) << stored.error().message;
  EXPECT_EQ(stored->size(), deployed->provider->size);

  ExecResult r = run(cart(), "shop-1");
  ASSERT_EQ(r.status, ExecStatus::Ok) << why(r);
  EXPECT_EQ(r.output, kVolumeDiscount);
  EXPECT_GT(r.fuel_used, 100000u);  // QuickJS's own instructions count: one budget covers both modules
  EXPECT_EQ(r.backend, "interp");   // its provider stays on the interpreter, and the function with it
}

// shopify_functions_javy_v3: input and output through the provider's
// memory, in MessagePack; the caller still speaks JSON.
TEST_F(ShopifyPlatformTest, AMemoryIoMessagePackFunctionTakesAndGivesJson) {
  ASSERT_TRUE(deploy_fixture("js_function_javy_plugin_v3", "*", providers()));
  ExecResult r = run(R"({"hello": "world"})", "shop-1");
  ASSERT_EQ(r.status, ExecStatus::Ok) << why(r);
  EXPECT_EQ(r.output, R"({"hello":"world output"})");
}

// shopify_function_v1 (the Wasm API), on AOT with its provider.
TEST_F(ShopifyPlatformTest, AWasmApiFunctionRunsOnAot) {
  ASSERT_TRUE(deploy_fixture("wasm_api_v1", "*", providers()));
  ExecResult r = run(R"({"hello": "world"})", "shop-1");
  ASSERT_EQ(r.status, ExecStatus::Ok) << why(r);
  EXPECT_EQ(r.output, R"({"bye":"world"})");
  EXPECT_EQ(r.backend, "aot");
}

// Pooled with its provider (issue 17, item 2): one Store holds both, and
// each call finds them reset, as Shopify's fresh instance per execution
// would be.
TEST_F(ShopifyPlatformTest, AFunctionAndItsProviderArePooledAndResetTogether) {
  ASSERT_TRUE(deploy_fixture("wasm_api_v1", "*", providers()));
  for (const char* word : {"world", "again", "a much longer word than the others", "x"}) {
    ExecResult r = run(std::string(R"({"hello": ")") + word + "\"}", "shop-1");
    ASSERT_EQ(r.status, ExecStatus::Ok) << why(r);
    EXPECT_EQ(r.output, std::string(R"({"bye":")") + word + "\"}");
  }
  auto pools = executor().pool_stats();
  ASSERT_EQ(pools.size(), 1u);
  EXPECT_EQ(pools[0].extension, "wasm_api_v1");
  EXPECT_EQ(pools[0].leased, 0u);
  EXPECT_EQ(pools[0].idle, 1u);  // one pair served every call
}

// A function whose target is an export other than _start runs through the
// entry its extension point names, as `function-runner --export NAME` does;
// an extension point that runs _start refuses a module without one at deploy.
TEST_F(ShopifyPlatformTest, AFunctionWithANamedTargetRunsThroughTheEntryItsPointNames) {
  auto refused = deploy_fixture("exports", "*", providers());  // exports only export1
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("_start"), std::string::npos) << refused.error().message;

  auto deploy_to = [&](const std::string& ep, const std::string& fixture) {
    create_ep(R"({"name": ")" + ep + R"(", "abi": "wasi-command", "entry": "run",
      "input_schema": {"type": "object"}, "output_schema": {"type": "object"},
      "limits": {"fuel": 50000000, "timeout": "20s", "memory": "64MiB"}})");
    auto bytes = test::read_file(shopify_dir() + "/fixtures/" + fixture + ".wasm");
    deploy::ExtensionDeployRequest request;
    request.module_name = fixture + ".wasm";
    request.extension_point = ep;
    request.scope = "*";
    request.name = fixture;
    request.who = "tester";
    request.providers_dir = providers();
    return deploy::deploy_extension(*registry_, bytes, request);
  };
  auto deployed = deploy_to("shopify.functions.run", "js_function_javy_plugin_v2");
  ASSERT_TRUE(deployed) << deployed.error().message;
  ExecResult r = exec(cart(), "shop-1", "shopify.functions.run");
  ASSERT_EQ(r.status, ExecStatus::Ok) << why(r);
  EXPECT_EQ(r.output, R"({"discountApplicationStrategy":"FIRST","discounts":[]})");

  // The entry is required at deploy like _start: `exports` has no `run`.
  auto no_run = deploy_to("shopify.functions.other", "exports");
  ASSERT_FALSE(no_run);
  EXPECT_NE(no_run.error().message.find("run"), std::string::npos) << no_run.error().message;
}

TEST_F(ShopifyPlatformTest, AThrowingFunctionFailsWithItsErrorInTheLogAndTheHostCarriesOn) {
  ASSERT_TRUE(deploy_fixture("js_function_that_throws", "shop-1", providers()));
  ASSERT_TRUE(deploy_fixture("js_function", "shop-2", providers()));
  ExecResult thrown = run(cart(), "shop-1");
  EXPECT_NE(thrown.status, ExecStatus::Ok);
  EXPECT_NE(thrown.log.find("A problem occurred."), std::string::npos) << why(thrown);
  ExecResult fine = run(cart(), "shop-2");
  EXPECT_EQ(fine.status, ExecStatus::Ok) << why(fine);
}

TEST_F(ShopifyPlatformTest, AMissingProviderIsRefusedAtDeployNamingTheImportAndTheFolder) {
  const std::filesystem::path empty = dir_ / "no-providers";
  std::filesystem::create_directories(empty);
  auto refused = deploy_fixture("js_function_v2", "*", empty.string());
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().kind, ErrorKind::Io);
  EXPECT_NE(refused.error().message.find("javy_quickjs_provider_v2"), std::string::npos) << refused.error().message;
  EXPECT_NE(refused.error().message.find(empty.string()), std::string::npos) << refused.error().message;
  auto no_folder = deploy_fixture("js_function_v2", "*", "");
  ASSERT_FALSE(no_folder);
  EXPECT_NE(no_folder.error().message.find("--providers"), std::string::npos) << no_folder.error().message;
  // Nothing went live.
  EXPECT_EQ(run(cart(), "shop-1").status, ExecStatus::NotRun);
}

TEST_F(ShopifyPlatformTest, AnInvalidImportCombinationIsAContractError) {
  auto refused = deploy_fixture("invalid_import_combination", "*", providers());
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().kind, ErrorKind::Contract) << refused.error().message;
}

}  // namespace
}  // namespace kiln
