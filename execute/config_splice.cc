#include "execute/config_splice.h"

#include <algorithm>
#include <cstring>

namespace kiln::execute {

ConfigSplice::ConfigSplice(std::span<const uint8_t> input, std::string_view config_json)
    : config_(config_json), suffix_("}") {
  std::string_view text(reinterpret_cast<const char*>(input.data()), input.size());
  body_ = text.substr(0, text.find_last_of('}'));
  // An empty object ("{ }") takes the member without a comma.
  size_t last = body_.find_last_not_of(" \t\r\n");
  bool empty = last == std::string_view::npos || body_[last] == '{';
  member_ = empty ? std::string_view("\"config\":") : std::string_view(",\"config\":");
}

ConfigSplice ConfigSplice::msgpack(std::span<const uint8_t> input, std::string_view config_msgpack) {
  ConfigSplice splice;
  // The map's header: fixmap, map16 or map32 (check_input saw a map).
  const uint8_t lead = input.empty() ? 0x80 : input[0];
  uint64_t count = 0;
  size_t length = 1;
  if (lead >= 0x80 && lead <= 0x8f) {
    count = lead & 0x0f;
  } else if (lead == 0xde && input.size() >= 3) {
    count = (uint64_t{input[1]} << 8) | input[2];
    length = 3;
  } else if (lead == 0xdf && input.size() >= 5) {
    count = (uint64_t{input[1]} << 24) | (uint64_t{input[2]} << 16) | (uint64_t{input[3]} << 8) | input[4];
    length = 5;
  }
  const uint64_t next = count + 1;
  auto& h = splice.header_;
  if (next <= 15) {
    h[0] = static_cast<uint8_t>(0x80 | next);
    splice.header_length_ = 1;
  } else if (next <= 0xffff) {
    h = {0xde, static_cast<uint8_t>(next >> 8), static_cast<uint8_t>(next), 0, 0};
    splice.header_length_ = 3;
  } else {
    h = {0xdf, static_cast<uint8_t>(next >> 24), static_cast<uint8_t>(next >> 16), static_cast<uint8_t>(next >> 8),
         static_cast<uint8_t>(next)};
    splice.header_length_ = 5;
  }
  length = std::min(length, input.size());
  splice.body_ = std::string_view(reinterpret_cast<const char*>(input.data()) + length, input.size() - length);
  splice.member_ = std::string_view("\xa6" "config", 7);
  splice.config_ = config_msgpack;
  return splice;
}

ConfigSplice ConfigSplice::whole(std::string_view guest_input) {
  ConfigSplice splice;
  splice.body_ = guest_input;
  return splice;
}

void ConfigSplice::write_to(uint8_t* out) const {
  // memcpy from a null pointer is undefined even for no bytes: skip empty parts.
  auto put = [&out](const void* from, size_t n) {
    if (n == 0) return;
    std::memcpy(out, from, n);
    out += n;
  };
  put(header_.data(), header_length_);
  put(body_.data(), body_.size());
  put(member_.data(), member_.size());
  put(config_.data(), config_.size());
  put(suffix_.data(), suffix_.size());
}

}  // namespace kiln::execute
