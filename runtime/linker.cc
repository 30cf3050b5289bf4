#include "kiln/linker.h"

#include "kiln/instance.h"
#include "kiln/module.h"

namespace kiln {

void Linker::define(std::string module, std::string name, HostFunc func) {
  owners_.erase(std::pair<std::string, std::string>(module, name));
  definitions_.insert_or_assign({std::move(module), std::move(name)}, Definition(std::move(func)));
}

void Linker::define(std::string module, std::string name, Extern item) {
  owners_.erase(std::pair<std::string, std::string>(module, name));
  definitions_.insert_or_assign({std::move(module), std::move(name)}, Definition(item));
}

void Linker::define_instance(const std::string& module, const Instance& instance) {
  for (const ExportDesc& desc : instance.module().info().exports) {
    if (auto item = instance.get_export(desc.name)) {
      define(module, desc.name, *item);
      owners_.insert_or_assign({module, desc.name}, &instance.store());
    }
  }
}

const Store* Linker::owner(std::string_view module, std::string_view name) const {
  auto it = owners_.find(std::pair<std::string, std::string>(module, name));
  return it == owners_.end() ? nullptr : it->second;
}

const Linker::Definition* Linker::find(std::string_view module, std::string_view name) const {
  auto it = definitions_.find(std::pair<std::string, std::string>(module, name));
  return it == definitions_.end() ? nullptr : &it->second;
}

}  // namespace kiln
