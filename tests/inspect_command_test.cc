// `kiln inspect`, run as a user runs it: text and JSON output, and the exit
// codes and one-line errors for files that are missing or not valid modules.
#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "cli/exit_codes.h"
#include "tests/test_support.h"

namespace kiln {
namespace {

using kiln::test::run_kiln;

// A directory of its own for each test, removed afterwards.
class InspectCommand : public testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "kiln-inspect-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string write(const std::string& name, const std::vector<uint8_t>& bytes) {
    std::string path = (dir_ / name).string();
    std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()),
                                                static_cast<std::streamsize>(bytes.size()));
    return path;
  }

  std::filesystem::path dir_;
};

const std::string kGuest = kiln::test::guest_path("wasm_inspect");

TEST_F(InspectCommand, PrintsEverySectionAsAlignedText) {
  test::ProcessResult result = run_kiln({"inspect", kGuest});
  ASSERT_EQ(result.exit_code, cli::kExitOk) << result.err;
  EXPECT_EQ(result.err, "");
  for (const char* line : {
           "imports (3):\n",
           "  env.log     func   (i32, i32) -> ()\n",
           "  env.memory  memory 1..4\n",
           "  env.counter global mut i64\n",
           "exports (7):\n",
           // The widest name, with its newline escaped, sets the column.
           "  add              func   1 (i32, i32) -> (i32)\n",
           "  callbacks        table  0 funcref 2..8\n",
           "  weird \"name\"\\x0a func   1 (i32, i32) -> (i32)\n",
           "memories (1):\n  0 1..4 pages imported\n",
           "tables (1):\n  0 funcref 2..8\n",
           "globals (2):\n  0 i64 mutable, imported\n  1 i32\n",
           "features: simd\n",
       }) {
    EXPECT_NE(result.out.find(line), std::string::npos) << "missing: " << line << "in:\n" << result.out;
  }
}

TEST_F(InspectCommand, PrintsOneJsonObject) {
  test::ProcessResult result = run_kiln({"inspect", "--json", kGuest});
  ASSERT_EQ(result.exit_code, cli::kExitOk) << result.err;
  ASSERT_EQ(result.out.find('\n'), result.out.size() - 1) << "one line expected:\n" << result.out;
  rapidjson::Document json;
  json.Parse(result.out.c_str());
  ASSERT_FALSE(json.HasParseError()) << result.out;
  ASSERT_TRUE(json.IsObject());
  for (const char* key : {"imports", "exports", "memories", "tables", "globals", "features", "functions", "size"}) {
    EXPECT_TRUE(json.HasMember(key)) << key;
  }
  ASSERT_EQ(json["imports"].Size(), 3u);
  EXPECT_STREQ(json["imports"][0]["module"].GetString(), "env");
  EXPECT_STREQ(json["imports"][0]["kind"].GetString(), "func");
  EXPECT_STREQ(json["imports"][0]["type"].GetString(), "(i32, i32) -> ()");
  ASSERT_EQ(json["exports"].Size(), 7u);
  EXPECT_STREQ(json["exports"][6]["name"].GetString(), "weird \"name\"\n");  // escaped, then parsed back
  EXPECT_EQ(json["exports"][6]["index"].GetUint(), 1u);
  EXPECT_TRUE(json["memories"][0]["imported"].GetBool());
  EXPECT_EQ(json["memories"][0]["max"].GetUint64(), 4u);
  EXPECT_EQ(json["tables"][0]["max"].GetUint64(), 8u);
  EXPECT_FALSE(json["globals"][1]["mutable"].GetBool());
  ASSERT_EQ(json["features"].Size(), 1u);
  EXPECT_STREQ(json["features"][0].GetString(), "simd");
  EXPECT_EQ(json["functions"].GetUint(), 3u);
  EXPECT_EQ(json["size"].GetUint64(), std::filesystem::file_size(kGuest));
}

TEST_F(InspectCommand, MalformedModuleExitsWith4AndOneLine) {
  std::string path = write("bad.wasm", {0x00, 0x61, 0x73, 0x6e, 0x01, 0x00, 0x00, 0x00});
  test::ProcessResult result = run_kiln({"inspect", path});
  EXPECT_EQ(result.exit_code, cli::kExitInvalidModule);
  EXPECT_EQ(result.out, "");
  EXPECT_EQ(result.err, "kiln: " + path + ": at offset 0x4: bad magic value\n");
}

TEST_F(InspectCommand, InvalidFunctionExitsWith4NamingTheFunction) {
  // One function, (result i32), whose body is `i64.const 0`.
  std::string path = write("invalid.wasm", {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
                                            0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7f,
                                            0x03, 0x02, 0x01, 0x00,
                                            0x0a, 0x06, 0x01, 0x04, 0x00, 0x42, 0x00, 0x0b});
  test::ProcessResult result = run_kiln({"inspect", "--json", path});
  EXPECT_EQ(result.exit_code, cli::kExitInvalidModule);
  EXPECT_EQ(result.out, "");
  EXPECT_EQ(result.err.rfind("kiln: " + path + ": function 0 at offset 0x1a: type mismatch", 0), 0u) << result.err;
  EXPECT_EQ(result.err.find('\n'), result.err.size() - 1) << result.err;
}

TEST_F(InspectCommand, UnreadableFileExitsWith3) {
  std::string missing = (dir_ / "missing.wasm").string();
  test::ProcessResult result = run_kiln({"inspect", missing});
  EXPECT_EQ(result.exit_code, cli::kExitUnreadable);
  EXPECT_EQ(result.err, "kiln: " + missing + ": cannot read the file\n");
  // A directory opens but cannot be read as a file.
  EXPECT_EQ(run_kiln({"inspect", dir_.string()}).exit_code, cli::kExitUnreadable);
}

TEST_F(InspectCommand, MissingArgumentIsAUsageError) {
  EXPECT_EQ(run_kiln({"inspect"}).exit_code, cli::kExitUsage);
}

}  // namespace
}  // namespace kiln
