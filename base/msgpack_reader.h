// read_msgpack: walks one MessagePack value in one pass and reports it to
// a handler as RapidJSON's SAX events (Null, Bool, Int64, Uint64, Double,
// String, StartObject, Key, EndObject, StartArray, EndArray). So one reader
// serves every use: a rapidjson::Writer makes JSON text of it, a
// rapidjson::Document a document for the schema check, a MsgpackWriter
// MessagePack again, and a handler that only counts checks it.
//
// Hand-written rather than msgpack-cxx's unpacker, which builds a
// zone-allocated object tree before anything can be read (an intermediate
// document), or its visitor parser, which keeps its stack in a vector and
// reports errors by throwing: this reader allocates nothing, keeps its
// stack in a fixed array, and knows where it is, so a refusal names the
// JSON Pointer of the value and the byte offset.
//
// Values with no JSON meaning are refused: bin, ext (fixext included),
// map keys that are not strings, NaN and infinite floats, the unused
// 0xc1; so are truncated data and bytes after the one value.
#pragma once

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>

#include "kiln/error.h"
#include "kiln/result.h"

namespace kiln::base {

// Deeper than any real document; bounds the reader's fixed stack.
inline constexpr int kMsgpackMaxDepth = 256;

namespace msgpack_detail {

// One open map or array.
struct Frame {
  uint32_t count = 0;  // elements, or members of a map
  uint32_t index = 0;  // the element (or member) being read
  bool map = false;
  bool key_read = false;  // a map's member: its key is read, its value is next
  std::string_view key;
};

// "/cart/lines/0": where the reader is, for an error (RFC 6901 escapes).
std::string pointer_of(std::span<const Frame> frames);
Error fault(ErrorKind kind, std::string_view what, std::span<const Frame> frames, size_t offset,
            const std::string& why);
const char* type_name(uint8_t lead);

inline uint64_t load_be(const uint8_t* p, int n) {
  uint64_t v = 0;
  for (int i = 0; i < n; ++i) v = (v << 8) | p[i];
  return v;
}

}  // namespace msgpack_detail

// Reads `bytes` (exactly one value) into `handler`. `kind` is what a
// refusal reports (InvalidInput for a caller's data, InvalidOutput for a
// guest's); `what` starts its message ("input", "output"). Strings and keys
// are handed over with copy = `copy_strings`: false lets a Document point
// into `bytes`, which must then outlive it.
// Hot path: no allocation (until an error is described), no recursion.
template <class Handler>
Result<void> read_msgpack(std::span<const uint8_t> bytes, Handler& handler, ErrorKind kind, std::string_view what,
                          bool copy_strings = true) {
  using msgpack_detail::Frame;
  Frame frames[kMsgpackMaxDepth];
  int depth = 0;
  const uint8_t* data = bytes.data();
  const size_t size = bytes.size();
  size_t pos = 0;
  auto refuse = [&](size_t at, const std::string& why) {
    return msgpack_detail::fault(kind, what, std::span<const Frame>(frames, depth), at, why);
  };
  auto stopped = [&](size_t at) { return refuse(at, "the value could not be taken (nested too deep?)"); };

  for (;;) {
    // Close every container that is complete; a closed one completes its parent's element.
    while (depth > 0 && frames[depth - 1].index == frames[depth - 1].count) {
      Frame& done = frames[depth - 1];
      bool ok = done.map ? handler.EndObject(done.count) : handler.EndArray(done.count);
      if (!ok) return stopped(pos);
      --depth;
      if (depth > 0) {
        frames[depth - 1].key_read = false;
        ++frames[depth - 1].index;
      }
    }
    if (depth == 0 && pos > 0) break;
    if (pos >= size) return refuse(pos, "truncated: the data ends inside a value");

    const size_t at = pos;
    const uint8_t lead = data[pos++];
    const bool is_key = depth > 0 && frames[depth - 1].map && !frames[depth - 1].key_read;
    // Lengths of strings and containers, and the width of scalars.
    uint64_t length = 0;
    int width = 0;
    enum { Scalar, Str, Map, Array } shape = Scalar;
    if (lead <= 0x7f || lead >= 0xe0) {
      shape = Scalar;
    } else if (lead <= 0x8f) {
      shape = Map, length = lead & 0x0f;
    } else if (lead <= 0x9f) {
      shape = Array, length = lead & 0x0f;
    } else if (lead <= 0xbf) {
      shape = Str, length = lead & 0x1f;
    } else if (lead == 0xd9 || lead == 0xda || lead == 0xdb) {
      width = lead == 0xd9 ? 1 : lead == 0xda ? 2 : 4;
      shape = Str;
    } else if (lead == 0xdc || lead == 0xdd) {
      width = lead == 0xdc ? 2 : 4;
      shape = Array;
    } else if (lead == 0xde || lead == 0xdf) {
      width = lead == 0xde ? 2 : 4;
      shape = Map;
    }
    if (width > 0) {
      if (size - pos < static_cast<size_t>(width)) return refuse(at, "truncated: the data ends inside a length");
      length = msgpack_detail::load_be(data + pos, width);
      pos += width;
    }
    if (is_key && shape != Str) {
      return refuse(at, std::string("a map key that is not a string (") + msgpack_detail::type_name(lead) +
                            ") has no JSON form");
    }

    if (shape == Str) {
      if (size - pos < length) return refuse(at, "truncated: a string runs past the end of the data");
      const char* s = reinterpret_cast<const char*>(data + pos);
      pos += length;
      const auto n = static_cast<uint32_t>(length);
      if (is_key) {
        Frame& map = frames[depth - 1];
        map.key = std::string_view(s, length);
        map.key_read = true;
        if (!handler.Key(s, n, copy_strings)) return stopped(at);
        continue;
      }
      if (!handler.String(s, n, copy_strings)) return stopped(at);
    } else if (shape == Map || shape == Array) {
      if (depth == kMsgpackMaxDepth) {
        return refuse(at, "nested deeper than " + std::to_string(kMsgpackMaxDepth));
      }
      // Each element takes a byte at least: a count the data cannot hold is truncation, found now.
      if (length > size - pos) return refuse(at, "truncated: a container claims more elements than the data holds");
      if (!(shape == Map ? handler.StartObject() : handler.StartArray())) return stopped(at);
      frames[depth++] = Frame{static_cast<uint32_t>(length), 0, shape == Map, false, {}};
      continue;  // completed when it closes
    } else {
      // Scalars.
      bool ok = true;
      auto need = [&](size_t n) { return size - pos >= n; };
      if (lead <= 0x7f) {
        ok = handler.Uint64(lead);
      } else if (lead >= 0xe0) {
        ok = handler.Int64(static_cast<int8_t>(lead));
      } else {
        switch (lead) {
          case 0xc0: ok = handler.Null(); break;
          case 0xc2: ok = handler.Bool(false); break;
          case 0xc3: ok = handler.Bool(true); break;
          case 0xcc: case 0xcd: case 0xce: case 0xcf: {
            const int n = 1 << (lead - 0xcc);
            if (!need(n)) return refuse(at, "truncated: the data ends inside an integer");
            ok = handler.Uint64(msgpack_detail::load_be(data + pos, n));
            pos += n;
            break;
          }
          case 0xd0: case 0xd1: case 0xd2: case 0xd3: {
            const int n = 1 << (lead - 0xd0);
            if (!need(n)) return refuse(at, "truncated: the data ends inside an integer");
            uint64_t raw = msgpack_detail::load_be(data + pos, n);
            pos += n;
            // Sign-extend from n bytes.
            const int shift = 64 - 8 * n;
            const int64_t v = static_cast<int64_t>(raw << shift) >> shift;
            ok = v >= 0 ? handler.Uint64(static_cast<uint64_t>(v)) : handler.Int64(v);
            break;
          }
          case 0xca: case 0xcb: {
            const int n = lead == 0xca ? 4 : 8;
            if (!need(n)) return refuse(at, "truncated: the data ends inside a float");
            uint64_t raw = msgpack_detail::load_be(data + pos, n);
            pos += n;
            double v = n == 4 ? static_cast<double>(std::bit_cast<float>(static_cast<uint32_t>(raw)))
                              : std::bit_cast<double>(raw);
            if (!std::isfinite(v)) return refuse(at, "a NaN or infinite float has no JSON form");
            ok = handler.Double(v);
            break;
          }
          default:
            return refuse(at, std::string("a ") + msgpack_detail::type_name(lead) + " value has no JSON form");
        }
      }
      if (!ok) return stopped(at);
    }
    // A scalar or string value is complete.
    if (depth > 0) {
      frames[depth - 1].key_read = false;
      ++frames[depth - 1].index;
    } else {
      break;
    }
  }
  if (pos != size) {
    return refuse(pos, std::to_string(size - pos) + " bytes after the MessagePack value");
  }
  return {};
}

}  // namespace kiln::base
