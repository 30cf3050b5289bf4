#include "server/msgpack_json.h"

#include <cmath>

#define MSGPACK_NO_BOOST
#include <msgpack.hpp>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace kiln::server {
namespace {

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

Error refuse(const std::string& message) { return Error{"MessagePack body: " + message, ErrorKind::InvalidArgument, {}}; }

// Depth-limited, as the JSON parser's inputs are by size.
Result<void> write_json(const msgpack::object& o, JsonWriter& w, int depth) {
  if (depth > 200) return refuse("nested over 200 deep");
  switch (o.type) {
    case msgpack::type::NIL: w.Null(); return {};
    case msgpack::type::BOOLEAN: w.Bool(o.via.boolean); return {};
    case msgpack::type::POSITIVE_INTEGER: w.Uint64(o.via.u64); return {};
    case msgpack::type::NEGATIVE_INTEGER: w.Int64(o.via.i64); return {};
    case msgpack::type::FLOAT32:
    case msgpack::type::FLOAT64:
      if (!std::isfinite(o.via.f64)) return refuse("a float that is not finite");
      w.Double(o.via.f64);
      return {};
    case msgpack::type::STR: w.String(o.via.str.ptr, o.via.str.size); return {};
    case msgpack::type::ARRAY:
      w.StartArray();
      for (uint32_t i = 0; i < o.via.array.size; ++i) {
        if (auto r = write_json(o.via.array.ptr[i], w, depth + 1); !r) return r;
      }
      w.EndArray();
      return {};
    case msgpack::type::MAP:
      w.StartObject();
      for (uint32_t i = 0; i < o.via.map.size; ++i) {
        const msgpack::object_kv& kv = o.via.map.ptr[i];
        if (kv.key.type != msgpack::type::STR) return refuse("a map key that is not a string");
        w.Key(kv.key.via.str.ptr, kv.key.via.str.size);
        if (auto r = write_json(kv.val, w, depth + 1); !r) return r;
      }
      w.EndObject();
      return {};
    default: return refuse("binary and extension types have no JSON form");
  }
}

void pack_value(const rapidjson::Value& v, msgpack::packer<msgpack::sbuffer>& p) {
  if (v.IsNull()) {
    p.pack_nil();
  } else if (v.IsBool()) {
    v.GetBool() ? p.pack_true() : p.pack_false();
  } else if (v.IsUint64()) {
    p.pack_uint64(v.GetUint64());
  } else if (v.IsInt64()) {
    p.pack_int64(v.GetInt64());
  } else if (v.IsNumber()) {
    p.pack_double(v.GetDouble());
  } else if (v.IsString()) {
    p.pack_str(v.GetStringLength());
    p.pack_str_body(v.GetString(), v.GetStringLength());
  } else if (v.IsArray()) {
    p.pack_array(v.Size());
    for (const auto& item : v.GetArray()) pack_value(item, p);
  } else {
    p.pack_map(v.MemberCount());
    for (auto it = v.MemberBegin(); !(it == v.MemberEnd()); ++it) {
      p.pack_str(it->name.GetStringLength());
      p.pack_str_body(it->name.GetString(), it->name.GetStringLength());
      pack_value(it->value, p);
    }
  }
}

}  // namespace

Result<std::string> msgpack_to_json(std::string_view bytes) {
  try {
    std::size_t offset = 0;
    // No count may exceed the bytes there are: a 5-byte body cannot make
    // the unpacker allocate room for 2^32 elements.
    std::size_t n = bytes.size();
    msgpack::unpack_limit limit(n, n, n, n, n, 200);
    msgpack::object_handle handle = msgpack::unpack(bytes.data(), bytes.size(), offset, nullptr, nullptr, limit);
    if (offset != bytes.size()) return refuse("bytes after the first value");
    rapidjson::StringBuffer sb;
    JsonWriter w(sb);
    if (auto r = write_json(handle.get(), w, 0); !r) return r.error();
    return std::string(sb.GetString(), sb.GetSize());
  } catch (const std::exception& e) {
    return refuse(std::string("not MessagePack (") + e.what() + ")");
  }
}

Result<std::string> json_to_msgpack(std::string_view json) {
  rapidjson::Document doc;
  doc.Parse(json.data(), json.size());
  if (doc.HasParseError()) return Error{"not JSON", ErrorKind::Internal, {}};
  msgpack::sbuffer buffer;
  msgpack::packer<msgpack::sbuffer> packer(buffer);
  pack_value(doc, packer);
  return std::string(buffer.data(), buffer.size());
}

}  // namespace kiln::server
