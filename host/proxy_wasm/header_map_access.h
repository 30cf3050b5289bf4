// What a filter's header-map calls read and change. The host functions
// work through this interface, so that a proxy can hand the filter its own
// headers in place (kiln_ats.so does, on Traffic Server's) rather than a
// copy to be read back; VectorHeaderMap is the plain one, over a HeaderMap.
//
// Names are compared without case, as HTTP says. Pseudo-headers (":path",
// ":method", ":authority", ":scheme", ":status") are entries like any
// other in a VectorHeaderMap; a proxy's own view maps them to its request
// and status lines.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kiln::host::proxy_wasm {

using HeaderMap = std::vector<std::pair<std::string, std::string>>;

class HeaderMapAccess {
 public:
  virtual ~HeaderMapAccess() = default;
  // How many entries (pseudo-headers included).
  virtual size_t count() const = 0;
  // The first value of `name`, or nullopt.
  virtual std::optional<std::string> get(std::string_view name) const = 0;
  virtual void add(std::string_view name, std::string_view value) = 0;
  // Leaves one value for `name`: the first one's place takes it, later
  // ones go; without one, it is added.
  virtual void replace(std::string_view name, std::string_view value) = 0;
  // Every value of `name`.
  virtual void remove(std::string_view name) = 0;
  virtual HeaderMap pairs() const = 0;
  virtual void set_pairs(HeaderMap pairs) = 0;
};

bool same_header_name(std::string_view a, std::string_view b);

class VectorHeaderMap final : public HeaderMapAccess {
 public:
  explicit VectorHeaderMap(HeaderMap& map) : map_(map) {}
  size_t count() const override { return map_.size(); }
  std::optional<std::string> get(std::string_view name) const override;
  void add(std::string_view name, std::string_view value) override;
  void replace(std::string_view name, std::string_view value) override;
  void remove(std::string_view name) override;
  HeaderMap pairs() const override { return map_; }
  void set_pairs(HeaderMap pairs) override { map_ = std::move(pairs); }

 private:
  HeaderMap& map_;
};

}  // namespace kiln::host::proxy_wasm
