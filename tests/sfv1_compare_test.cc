// The product discount on Shopify's shopify_function_v1 API
// (examples/product_discount/sfv1.c) gives what the kiln-reactor example
// gives, byte for byte as JSON, on the 3-line and the 200-line cart: run
// through `kiln function-run`, which links Shopify's provider module and its
// trampoline's API (host/shopify_function_trampoline.h) and converts the
// input to MessagePack and the output back. The provider is Shopify's file,
// read where it is: $KILN_SHOPIFY_FUNCTIONS/providers, else
// ../shared/shopify-functions/providers; without it the tests are skipped.
// Sfv1Trampoline: the trampoline's copying functions, on both backends,
// against a function that passes pointers outside its memory.
#include <gtest/gtest.h>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "base/files.h"
#include "base/json_msgpack.h"
#include "embedding_test_support.h"
#include "host/function_providers.h"
#include "kiln/linker.h"
#include "kiln/store.h"
#include "kiln/wasi.h"
#include "test_support.h"
#include "wasm/wat_parser.h"

namespace kiln::test {
namespace {

std::string providers_dir() { return shopify_functions_dir() + "/providers"; }

std::string example_file(const std::string& name) {
  auto text = base::read_file(std::string(KILN_SOURCE_DIR) + "/examples/product_discount/" + name);
  EXPECT_TRUE(text.has_value()) << name;
  return text ? *text : "";
}

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

// The cart with the example's config as its "config" member, as the
// platform splices it for the reactor.
std::string input_with_config(const std::string& cart) {
  size_t brace = cart.find('{');
  EXPECT_NE(brace, std::string::npos);
  return "{\"config\": " + trimmed(example_file("config.json")) + ", " + cart.substr(brace + 1);
}

// `value` as compact JSON, keys in their order.
std::string compact(const rapidjson::Value& value) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  value.Accept(writer);
  return buffer.GetString();
}

class Sfv1Compare : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!std::filesystem::is_regular_file(providers_dir() + "/shopify_function_v1.wasm")) {
      GTEST_SKIP() << "Shopify's provider shopify_function_v1.wasm is not in " << providers_dir()
                   << " (set KILN_SHOPIFY_FUNCTIONS)";
    }
  }

  // The sfv1 guest's output on `cart`, compact, from `kiln function-run --json`.
  static std::string run_sfv1(const std::string& cart) {
    ProcessResult r = run_kiln({"function-run", "-f", std::string(KILN_EXAMPLES_DIR) + "/product_discount_sfv1.wasm",
                                "--providers", providers_dir(), "--json"},
                               input_with_config(cart));
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    rapidjson::Document report;
    report.Parse(r.out.c_str(), r.out.size());
    if (report.HasParseError() || !report.IsObject() || !report.HasMember("output")) {
      ADD_FAILURE() << "not a function-run report: " << r.out << r.err;
      return "";
    }
    EXPECT_TRUE(report["success"].GetBool()) << report["logs"].GetString();
    EXPECT_GT(report["instructions"].GetUint64(), 0u);
    return compact(report["output"]);
  }
};

TEST_F(Sfv1Compare, TheThreeLineCartGivesTheReactorsOutput) {
  EXPECT_EQ(run_sfv1(example_file("input.json")), trimmed(example_file("expected_output.json")));
}

TEST_F(Sfv1Compare, TheTwoHundredLineCartGivesTheReactorsOutput) {
  EXPECT_EQ(run_sfv1(example_file("input_200_lines.json")), trimmed(example_file("expected_output_200_lines.json")));
}

TEST_F(Sfv1Compare, ACartWithoutTaggedLinesGetsNoDiscounts) {
  std::string cart = example_file("input.json");
  for (size_t at = cart.find("\"sale\""); at != std::string::npos; at = cart.find("\"sale\"", at)) {
    cart.replace(at, 6, "\"full\"");
  }
  EXPECT_EQ(run_sfv1(cart), R"({"discountApplicationStrategy":"FIRST","discounts":[]})");
}

TEST_F(Sfv1Compare, BadConfigFailsWithTheReasonInTheLogs) {
  std::string cart = example_file("input.json");
  ProcessResult r = run_kiln({"function-run", "-f", std::string(KILN_EXAMPLES_DIR) + "/product_discount_sfv1.wasm",
                              "--providers", providers_dir(), "--json"},
                             "{\"config\": {\"tag\": \"sale\", \"percentage\": 250}, " + cart.substr(cart.find('{') + 1));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.out.find("config.percentage must be a number from 0.01 to 100"), std::string::npos) << r.out << r.err;
}

// Shopify's own fixture for this API, which function-runner only runs after
// rewriting it with its trampoline tool, runs on kiln as it is.
TEST_F(Sfv1Compare, ShopifysWasmApiV1FixtureRunsUnchanged) {
  const std::string fixture = std::filesystem::path(providers_dir()).parent_path() / "fixtures" / "wasm_api_v1.wasm";
  if (!std::filesystem::is_regular_file(fixture)) GTEST_SKIP() << "no " << fixture;
  ProcessResult r = run_kiln({"function-run", "-f", fixture, "--providers", providers_dir(), "--json"},
                             R"({"hello": "world"})");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  rapidjson::Document report;
  report.Parse(r.out.c_str(), r.out.size());
  ASSERT_FALSE(report.HasParseError()) << r.out << r.err;
  EXPECT_EQ(compact(report["output"]), R"({"bye":"world"})");
  EXPECT_TRUE(report["success"].GetBool());
}

// The trampoline's copying functions on a guest that lies about its
// pointers: a trap naming the function and the range, never a host crash.
class Sfv1Trampoline : public OnEachBackend {
 protected:
  void SetUp() override {
    if (!std::filesystem::is_regular_file(providers_dir() + "/shopify_function_v1.wasm")) {
      GTEST_SKIP() << "Shopify's provider shopify_function_v1.wasm is not in " << providers_dir();
    }
  }

  // Runs `body` (wat instructions, $ctx set) as the export "run" of a
  // function importing shopify_function_v1, on the input {"name": "kiln"}.
  CallResult run(const std::string& body) {
    const std::string wat = R"((module
      (import "shopify_function_v1" "shopify_function_context_new" (func $context_new (result i32)))
      (import "shopify_function_v1" "shopify_function_input_get" (func $input_get (param i32) (result i64)))
      (import "shopify_function_v1" "shopify_function_input_get_obj_prop"
        (func $get_obj_prop (param i32 i64 i32 i32) (result i64)))
      (import "shopify_function_v1" "shopify_function_input_read_utf8_str"
        (func $read_utf8_str (param i32 i32 i32 i32)))
      (import "shopify_function_v1" "shopify_function_output_new_utf8_str"
        (func $new_utf8_str (param i32 i32 i32) (result i32)))
      (memory (export "memory") 1)
      (data (i32.const 16) "name")
      (func (export "run") (local $ctx i32) (local $v i64)
        (local.set $ctx (call $context_new))
        )" + body + "))";
    auto bytes = wasm::wat_to_wasm(wat, "sfv1_liar.wat");
    EXPECT_TRUE(bytes.ok()) << bytes.error().message;
    auto function = Module::compile(engine_, *bytes, "sfv1_liar");
    EXPECT_TRUE(function.ok()) << function.error().message;
    host::FunctionProviders providers(engine_, providers_dir());
    host::WasiConfig config;
    config.stdin_data = *base::json_to_msgpack(R"({"name": "kiln"})", ErrorKind::InvalidInput, "input");
    host::attach_wasi(store_, std::make_shared<host::WasiContext>(std::move(config)));
    Linker linker;
    host::add_wasi(linker);
    auto provider = providers.link(*function, store_, linker);
    EXPECT_TRUE(provider.ok()) << provider.error().message;
    auto instance = store_.instantiate(*function, linker);
    EXPECT_TRUE(instance.ok()) << instance.error().message;
    return instance->call("run", {});
  }

  static void expect_trap(const CallResult& r, const std::string& says) {
    ASSERT_TRUE(r.trapped()) << r.error;
    EXPECT_NE(r.trap.describe().find(says), std::string::npos) << r.trap.describe();
  }

  Store store_{engine_};
};

TEST_P(Sfv1Trampoline, AStringReadBeyondTheFunctionsMemoryTraps) {
  // The string "kiln" (4 bytes) copied to the last 2 bytes of the 64 KiB page.
  CallResult r = run(R"(
        (local.set $v (call $get_obj_prop (local.get $ctx) (call $input_get (local.get $ctx))
                                          (i32.const 16) (i32.const 4)))
        (call $read_utf8_str (local.get $ctx) (i32.wrap_i64 (local.get $v)) (i32.const 65534) (i32.const 4)))");
  expect_trap(r, "shopify_function_input_read_utf8_str: 4 bytes at 65534 are outside the function's memory");
}

TEST_P(Sfv1Trampoline, AKeyBeyondTheFunctionsMemoryTraps) {
  CallResult r = run(R"(
        (drop (call $get_obj_prop (local.get $ctx) (call $input_get (local.get $ctx))
                                  (i32.const 65530) (i32.const 100))))");
  expect_trap(r, "shopify_function_input_get_obj_prop: 100 bytes at 65530 are outside the function's memory");
}

TEST_P(Sfv1Trampoline, AnOutputStringBeyondTheFunctionsMemoryTraps) {
  CallResult r = run(R"(
        (drop (call $new_utf8_str (local.get $ctx) (i32.const -16) (i32.const 32))))");
  expect_trap(r, "shopify_function_output_new_utf8_str: 32 bytes at 4294967280 are outside the function's memory");
}

TEST_P(Sfv1Trampoline, AnHonestGuestReadsTheString) {
  CallResult r = run(R"(
        (local.set $v (call $get_obj_prop (local.get $ctx) (call $input_get (local.get $ctx))
                                          (i32.const 16) (i32.const 4)))
        (call $read_utf8_str (local.get $ctx) (i32.wrap_i64 (local.get $v)) (i32.const 100) (i32.const 4))
        (if (i32.ne (i32.load (i32.const 100)) (i32.const 0x6e6c696b)) (then unreachable)))");  // "kiln"
  EXPECT_TRUE(r.returned()) << r.trap.describe() << r.error;
}

INSTANTIATE_TEST_SUITE_P(Backends, Sfv1Trampoline, ::testing::Values(BackendKind::Interp, BackendKind::Aot),
                         backend_name);

}  // namespace
}  // namespace kiln::test
