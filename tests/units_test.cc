#include "base/units.h"

#include <gtest/gtest.h>

namespace kiln::base {
namespace {

TEST(ParseSize, AcceptsBytesAndBinaryUnits) {
  EXPECT_EQ(*parse_size("65536"), 65536u);
  EXPECT_EQ(*parse_size("64K"), 65536u);
  EXPECT_EQ(*parse_size("64k"), 65536u);
  EXPECT_EQ(*parse_size("64KiB"), 65536u);
  EXPECT_EQ(*parse_size("64KB"), 65536u);
  EXPECT_EQ(*parse_size("16M"), 16u << 20);
  EXPECT_EQ(*parse_size("16MiB"), 16u << 20);
  EXPECT_EQ(*parse_size("1G"), 1u << 30);
  EXPECT_EQ(*parse_size("2GiB"), uint64_t{2} << 30);
  EXPECT_EQ(*parse_size("1.5M"), 3u << 19);
}

TEST(ParseSize, RejectsGarbageWithAMessage) {
  for (const char* text : {"", "M", "12X", "-5", "1TiB", "12 M", "1e3"}) {
    auto size = parse_size(text);
    ASSERT_FALSE(size.ok()) << text;
    EXPECT_NE(size.error().message.find("invalid size"), std::string::npos);
  }
}

TEST(ParseDuration, AcceptsMillisecondsSecondsMinutes) {
  using namespace std::chrono_literals;
  EXPECT_EQ(*parse_duration("250ms"), 250ms);
  EXPECT_EQ(*parse_duration("2s"), 2s);
  EXPECT_EQ(*parse_duration("1.5s"), 1500ms);
  EXPECT_EQ(*parse_duration("1m"), 60s);
}

TEST(ParseDuration, RequiresAUnit) {
  for (const char* text : {"", "10", "10h", "ms", "-1s", "5 s"}) {
    EXPECT_FALSE(parse_duration(text).ok()) << text;
  }
}

}  // namespace
}  // namespace kiln::base
