// MsgpackWriter: appends MessagePack to a string, value by value — the
// primitives, and RapidJSON's SAX handler interface, so that a
// rapidjson::Reader turns JSON text into MessagePack in one pass with no
// document between.
//
// A SAX source tells a container's size only at its end, and MessagePack
// wants it first: the handler writes every map and array with a 32-bit
// count (map32, array32) and fills it in at the end. That is valid
// MessagePack, four bytes longer per container than the smallest form,
// and spares a second pass. Where the counts are known first (a
// document), pack_value writes the smallest forms.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include <rapidjson/document.h>

namespace kiln::base {

class MsgpackWriter {
 public:
  explicit MsgpackWriter(std::string& out) : out_(out) {}

  // Primitives, smallest form.
  void nil() { out_.push_back(static_cast<char>(0xc0)); }
  void boolean(bool v) { out_.push_back(static_cast<char>(v ? 0xc3 : 0xc2)); }
  void uinteger(uint64_t v);
  void integer(int64_t v);
  void float64(double v);
  void str(std::string_view s);
  void map_header(uint32_t count);
  void array_header(uint32_t count);
  // Bytes that are already one MessagePack value.
  void raw(std::string_view value) { out_.append(value); }

  // When set, the SAX root object gets one more member when it closes:
  // `key` with `value`, already MessagePack (the extension's config).
  void add_to_root(std::string_view key, std::string_view value) {
    root_key_ = key;
    root_value_ = value;
  }

  // rapidjson's Handler concept. False stops the reader: nested deeper
  // than the fixed stack allows.
  bool Null() { return nil(), true; }
  bool Bool(bool v) { return boolean(v), true; }
  bool Int(int v) { return integer(v), true; }
  bool Uint(unsigned v) { return uinteger(v), true; }
  bool Int64(int64_t v) { return integer(v), true; }
  bool Uint64(uint64_t v) { return uinteger(v), true; }
  bool Double(double v) { return float64(v), true; }
  bool RawNumber(const char*, rapidjson::SizeType, bool) { return false; }  // not asked for
  bool String(const char* s, rapidjson::SizeType n, bool) { return str({s, n}), true; }
  bool Key(const char* s, rapidjson::SizeType n, bool) { return str({s, n}), true; }
  bool StartObject() { return open(0xdf); }
  bool EndObject(rapidjson::SizeType count);
  bool StartArray() { return open(0xdd); }
  bool EndArray(rapidjson::SizeType count) { return close(count), true; }

 private:
  bool open(uint8_t lead);
  void close(uint32_t count);

  std::string& out_;
  std::array<size_t, 257> open_{};  // where each open container's count goes
  int depth_ = 0;
  std::string_view root_key_, root_value_;
};

// A document's value as MessagePack, smallest forms (counts are known).
void pack_value(const rapidjson::Value& value, MsgpackWriter& writer);

}  // namespace kiln::base
