// base/json_scan.h: the one streaming check every untrusted document gets.
#include <gtest/gtest.h>

#include <string>

#include "base/json_scan.h"

namespace kiln::base {
namespace {

using namespace std::string_literals;

TEST(JsonScan, ANulByteEndsNothing) {
  // RapidJSON reads NUL as the end of its input; the scan must not, or a
  // guest's `{}\0garbage` (a length longer than what it wrote) would pass.
  for (const std::string& text : {"{}\0"s, "{}\0{\"a\": 1}"s, "{\"a\": 1} \0 "s}) {
    auto scan = scan_json(text, ErrorKind::InvalidOutput, "output");
    ASSERT_FALSE(scan) << text.size();
    EXPECT_EQ(scan.error().kind, ErrorKind::InvalidOutput);
    EXPECT_NE(scan.error().message.find("output is not JSON at offset"), std::string::npos) << scan.error().message;
  }
  auto in_string = scan_json("{\"a\": \"x\0y\"}"s, ErrorKind::InvalidInput, "input");
  EXPECT_FALSE(in_string);
}

TEST(JsonScan, AWholeDocumentPasses) {
  auto scan = scan_json("{\"config\": 1} \n", ErrorKind::InvalidInput, "input");
  ASSERT_TRUE(scan) << scan.error().message;
  EXPECT_TRUE(scan->root_is_object);
  EXPECT_TRUE(scan->has_config_member);
}

}  // namespace
}  // namespace kiln::base
