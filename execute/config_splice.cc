#include "execute/config_splice.h"

#include <cstring>

namespace kiln::execute {

ConfigSplice::ConfigSplice(std::span<const uint8_t> input, std::string_view config_json) : config_(config_json) {
  std::string_view text(reinterpret_cast<const char*>(input.data()), input.size());
  body_ = text.substr(0, text.find_last_of('}'));
  // An empty object ("{ }") takes the member without a comma.
  size_t last = body_.find_last_not_of(" \t\r\n");
  bool empty = last == std::string_view::npos || body_[last] == '{';
  member_ = empty ? std::string_view("\"config\":") : std::string_view(",\"config\":");
}

void ConfigSplice::write_to(uint8_t* out) const {
  std::memcpy(out, body_.data(), body_.size());
  out += body_.size();
  std::memcpy(out, member_.data(), member_.size());
  out += member_.size();
  std::memcpy(out, config_.data(), config_.size());
  out[config_.size()] = '}';
}

}  // namespace kiln::execute
