#include "execute/lineup.h"

#include <algorithm>

namespace kiln::execute {

bool runs_before(const registry::Extension& a, const registry::Extension& b) {
  if (a.priority != b.priority) return a.priority > b.priority;
  if (a.deployed_at != b.deployed_at) return a.deployed_at > b.deployed_at;
  if ((a.scope == "*") != (b.scope == "*")) return b.scope == "*";
  return a.name < b.name;
}

std::map<std::string, std::vector<const registry::Extension*>> lineups(
    const registry::ExtensionPoint& ep, const std::vector<const registry::Extension*>& bound) {
  std::map<std::string, std::vector<const registry::Extension*>> by_scope;
  for (const registry::Extension* ext : bound) by_scope[ext->scope].push_back(ext);
  const bool single = ep.combine_mode == registry::CombineMode::Single;
  const auto star = by_scope.find("*");
  for (auto& [scope, exts] : by_scope) {
    if (!single && scope != "*" && star != by_scope.end()) {
      exts.insert(exts.end(), star->second.begin(), star->second.end());
    }
    std::sort(exts.begin(), exts.end(), [](auto* a, auto* b) { return runs_before(*a, *b); });
    if (single) exts.resize(1);
  }
  return by_scope;
}

}  // namespace kiln::execute
