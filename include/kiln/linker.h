// Linker: what imports resolve to, by "module.name". Host functions are
// defined once and serve every instantiation; Externs of a Store (exports of
// another instance, memories made by the host) serve instantiations in that
// Store only.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <variant>

#include "kiln/extern.h"
#include "kiln/host_function.h"

namespace kiln {

class Instance;
class Store;

class Linker {
 public:
  using Definition = std::variant<HostFunc, Extern>;

  void define(std::string module, std::string name, HostFunc func);
  void define(std::string module, std::string name, Extern item);
  // Every export of `instance` becomes importable as module.<export name>,
  // in instantiations into the instance's own Store (another Store's
  // instantiate refuses them: ErrorKind::Link).
  void define_instance(const std::string& module, const Instance& instance);

  const Definition* find(std::string_view module, std::string_view name) const;
  // The Store an Extern definition belongs to, when the Linker knows it
  // (define_instance); null for host functions and bare Externs.
  const Store* owner(std::string_view module, std::string_view name) const;

 private:
  std::map<std::pair<std::string, std::string>, Definition, std::less<>> definitions_;
  std::map<std::pair<std::string, std::string>, const Store*, std::less<>> owners_;
};

}  // namespace kiln
