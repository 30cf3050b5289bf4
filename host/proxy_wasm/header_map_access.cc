#include "host/proxy_wasm/header_map_access.h"

#include <strings.h>

#include <algorithm>

namespace kiln::host::proxy_wasm {

bool same_header_name(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

std::optional<std::string> VectorHeaderMap::get(std::string_view name) const {
  for (const auto& [key, value] : map_) {
    if (same_header_name(key, name)) return value;
  }
  return std::nullopt;
}

void VectorHeaderMap::add(std::string_view name, std::string_view value) {
  map_.emplace_back(std::string(name), std::string(value));
}

void VectorHeaderMap::replace(std::string_view name, std::string_view value) {
  auto named = [&](const auto& pair) { return same_header_name(pair.first, name); };
  auto found = std::find_if(map_.begin(), map_.end(), named);
  if (found == map_.end()) {
    add(name, value);
    return;
  }
  found->second = std::string(value);
  map_.erase(std::remove_if(std::next(found), map_.end(), named), map_.end());
}

void VectorHeaderMap::remove(std::string_view name) {
  map_.erase(std::remove_if(map_.begin(), map_.end(), [&](const auto& pair) { return same_header_name(pair.first, name); }),
             map_.end());
}

}  // namespace kiln::host::proxy_wasm
