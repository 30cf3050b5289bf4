#include "base/msgpack_reader.h"

namespace kiln::base::msgpack_detail {

std::string pointer_of(std::span<const Frame> frames) {
  std::string pointer;
  for (const Frame& frame : frames) {
    if (!frame.map) {
      pointer += '/' + std::to_string(frame.index);
      continue;
    }
    if (!frame.key_read) break;  // at a key: the map itself is where
    pointer += '/';
    for (char c : frame.key) {
      if (c == '~') pointer += "~0";
      else if (c == '/') pointer += "~1";
      else pointer += c;
    }
  }
  return pointer;
}

Error fault(ErrorKind kind, std::string_view what, std::span<const Frame> frames, size_t offset,
            const std::string& why) {
  ErrorLocation where;
  where.json_pointer = pointer_of(frames);
  where.has_json_pointer = true;
  where.offset = offset;
  const std::string at = where.json_pointer.empty() ? "" : where.json_pointer + ": ";
  return make_error(kind, std::string(what) + ": " + at + why + " (MessagePack, at byte " + std::to_string(offset) + ")",
                    std::move(where));
}

const char* type_name(uint8_t lead) {
  if (lead <= 0x7f || lead >= 0xe0 || (lead >= 0xcc && lead <= 0xd3)) return "integer";
  if (lead <= 0x8f || lead == 0xde || lead == 0xdf) return "map";
  if (lead <= 0x9f || lead == 0xdc || lead == 0xdd) return "array";
  if (lead <= 0xbf || (lead >= 0xd9 && lead <= 0xdb)) return "string";
  switch (lead) {
    case 0xc0: return "nil";
    case 0xc2: case 0xc3: return "boolean";
    case 0xc4: case 0xc5: case 0xc6: return "binary";
    case 0xca: case 0xcb: return "float";
    case 0xc1: return "never-used (0xc1)";
    default: return "extension";  // ext 8/16/32, fixext 1..16
  }
}

}  // namespace kiln::base::msgpack_detail
