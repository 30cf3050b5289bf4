// kiln spectest, run as a user runs it: scripts with deliberately wrong
// expectations must fail on exactly the lines that are wrong and carry on;
// correct scripts pass; broken scripts are failures, never crashes. Scripts
// are written at test time and converted with wast2json from PATH.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "spectest/spec_json.h"
#include "spectest/spec_values.h"
#include "tests/test_support.h"

namespace kiln {
namespace {

// A temporary directory holding one script; removed with the object.
class ScriptDir {
 public:
  ScriptDir() {
    char name[] = "/tmp/kiln-spectest-XXXXXX";
    if (!mkdtemp(name)) throw std::runtime_error("mkdtemp failed");
    dir_ = name;
  }
  ~ScriptDir() { std::filesystem::remove_all(dir_); }

  std::string path(const std::string& name) const { return dir_ + "/" + name; }

  void write(const std::string& name, const std::string& text) const { std::ofstream(path(name)) << text; }

  // Writes script.wast and converts it; returns the script.json path.
  std::string convert(const std::string& wast) const {
    write("script.wast", wast);
    std::string command = "wast2json -o " + path("script.json") + " " + path("script.wast");
    if (std::system(command.c_str()) != 0) throw std::runtime_error("wast2json failed on:\n" + wast);
    return path("script.json");
  }

 private:
  std::string dir_;
};

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// The 1-based numbers of the script's lines that end in ";; FAIL".
std::vector<int> marked_lines(const std::string& script) {
  std::vector<int> marked;
  std::vector<std::string> lines = lines_of(script);
  for (size_t i = 0; i < lines.size(); ++i) {
    if (lines[i].ends_with(";; FAIL")) marked.push_back(static_cast<int>(i + 1));
  }
  return marked;
}

// The line numbers that the report lines name, for a script whose FILE ends in `file`.
std::vector<int> reported_lines(const std::vector<std::string>& report, const std::string& file) {
  std::vector<int> numbers;
  for (const std::string& line : report) {
    size_t at = line.find(file + ":");
    if (at == std::string::npos) continue;
    numbers.push_back(std::stoi(line.substr(at + file.size() + 1)));
  }
  return numbers;
}

const char kWrongScript[] = R"wast((module
  (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
  (func (export "div") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
  (func (export "half") (param f32) (result f32) (f32.mul (local.get 0) (f32.const 0.5)))
  (func (export "lanes") (result v128) (v128.const i32x4 1 2 3 4))
  (func (export "id") (param i32) (result i32) (local.get 0))
)
(assert_return (invoke "add" (i32.const 1) (i32.const 2)) (i32.const 4))  ;; FAIL
(assert_return (invoke "add" (i32.const 1) (i32.const 2)) (i32.const 3))
(assert_trap (invoke "div" (i32.const 6) (i32.const 3)) "integer divide by zero")  ;; FAIL
(assert_return (invoke "div" (i32.const 6) (i32.const 0)) (i32.const 0))  ;; FAIL
(assert_return (invoke "half" (f32.const 3)) (f32.const nan:canonical))  ;; FAIL
(assert_return (invoke "lanes") (v128.const i32x4 1 2 3 5))  ;; FAIL
(assert_exhaustion (invoke "id" (i32.const 1)) "call stack exhausted")  ;; FAIL
(assert_invalid (module (func (result i32) (i32.const 0))) "type mismatch")  ;; FAIL
(assert_malformed (module quote "(func)") "unexpected token")  ;; FAIL
(assert_unlinkable (module (import "spectest" "print_i32" (func (param i32)))) "unknown import")  ;; FAIL
(assert_trap (module (func $s) (start $s)) "unreachable")  ;; FAIL
(assert_return (invoke "add" (i32.const 2) (i32.const 2)) (i32.const 4))
(module (import "spectest" "missing" (func)) (func (export "f") (result i32) (i32.const 1)))  ;; FAIL
(register "gone")  ;; FAIL
(assert_return (invoke "f") (i32.const 1))  ;; FAIL
)wast";

TEST(SpectestRunner, ReportsEachWrongExpectationOnItsLineAndCarriesOn) {
  ScriptDir dir;
  std::string json = dir.convert(kWrongScript);
  auto run = test::run_kiln({"spectest", json});
  std::vector<std::string> report = lines_of(run.out);
  ASSERT_FALSE(report.empty()) << run.err;

  EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
  std::vector<int> marked = marked_lines(kWrongScript);
  EXPECT_EQ(reported_lines(report, "script.wast"), marked) << run.out;
  // The module and the two right assertions pass; `register` is not a test
  // unless it fails.
  EXPECT_EQ(report.back(), "3 passed, " + std::to_string(marked.size()) + " failed");
}

TEST(SpectestRunner, FailureLinesSayWhatWasExpectedAndWhatHappened) {
  ScriptDir dir;
  auto run = test::run_kiln({"spectest", dir.convert(kWrongScript)});
  const std::vector<std::string> wanted = {
      ":8: assert_return: expected invoke \"add\"(i32:1, i32:2) to return (i32:4) but got (i32:3)",
      ":10: assert_trap: expected invoke \"div\"(i32:6, i32:3) to trap (\"integer divide by zero\") but got (i32:2)",
      ":11: assert_return: expected invoke \"div\"(i32:6, i32:0) to return (i32:0) but got trap: integer divide "
      "by zero",
      ":12: assert_return: expected invoke \"half\"(f32:3) to return (f32:nan:canonical) but got (f32:1.5)",
      ":13: assert_return: expected invoke \"lanes\"() to return (v128:i32x4 1 2 3 5) but got (v128:i32x4 1 2 3 4)",
      ":15: assert_invalid: expected script.1.wasm to be rejected (\"type mismatch\") but it loaded",
      ":17: assert_unlinkable: expected script.3.wasm to fail to link (\"unknown import\") but it instantiated",
      ":18: assert_uninstantiable: expected script.4.wasm to trap while instantiating (\"unreachable\") but it "
      "instantiated",
  };
  for (const std::string& line : wanted) {
    EXPECT_NE(run.out.find(dir.path("script.wast") + line + "\n"), std::string::npos) << line << "\n" << run.out;
  }
  EXPECT_NE(run.out.find(":22: assert_return: expected invoke \"f\"() to return (i32:1) but the action failed: "
                         "there is no current module"),
            std::string::npos)
      << run.out;
}

const char kRightScript[] = R"wast((module $M (func (export "f") (result i32) (i32.const 7)))
(assert_return (invoke "f") (i32.const 7))
(assert_trap (module (func $s unreachable) (start $s)) "unreachable")
(register "m" $M)
(module (import "m" "f" (func (result i32))) (memory 1))
)wast";

TEST(SpectestRunner, CorrectScriptPassesQuietly) {
  ScriptDir dir;
  auto run = test::run_kiln({"spectest", dir.convert(kRightScript)});
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_EQ(run.out, "4 passed, 0 failed\n");
}

TEST(SpectestRunner, VerboseReportsEveryCommand) {
  ScriptDir dir;
  auto run = test::run_kiln({"spectest", "-v", dir.convert(kRightScript)});
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  std::vector<std::string> report = lines_of(run.out);
  ASSERT_EQ(report.size(), 6u) << run.out;
  EXPECT_NE(report[0].find("script.wast:1: module: passed"), std::string::npos) << run.out;
  EXPECT_NE(report[1].find("script.wast:2: assert_return: passed: invoke \"f\"(): got (i32:7)"), std::string::npos)
      << run.out;
  EXPECT_NE(report[2].find("script.wast:3: assert_uninstantiable: passed"), std::string::npos) << run.out;
  EXPECT_NE(report[3].find("script.wast:4: register: passed"), std::string::npos) << run.out;
  EXPECT_EQ(report[5], "4 passed, 0 failed");
}

TEST(SpectestRunner, MalformedCommandsFailOneByOne) {
  ScriptDir dir;
  dir.write("handmade.json", R"({"source_filename": "handmade.wast", "commands": [
    1,
    {"type": "assert_return", "line": 3},
    {"type": "assert_return", "line": 4, "action": {"type": "invoke", "field": "f", "args": [{"type": "i32", "value": "x"}]}},
    {"type": "module", "line": 5, "filename": "missing.wasm"},
    {"type": "assert_return", "line": 6, "action": {"type": "get", "field": "g"}, "expected": [{"type": "anyref", "value": "0"}]},
    {"type": "assert_bogus", "line": 7},
    {"type": "assert_return", "line": 8, "action": {"type": "invoke", "field": "f"}, "expected": [{"type": "v128", "lane_type": "i32", "value": ["1"]}]},
    {"type": "assert_invalid", "line": 9, "filename": "missing.wasm"},
    {"type": "register", "line": 10, "as": "x"},
    {"type": "assert_return", "line": 11, "action": {"type": "invoke", "field": "f", "args": [{"type": "i32", "value": "4294967296"}]}}
  ]})");
  auto run = test::run_kiln({"spectest", dir.path("handmade.json")});
  EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
  std::vector<std::string> report = lines_of(run.out);
  ASSERT_FALSE(report.empty());
  EXPECT_EQ(reported_lines(report, "handmade.wast"), (std::vector<int>{0, 3, 4, 5, 6, 7, 8, 9, 10, 11})) << run.out;
  EXPECT_EQ(report.back(), "0 passed, 10 failed");
}

TEST(SpectestRunner, UnreadableScriptIsOneFailure) {
  ScriptDir dir;
  dir.write("truncated.json", R"({"commands": [{"type": "module", )");
  for (const std::string& path : {dir.path("absent.json"), dir.path("truncated.json")}) {
    auto run = test::run_kiln({"spectest", path});
    EXPECT_EQ(run.exit_code, 1) << path;
    EXPECT_EQ(lines_of(run.out).back(), "0 passed, 1 failed") << run.out;
  }
}

TEST(SpectestRunner, MultiResultActionsParseDespiteWast2jsonMissingCommas) {
  ScriptDir dir;
  std::string json = dir.convert(R"wast((module (func (export "two") (result i32 i64) (i32.const 1) (i64.const 2)))
(invoke "two")
(assert_trap (invoke "two") "unreachable")  ;; FAIL
)wast");
  auto run = test::run_kiln({"spectest", json});
  EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
  std::vector<std::string> report = lines_of(run.out);
  ASSERT_FALSE(report.empty());
  EXPECT_EQ(reported_lines(report, "script.wast"), std::vector<int>{3}) << run.out;
  EXPECT_EQ(report.back(), "2 passed, 1 failed");
}

TEST(SpectestRunner, TimeoutStopsARunawayCallAndTheRunCarriesOn) {
  ScriptDir dir;
  std::string json = dir.convert(R"wast((module (func (export "spin") (loop (br 0))) (func (export "one") (result i32) (i32.const 1)))
(assert_return (invoke "spin"))  ;; FAIL
(assert_return (invoke "one") (i32.const 1))
)wast");
  auto run = test::run_kiln({"spectest", "--timeout", "100ms", json});
  EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
  std::vector<std::string> report = lines_of(run.out);
  ASSERT_EQ(report.size(), 2u) << run.out;
  EXPECT_NE(report[0].find("script.wast:2: assert_return: expected invoke \"spin\"() to return () but got trap: deadline"),
            std::string::npos)
      << run.out;
  EXPECT_EQ(report[1], "2 passed, 1 failed");
}

TEST(SpectestRunner, AotBackendRunsScripts) {
  ScriptDir dir;
  auto run = test::run_kiln({"spectest", "--backend", "aot", dir.convert(kRightScript)});
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_NE(run.out.find(" passed, 0 failed"), std::string::npos) << run.out;
}

TEST(SpectestRunner, UnknownBackendIsAUsageError) {
  auto run = test::run_kiln({"spectest", "--backend", "jit", "x.json"});
  EXPECT_EQ(run.exit_code, 2);
}

TEST(SpectestJson, RepairsOnlyCommasMissingBetweenObjects) {
  EXPECT_EQ(spectest::repair_missing_commas(R"([{"type": "i32"}{"type": "i64"} {"a": 1}])"),
            R"([{"type": "i32"},{"type": "i64"} ,{"a": 1}])");
  // Inside strings, escaped quotes included, nothing changes.
  std::string text = R"({"text": "}{ \"}{\" }{"})";
  EXPECT_EQ(spectest::repair_missing_commas(text), text);
}

spectest::ExpectedValue expected_from(const std::string& json) {
  rapidjson::Document document;
  document.Parse(json.c_str());
  auto expected = spectest::parse_expected(document);
  if (!expected) throw std::runtime_error(expected.error().message);
  return *expected;
}

TEST(SpectestValues, NanPatternsFollowTheSpec) {
  auto canonical = expected_from(R"({"type": "f32", "value": "nan:canonical"})");
  auto arithmetic = expected_from(R"({"type": "f32", "value": "nan:arithmetic"})");
  EXPECT_TRUE(matches(canonical, Value::from_f32_bits(0x7fc00000)));
  EXPECT_TRUE(matches(canonical, Value::from_f32_bits(0xffc00000)));
  EXPECT_FALSE(matches(canonical, Value::from_f32_bits(0x7fc00001)));
  EXPECT_FALSE(matches(canonical, Value::from_f32_bits(0x7f800000)));  // infinity
  EXPECT_TRUE(matches(arithmetic, Value::from_f32_bits(0x7fc00001)));
  EXPECT_TRUE(matches(arithmetic, Value::from_f32_bits(0xffffffff)));
  EXPECT_FALSE(matches(arithmetic, Value::from_f32_bits(0x7fa00000)));  // signalling
  EXPECT_FALSE(matches(arithmetic, Value::from_f64_bits(0x7ff8000000000000)));  // wrong type

  auto f64_canonical = expected_from(R"({"type": "f64", "value": "nan:canonical"})");
  EXPECT_TRUE(matches(f64_canonical, Value::from_f64_bits(0xfff8000000000000)));
  EXPECT_FALSE(matches(f64_canonical, Value::from_f64_bits(0x7ff8000000000001)));
}

TEST(SpectestValues, V128LanesAndReferences) {
  auto lanes = expected_from(
      R"({"type": "v128", "lane_type": "f64", "value": ["nan:arithmetic", "4607182418800017408"]})");
  V128 bytes{};
  uint64_t halves[2] = {0x7ffc000000000000, 0x3ff0000000000000};  // a quiet NaN, then 1.0
  std::memcpy(bytes.bytes, halves, 16);
  EXPECT_TRUE(matches(lanes, Value::from_v128(bytes)));
  halves[1] = 0xbff0000000000000;
  std::memcpy(bytes.bytes, halves, 16);
  EXPECT_FALSE(matches(lanes, Value::from_v128(bytes)));
  EXPECT_EQ(spectest::describe(lanes), "v128:f64x2 nan:arithmetic 1");

  auto any_func = expected_from(R"({"type": "funcref", "value": "0"})");
  EXPECT_TRUE(matches(any_func, Value::from_ref(ValType::FuncRef, 3)));
  EXPECT_FALSE(matches(any_func, Value::from_ref(ValType::FuncRef, kNullRef)));
  auto extern_ref = expected_from(R"({"type": "externref", "value": "5"})");
  EXPECT_TRUE(matches(extern_ref, Value::from_ref(ValType::ExternRef, 5)));
  EXPECT_FALSE(matches(extern_ref, Value::from_ref(ValType::ExternRef, 6)));
  EXPECT_FALSE(matches(extern_ref, Value::from_ref(ValType::FuncRef, 5)));
}

}  // namespace
}  // namespace kiln
