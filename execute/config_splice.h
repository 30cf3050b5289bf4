// ConfigSplice: the input object with the extension's config added as its
// last member, `"config": <config>`, which both ABIs hand the guest
// (docs/abi.md). Planned once, written in one pass wherever the caller
// wants it: a string for wasi-command's stdin, guest memory for
// kiln-reactor (the one copy of the input).
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace kiln::execute {

class ConfigSplice {
 public:
  // `input` is known to be a JSON object (check_input); `config_json` is
  // compact JSON. Both must outlive the splice.
  ConfigSplice(std::span<const uint8_t> input, std::string_view config_json);

  // Bytes write_to() writes.
  uint64_t size() const { return body_.size() + member_.size() + config_.size() + 1; }
  // Writes size() bytes at `out`. Hot path: three memcpys, no allocation.
  void write_to(uint8_t* out) const;

 private:
  std::string_view body_;    // the input without its closing brace
  std::string_view member_;  // `,"config":`, or without the comma for an empty object
  std::string_view config_;
};

}  // namespace kiln::execute
