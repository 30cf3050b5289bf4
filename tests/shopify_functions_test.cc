// Shopify's function-runner fixtures through `kiln function-run` (issue 17),
// each checked the way function-runner's own integration tests check it.
// The fixtures and providers are Shopify's files, read where they are:
// $KILN_SHOPIFY_FUNCTIONS, else ../shared/shopify-functions beside the
// source tree. Without them every test here is skipped, saying so.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "test_support.h"

namespace kiln::test {
namespace {

std::string shopify_dir() { return kiln::test::shopify_functions_dir(); }

class ShopifyFunctions : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!std::filesystem::is_directory(shopify_dir() + "/fixtures")) {
      GTEST_SKIP() << "Shopify's function-runner fixtures are not at " << shopify_dir()
                   << " (set KILN_SHOPIFY_FUNCTIONS)";
    }
  }

  static std::string fixture(const std::string& name) { return shopify_dir() + "/fixtures/" + name + ".wasm"; }
  static std::string input_file(const std::string& name) { return shopify_dir() + "/inputs/" + name; }
  static std::string providers() { return shopify_dir() + "/providers"; }

  // kiln function-run on `name` with `extra` arguments, the providers given.
  static ProcessResult run(const std::string& name, const std::string& stdin_data,
                           std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"function-run", "-f", fixture(name), "--providers", providers()};
    args.insert(args.end(), extra.begin(), extra.end());
    return run_kiln(args, stdin_data);
  }
};

// `kiln function-run --json`'s field `field` as printed (one line each).
std::string json_line(const std::string& out, const std::string& field) {
  size_t at = out.find("\"" + field + "\": ");
  if (at == std::string::npos) return "";
  return out.substr(at, out.find('\n', at) - at);
}

// `text` without spaces and newlines: JSON compared whatever its indentation.
std::string compact(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c != ' ' && c != '\n') out += c;
  }
  return out;
}

// The volume discount js_function_input.json earns.
constexpr const char* kDiscount =
    R"("output":{"discountApplicationStrategy":"FIRST","discounts":[{"value":{"percentage":{"value":20}},)"
    R"("targets":[{"productVariant":{"id":"gid://shopify/ProductVariant/1"}}]}]})";

TEST_F(ShopifyFunctions, NoopEchoesItsInput) {
  ProcessResult r = run("noop", R"({"exit": 0})", {"--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  EXPECT_NE(compact(r.out).find(R"("output":{"exit":0})"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"name\": \"noop.wasm\""), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"success\": true"), std::string::npos) << r.out;
  EXPECT_NE(json_line(r.out, "instructions"), "\"instructions\": 0,") << r.out;
}

TEST_F(ShopifyFunctions, TheSummaryShowsOutputLogsAndFigures) {
  ProcessResult r = run("noop", R"({"hello": "world"})");
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  EXPECT_NE(r.out.find("Output:\n{\n  \"hello\": \"world\"\n}"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("instructions: "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("(limit 11000000)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("memory used: "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("module size: 49 KiB"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("EXCEEDED"), std::string::npos) << r.out;
}

TEST_F(ShopifyFunctions, LimitsAreMarkedWhenExceededAndInstructionsScaleWithTheInput) {
  std::string big = R"({"padding": ")" + std::string(100'000, 'x') + R"("})";
  ProcessResult r = run("noop", big);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("input size: 100015 bytes (limit 64000 bytes)  ** EXCEEDED"), std::string::npos) << r.err;
  EXPECT_NE(r.out.find("output size: 100015 bytes (limit 20000 bytes)  ** EXCEEDED"), std::string::npos);
  EXPECT_NE(r.out.find("(limit 22000000)"), std::string::npos);  // two started 64 KB steps of input
}

TEST_F(ShopifyFunctions, ExitCodeZeroSucceedsWithEmptyLogs) {
  ProcessResult r = run("exit_code", R"({"code": 0})", {"--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  EXPECT_NE(r.out.find("\"logs\": \"\""), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"exit\": 0"), std::string::npos) << r.out;
}

TEST_F(ShopifyFunctions, ExitCodeOneFailsAndSaysSo) {
  ProcessResult r = run("exit_code", R"({"code": 1})", {"--json"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.out.find("\"logs\": \"module exited with code: 1\""), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"success\": false"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("The Function execution failed. Review the logs for more information."), std::string::npos)
      << r.err;
}

TEST_F(ShopifyFunctions, LongLogsAreMarkedAsTruncatedInProduction) {
  ProcessResult r = run("log_truncation_function", "{}");
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  // 2000 times "☠", three bytes each.
  EXPECT_NE(r.out.find("Logs would be truncated in production, length 6000 > 1000 limit"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("\"output\": \"hello world\""), std::string::npos) << r.out;
}

TEST_F(ShopifyFunctions, ExportsNeedsItsExportNamed) {
  ProcessResult missing = run("exports", "{}");
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_NE(missing.err.find("exports no function '_start'"), std::string::npos) << missing.err;

  ProcessResult named = run("exports", "{}", {"--export", "export1", "--json"});
  ASSERT_EQ(named.exit_code, 0) << named.err << named.out;
  EXPECT_NE(named.out.find("\"stdout\": \"export1\""), std::string::npos) << named.out;
}

TEST_F(ShopifyFunctions, LinearMemoryReportsItsMemory) {
  ProcessResult r = run("linear_memory", "{}", {"--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  EXPECT_NE(r.out.find("\"memory_usage\": 12800,"), std::string::npos) << r.out;  // 200 pages of 64 KiB
}

TEST_F(ShopifyFunctions, TheModuleSizeIsInKiB) {
  ProcessResult r = run("exit_code", R"({"code": 0})", {"--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  uint64_t kib = std::filesystem::file_size(fixture("exit_code")) / 1024;
  EXPECT_NE(r.out.find("\"size\": " + std::to_string(kib) + ","), std::string::npos) << r.out;
}

TEST_F(ShopifyFunctions, TheInputComesFromAFile) {
  ProcessResult r = run_kiln({"function-run", "--function", fixture("noop"), "--input",
                              input_file("js_function_input.json"), "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("gid://shopify/ProductVariant/1"), std::string::npos) << r.out;
}

TEST_F(ShopifyFunctions, InvalidInputJsonNamesLineAndColumn) {
  ProcessResult r = run_kiln({"function-run", "-f", fixture("noop"), "-i", input_file("invalid_json.json")});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("Invalid input JSON"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("line 2 column 1"), std::string::npos) << r.err;
}

TEST_F(ShopifyFunctions, AMissingFunctionFileIsNamed) {
  ProcessResult r = run_kiln({"function-run", "-f", shopify_dir() + "/fixtures/no_such_function.wasm"}, "{}");
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find("no_such_function.wasm"), std::string::npos) << r.err;
}

TEST_F(ShopifyFunctions, InvalidImportCombinationIsRefused) {
  ProcessResult r = run("invalid_import_combination", "{}");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("shopify_function_v2"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("wasi_snapshot_preview1"), std::string::npos) << r.err;
}

TEST_F(ShopifyFunctions, AMissingProviderNamesTheImportAndTheDirectory) {
  std::string empty = std::filesystem::temp_directory_path() / ("kiln-no-providers-" + std::to_string(::getpid()));
  std::filesystem::create_directories(empty);
  ProcessResult r = run_kiln({"function-run", "-f", fixture("js_function_v3"), "--providers", empty,
                              "-i", input_file("js_function_input.json")});
  std::filesystem::remove_all(empty);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("javy_quickjs_provider_v3"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(empty), std::string::npos) << r.err;
}

TEST_F(ShopifyFunctions, TheProviderDirectoryMayComeFromTheEnvironment) {
  ProcessResult r = run_kiln_env({"function-run", "-f", fixture("js_function_v3"), "-i",
                                  input_file("js_function_input.json"), "--json"},
                                 {"KILN_PROVIDERS=" + providers()});
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  EXPECT_NE(compact(r.out).find(kDiscount), std::string::npos) << r.out;
}

// The Javy functions: each links the provider its imports name and gives
// the volume discount for js_function_input.json.
class JavyFunctions : public ShopifyFunctions, public ::testing::WithParamInterface<const char*> {};

TEST_P(JavyFunctions, ProduceTheirDiscount) {
  ProcessResult r = run_kiln({"function-run", "-f", fixture(GetParam()), "--providers", providers(), "-i",
                              input_file("js_function_input.json"), "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  EXPECT_NE(compact(r.out).find(kDiscount), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"success\": true"), std::string::npos) << r.out;
  EXPECT_EQ(json_line(r.out, "memory_usage").find("\": 0,"), std::string::npos) << r.out;
}

INSTANTIATE_TEST_SUITE_P(Fixtures, JavyFunctions,
                         ::testing::Values("js_function", "js_function_v2", "js_function_v3", "js_functions_javy_v1"));

TEST_F(ShopifyFunctions, AThrowingJavaScriptFunctionFailsWithItsErrorInTheLogs) {
  ProcessResult r = run_kiln({"function-run", "-f", fixture("js_function_that_throws"), "--providers", providers(),
                              "-i", input_file("js_function_input.json"), "--json"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.out.find("A problem occurred."), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"success\": false"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("The Function execution failed. Review the logs for more information."), std::string::npos)
      << r.err;
}

// The providers that speak MessagePack: the input goes in as MessagePack
// and the output comes back as JSON. shopify_functions_javy_v2 over WASI
// streams (its function's entry point is `run`), v3 and v4 through the
// provider's memory.
TEST_F(ShopifyFunctions, JavyPluginV2SpeaksMessagePackOverStdio) {
  ProcessResult r = run("js_function_javy_plugin_v2", "", {"-i", input_file("js_function_input.json"), "--export",
                                                         "run", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  EXPECT_NE(compact(r.out).find(R"("output":{"discountApplicationStrategy":"FIRST","discounts":[]})"),
            std::string::npos)
      << r.out;
}

class JavyPluginMemoryIo : public ShopifyFunctions, public ::testing::WithParamInterface<const char*> {};

TEST_P(JavyPluginMemoryIo, ReadsInputAndWritesOutputThroughTheProvidersMemory) {
  ProcessResult r = run(GetParam(), R"({"hello": "world"})", {"--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  EXPECT_NE(compact(r.out).find(R"("output":{"hello":"worldoutput"})"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"logs\": \"this is an error message\\n\""), std::string::npos) << r.out;
}

INSTANTIATE_TEST_SUITE_P(Fixtures, JavyPluginMemoryIo,
                         ::testing::Values("js_function_javy_plugin_v3", "js_function_javy_plugin_v4"));

TEST_F(ShopifyFunctions, MessagePackCodecRoundTrips) {
  ProcessResult r = run("messagepack-valid", R"({"hello": "world", "n": [1, -2, 3.5, true, null]})",
                        {"--codec", "messagepack", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  EXPECT_NE(compact(r.out).find(R"("output":{"hello":"world","n":[1,-2,3.5,true,null]})"), std::string::npos)
      << r.out;
}

TEST_F(ShopifyFunctions, InvalidMessagePackOutputIsAnOutputError) {
  ProcessResult r = run("messagepack-invalid", R"({"hello": "world"})", {"--codec", "messagepack", "--json"});
  EXPECT_EQ(r.exit_code, 22) << r.err << r.out;  // kiln's invalid-output exit code
  EXPECT_NE(r.err.find("the function's output"), std::string::npos) << r.err;
  EXPECT_NE(r.out.find("\"error\": \"the function's output"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace kiln::test
