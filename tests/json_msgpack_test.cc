// base/json_msgpack: JSON text ⇄ MessagePack, and what has no JSON form.
#include "base/json_msgpack.h"

#include <gtest/gtest.h>

#include <string>

namespace kiln::base {
namespace {

std::string round_trip(const std::string& json) {
  auto packed = json_to_msgpack(json, ErrorKind::InvalidInput, "the input");
  if (!packed) return "pack: " + packed.error().message;
  auto back = msgpack_to_json(*packed, ErrorKind::InvalidOutput, "the output");
  if (!back) return "unpack: " + back.error().message;
  return *back;
}

TEST(JsonMsgpack, RoundTripsEveryJsonType) {
  EXPECT_EQ(round_trip(R"({"a":[1,-2,3.5,true,false,null,"x"],"b":{}})"), R"({"a":[1,-2,3.5,true,false,null,"x"],"b":{}})");
  EXPECT_EQ(round_trip("18446744073709551615"), "18446744073709551615");
  EXPECT_EQ(round_trip("-9223372036854775808"), "-9223372036854775808");
  EXPECT_EQ(round_trip(R"("caf\u00e9 \"q\"")"), "\"café \\\"q\\\"\"");
}

TEST(JsonMsgpack, IntegersTakeTheirSmallestForm) {
  auto packed = json_to_msgpack("[1, 300]", ErrorKind::InvalidInput, "the input");
  ASSERT_TRUE(packed.ok());
  EXPECT_EQ(*packed, std::string("\x92\x01\xcd\x01\x2c", 5));  // fixarray, fixint, uint16
}

TEST(JsonMsgpack, NotJsonIsRefusedWithTheCallersKind) {
  auto refused = json_to_msgpack("{\"a\":", ErrorKind::InvalidInput, "the input");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().kind, ErrorKind::InvalidInput);
  EXPECT_NE(refused.error().message.find("the input: not JSON"), std::string::npos) << refused.error().message;
}

TEST(JsonMsgpack, WhatHasNoJsonFormIsRefused) {
  auto check = [](const std::string& bytes, const std::string& why) {
    auto refused = msgpack_to_json(bytes, ErrorKind::InvalidOutput, "the output");
    ASSERT_FALSE(refused.ok()) << why;
    EXPECT_EQ(refused.error().kind, ErrorKind::InvalidOutput);
    EXPECT_NE(refused.error().message.find(why), std::string::npos) << refused.error().message;
  };
  check(std::string("\xc4\x01\x00", 3), "binary");                  // bin8
  check(std::string("\x81\x01\x02", 3), "not a string");            // {1: 2}
  check(std::string("\x01\x02", 2), "1 bytes after");               // two values
  check(std::string("\x92\x01", 2), "not MessagePack");             // truncated array
  check(std::string("\xdd\xff\xff\xff\xff", 5), "not MessagePack");  // claims 2^32 elements
}

TEST(JsonMsgpack, DeepNestingIsRefusedNotACrash) {
  std::string deep(100000, '[');
  deep += std::string(100000, ']');
  auto refused = json_to_msgpack(deep, ErrorKind::InvalidInput, "the input");
  EXPECT_FALSE(refused.ok());
  std::string packed(100000, '\x91');
  packed += '\xc0';
  EXPECT_FALSE(msgpack_to_json(packed, ErrorKind::InvalidOutput, "the output").ok());
}

}  // namespace
}  // namespace kiln::base
