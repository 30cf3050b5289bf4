// ConfigSplice: the input object with the extension's config added as its
// last member, `"config": <config>`, which both ABIs hand the guest
// (docs/abi.md). Planned once, written in one pass wherever the caller
// wants it: a string for wasi-command's stdin, guest memory for
// kiln-reactor (the one copy of the input). In JSON the input's closing
// brace moves after the member; in MessagePack the map's count grows by
// one (its header rewritten, maybe wider) and the member is appended.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string_view>

namespace kiln::execute {

class ConfigSplice {
 public:
  // `input` is known to be a JSON object (check_input); `config_json` is
  // compact JSON. Both must outlive the splice.
  ConfigSplice(std::span<const uint8_t> input, std::string_view config_json);

  // `input` is known to be one MessagePack map (check_input);
  // `config_msgpack` is the config as MessagePack. Both must outlive it.
  static ConfigSplice msgpack(std::span<const uint8_t> input, std::string_view config_msgpack);
  // Bytes that already are the guest's whole input (converted from the
  // caller's format with the config in): written as they are.
  static ConfigSplice whole(std::string_view guest_input);

  // Bytes write_to() writes.
  uint64_t size() const {
    return header_length_ + body_.size() + member_.size() + config_.size() + suffix_.size();
  }
  // Writes size() bytes at `out`. Hot path: four memcpys, no allocation.
  void write_to(uint8_t* out) const;

 private:
  ConfigSplice() = default;

  std::array<uint8_t, 5> header_{};  // MessagePack: the map's new header
  uint8_t header_length_ = 0;
  std::string_view body_;    // JSON: the input without its closing brace; MessagePack: the members
  std::string_view member_;  // `,"config":` (no comma for an empty object), or MessagePack's "config" key
  std::string_view config_;
  std::string_view suffix_;  // JSON: "}"
};

}  // namespace kiln::execute
