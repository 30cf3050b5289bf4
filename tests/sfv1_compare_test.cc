// The product discount on Shopify's shopify_function_v1 API
// (examples/product_discount/sfv1.c) gives what the kiln-reactor example
// gives, byte for byte as JSON, on the 3-line and the 200-line cart: run
// through `kiln function-run`, which links Shopify's provider module and its
// trampoline's API (host/shopify_function_trampoline.h) and converts the
// input to MessagePack and the output back. The provider is Shopify's file,
// read where it is: $KILN_SHOPIFY_FUNCTIONS/providers, else
// ../shared/shopify-functions/providers; without it the tests are skipped.
#include <gtest/gtest.h>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "base/files.h"
#include "test_support.h"

namespace kiln::test {
namespace {

std::string providers_dir() {
  const char* env = std::getenv("KILN_SHOPIFY_FUNCTIONS");
  return std::string(env && *env ? env : KILN_SHOPIFY_FUNCTIONS_DIR) + "/providers";
}

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

}  // namespace
}  // namespace kiln::test
