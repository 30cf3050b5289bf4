#include "base/msgpack_writer.h"

#include <bit>

namespace kiln::base {
namespace {

void put_be(std::string& out, uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

void put_header(std::string& out, uint32_t count, uint8_t fix, uint8_t lead16) {
  if (count <= 15) {
    out.push_back(static_cast<char>(fix | count));
  } else if (count <= 0xffff) {
    out.push_back(static_cast<char>(lead16));
    put_be(out, count, 2);
  } else {
    out.push_back(static_cast<char>(lead16 + 1));
    put_be(out, count, 4);
  }
}

}  // namespace

void MsgpackWriter::uinteger(uint64_t v) {
  if (v <= 0x7f) {
    out_.push_back(static_cast<char>(v));
  } else if (v <= 0xff) {
    out_.push_back(static_cast<char>(0xcc));
    put_be(out_, v, 1);
  } else if (v <= 0xffff) {
    out_.push_back(static_cast<char>(0xcd));
    put_be(out_, v, 2);
  } else if (v <= 0xffffffff) {
    out_.push_back(static_cast<char>(0xce));
    put_be(out_, v, 4);
  } else {
    out_.push_back(static_cast<char>(0xcf));
    put_be(out_, v, 8);
  }
}

void MsgpackWriter::integer(int64_t v) {
  if (v >= 0) return uinteger(static_cast<uint64_t>(v));
  if (v >= -32) {
    out_.push_back(static_cast<char>(v));
  } else if (v >= INT8_MIN) {
    out_.push_back(static_cast<char>(0xd0));
    put_be(out_, static_cast<uint8_t>(v), 1);
  } else if (v >= INT16_MIN) {
    out_.push_back(static_cast<char>(0xd1));
    put_be(out_, static_cast<uint16_t>(v), 2);
  } else if (v >= INT32_MIN) {
    out_.push_back(static_cast<char>(0xd2));
    put_be(out_, static_cast<uint32_t>(v), 4);
  } else {
    out_.push_back(static_cast<char>(0xd3));
    put_be(out_, static_cast<uint64_t>(v), 8);
  }
}

void MsgpackWriter::float64(double v) {
  out_.push_back(static_cast<char>(0xcb));
  put_be(out_, std::bit_cast<uint64_t>(v), 8);
}

void MsgpackWriter::str(std::string_view s) {
  const uint64_t n = s.size();
  if (n <= 31) {
    out_.push_back(static_cast<char>(0xa0 | n));
  } else if (n <= 0xff) {
    out_.push_back(static_cast<char>(0xd9));
    put_be(out_, n, 1);
  } else if (n <= 0xffff) {
    out_.push_back(static_cast<char>(0xda));
    put_be(out_, n, 2);
  } else {
    out_.push_back(static_cast<char>(0xdb));
    put_be(out_, n, 4);
  }
  out_.append(s);
}

void MsgpackWriter::map_header(uint32_t count) { put_header(out_, count, 0x80, 0xde); }
void MsgpackWriter::array_header(uint32_t count) { put_header(out_, count, 0x90, 0xdc); }

bool MsgpackWriter::open(uint8_t lead) {
  if (depth_ == static_cast<int>(open_.size())) return false;
  out_.push_back(static_cast<char>(lead));
  open_[depth_++] = out_.size();
  out_.append(4, '\0');
  return true;
}

void MsgpackWriter::close(uint32_t count) {
  const size_t at = open_[--depth_];
  for (int i = 0; i < 4; ++i) out_[at + i] = static_cast<char>((count >> (8 * (3 - i))) & 0xff);
}

bool MsgpackWriter::EndObject(rapidjson::SizeType count) {
  if (depth_ == 1 && !root_key_.empty()) {
    str(root_key_);
    raw(root_value_);
    ++count;
  }
  close(count);
  return true;
}

void pack_value(const rapidjson::Value& v, MsgpackWriter& w) {
  switch (v.GetType()) {
    case rapidjson::kNullType: return w.nil();
    case rapidjson::kFalseType: return w.boolean(false);
    case rapidjson::kTrueType: return w.boolean(true);
    case rapidjson::kStringType: return w.str({v.GetString(), v.GetStringLength()});
    case rapidjson::kNumberType:
      if (v.IsUint64()) return w.uinteger(v.GetUint64());
      if (v.IsInt64()) return w.integer(v.GetInt64());
      return w.float64(v.GetDouble());
    case rapidjson::kArrayType:
      w.array_header(v.Size());
      for (const rapidjson::Value& item : v.GetArray()) pack_value(item, w);
      return;
    case rapidjson::kObjectType:
      w.map_header(v.MemberCount());
      for (const auto& member : v.GetObject()) {
        w.str({member.name.GetString(), member.name.GetStringLength()});
        pack_value(member.value, w);
      }
      return;
  }
}

}  // namespace kiln::base
