#include "base/json_msgpack.h"

#include "base/msgpack_reader.h"
#include "base/msgpack_writer.h"

#include <cmath>
#include <span>

#define MSGPACK_NO_BOOST
#include <msgpack.hpp>
#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace kiln::base {

namespace {

// Deeper than any real document; keeps a hostile one off the C++ stack.
constexpr int kMaxDepth = 256;

class JsonFromMsgpack {
 public:
  JsonFromMsgpack(ErrorKind kind, std::string_view what) : kind_(kind), what_(what) {}

  Result<std::string> convert(const msgpack::object& root) {
    if (auto done = value(root, 0); !done) return done.error();
    return std::string(buffer_.GetString(), buffer_.GetSize());
  }

 private:
  Error refuse(const std::string& why) const { return make_error(kind_, std::string(what_) + ": " + why); }

  Result<void> value(const msgpack::object& o, int depth) {
    if (depth > kMaxDepth) return refuse("nested deeper than " + std::to_string(kMaxDepth));
    switch (o.type) {
      case msgpack::type::NIL: writer_.Null(); return {};
      case msgpack::type::BOOLEAN: writer_.Bool(o.via.boolean); return {};
      case msgpack::type::POSITIVE_INTEGER: writer_.Uint64(o.via.u64); return {};
      case msgpack::type::NEGATIVE_INTEGER: writer_.Int64(o.via.i64); return {};
      case msgpack::type::FLOAT32:
      case msgpack::type::FLOAT64:
        if (!std::isfinite(o.via.f64)) return refuse("a NaN or infinite float has no JSON form");
        writer_.Double(o.via.f64);
        return {};
      case msgpack::type::STR: writer_.String(o.via.str.ptr, o.via.str.size); return {};
      case msgpack::type::ARRAY: return array(o.via.array, depth);
      case msgpack::type::MAP: return map(o.via.map, depth);
      default: return refuse("a binary or extension value has no JSON form");
    }
  }

  Result<void> array(const msgpack::object_array& items, int depth) {
    writer_.StartArray();
    for (const msgpack::object& item : std::span(items.ptr, items.size)) {
      if (auto done = value(item, depth + 1); !done) return done;
    }
    writer_.EndArray();
    return {};
  }

  Result<void> map(const msgpack::object_map& entries, int depth) {
    writer_.StartObject();
    for (const msgpack::object_kv& entry : std::span(entries.ptr, entries.size)) {
      if (entry.key.type != msgpack::type::STR) return refuse("a map key that is not a string has no JSON form");
      writer_.Key(entry.key.via.str.ptr, entry.key.via.str.size);
      if (auto done = value(entry.val, depth + 1); !done) return done;
    }
    writer_.EndObject();
    return {};
  }

  ErrorKind kind_;
  std::string_view what_;
  rapidjson::StringBuffer buffer_;
  rapidjson::Writer<rapidjson::StringBuffer> writer_{buffer_};
};

using Packer = msgpack::packer<msgpack::sbuffer>;

void pack_string(const rapidjson::Value& s, Packer& packer) {
  packer.pack_str(s.GetStringLength());
  packer.pack_str_body(s.GetString(), s.GetStringLength());
}

// False when the document nests deeper than kMaxDepth.
bool pack(const rapidjson::Value& v, Packer& packer, int depth) {
  if (depth > kMaxDepth) return false;
  switch (v.GetType()) {
    case rapidjson::kNullType: packer.pack_nil(); return true;
    case rapidjson::kFalseType: packer.pack_false(); return true;
    case rapidjson::kTrueType: packer.pack_true(); return true;
    case rapidjson::kStringType: pack_string(v, packer); return true;
    case rapidjson::kNumberType:
      // Integers stay integers (the smallest MessagePack form), the rest doubles.
      if (v.IsUint64()) packer.pack_uint64(v.GetUint64());
      else if (v.IsInt64()) packer.pack_int64(v.GetInt64());
      else packer.pack_double(v.GetDouble());
      return true;
    case rapidjson::kArrayType:
      packer.pack_array(v.Size());
      for (const rapidjson::Value& item : v.GetArray()) {
        if (!pack(item, packer, depth + 1)) return false;
      }
      return true;
    case rapidjson::kObjectType:
      packer.pack_map(v.MemberCount());
      for (const auto& member : v.GetObject()) {
        pack_string(member.name, packer);
        if (!pack(member.value, packer, depth + 1)) return false;
      }
      return true;
  }
  return false;
}

}  // namespace

Result<std::string> msgpack_to_json(std::string_view bytes, ErrorKind kind, std::string_view what) {
  try {
    // No length in the data may claim more elements or bytes than the data
    // has: a few bytes cannot make the unpacker reserve gigabytes.
    const std::size_t n = bytes.size();
    msgpack::unpack_limit limit(n, n, n, n, n, kMaxDepth);
    std::size_t offset = 0;
    msgpack::object_handle handle = msgpack::unpack(bytes.data(), n, offset, nullptr, nullptr, limit);
    if (offset != n) {
      return make_error(kind, std::string(what) + ": " + std::to_string(n - offset) + " bytes after the MessagePack value");
    }
    return JsonFromMsgpack(kind, what).convert(handle.get());
  } catch (const std::exception& e) {
    return make_error(kind, std::string(what) + ": not MessagePack (" + e.what() + ")");
  }
}

Result<std::string> json_to_msgpack(std::string_view json, ErrorKind kind, std::string_view what) {
  rapidjson::Document document;
  // Iterative: a deeply nested text cannot exhaust the C++ stack while parsing.
  if (document.Parse<rapidjson::kParseIterativeFlag>(json.data(), json.size()).HasParseError()) {
    return make_error(kind, std::string(what) + ": not JSON (" + rapidjson::GetParseError_En(document.GetParseError()) +
                                " at byte " + std::to_string(document.GetErrorOffset()) + ")");
  }
  msgpack::sbuffer buffer;
  Packer packer(buffer);
  if (!pack(document, packer, 0)) {
    return make_error(kind, std::string(what) + ": nested deeper than " + std::to_string(kMaxDepth));
  }
  return std::string(buffer.data(), buffer.size());
}

}  // namespace kiln::base

// ---- the execute pipeline's conversions --------------------------------

namespace kiln::base {
namespace {

// rapidjson's output stream concept over a std::string the caller reuses.
struct StringSink {
  using Ch = char;
  std::string* out;
  void Put(char c) { out->push_back(c); }
  void Flush() {}
};

using SinkWriter = rapidjson::Writer<StringSink>;

// A rapidjson::Writer that adds one raw member when the root object closes.
class JsonWithExtra {
 public:
  JsonWithExtra(SinkWriter& w, std::string_view key, std::string_view value) : w_(w), key_(key), value_(value) {}
  bool Null() { return w_.Null(); }
  bool Bool(bool v) { return w_.Bool(v); }
  bool Int64(int64_t v) { return w_.Int64(v); }
  bool Uint64(uint64_t v) { return w_.Uint64(v); }
  bool Double(double v) { return w_.Double(v); }
  bool String(const char* s, rapidjson::SizeType n, bool copy) { return w_.String(s, n, copy); }
  bool Key(const char* s, rapidjson::SizeType n, bool copy) { return w_.Key(s, n, copy); }
  bool StartObject() { return ++depth_, w_.StartObject(); }
  bool EndObject(rapidjson::SizeType n) {
    if (depth_-- == 1 && !key_.empty()) {
      w_.Key(key_.data(), static_cast<rapidjson::SizeType>(key_.size()));
      w_.RawValue(value_.data(), value_.size(), rapidjson::kObjectType);
      ++n;
    }
    return w_.EndObject(n);
  }
  bool StartArray() { return ++depth_, w_.StartArray(); }
  bool EndArray(rapidjson::SizeType n) { return --depth_, w_.EndArray(n); }

 private:
  SinkWriter& w_;
  std::string_view key_, value_;
  int depth_ = 0;
};

// Feeds a Document's handler from the reader, for Document::Populate.
struct MsgpackSource {
  std::span<const uint8_t> bytes;
  ErrorKind kind;
  std::string_view what;
  Result<void>* outcome;
  template <class Handler>
  bool operator()(Handler& handler) {
    *outcome = read_msgpack(bytes, handler, kind, what, /*copy_strings=*/false);
    return outcome->ok();
  }
};

}  // namespace

Result<void> append_json_as_msgpack(std::string_view json, std::string& out, ErrorKind kind, std::string_view what,
                                    std::string_view extra_key, std::string_view extra_value) {
  MsgpackWriter writer(out);
  if (!extra_key.empty()) writer.add_to_root(extra_key, extra_value);
  rapidjson::Reader reader;
  rapidjson::MemoryStream stream(json.data(), json.size());
  rapidjson::ParseResult parsed = reader.Parse<rapidjson::kParseIterativeFlag>(stream, writer);
  if (parsed.IsError()) {
    ErrorLocation where;
    where.offset = parsed.Offset();
    const std::string why = parsed.Code() == rapidjson::kParseErrorTermination
                                ? "nested deeper than " + std::to_string(kMsgpackMaxDepth)
                                : rapidjson::GetParseError_En(parsed.Code());
    return make_error(kind, std::string(what) + " is not JSON: " + why + " at offset " + std::to_string(parsed.Offset()),
                      std::move(where));
  }
  return {};
}

Result<void> append_msgpack_as_json(std::span<const uint8_t> bytes, std::string& out, ErrorKind kind,
                                    std::string_view what, std::string_view extra_key, std::string_view extra_value) {
  StringSink sink{&out};
  SinkWriter writer(sink);
  JsonWithExtra handler(writer, extra_key, extra_value);
  return read_msgpack(bytes, handler, kind, what);
}

Result<void> msgpack_to_document(std::span<const uint8_t> bytes, rapidjson::Document& doc, ErrorKind kind,
                                 std::string_view what) {
  Result<void> outcome;
  MsgpackSource source{bytes, kind, what, &outcome};
  doc.Populate(source);
  return outcome;
}

void append_value_as_msgpack(const rapidjson::Value& value, std::string& out) {
  MsgpackWriter writer(out);
  pack_value(value, writer);
}

void append_value_as_json(const rapidjson::Value& value, std::string& out) {
  StringSink sink{&out};
  SinkWriter writer(sink);
  value.Accept(writer);
}

}  // namespace kiln::base
