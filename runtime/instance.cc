#include "kiln/instance.h"

#include "kiln/module.h"
#include "kiln/store.h"
#include "runtime/backend.h"

namespace kiln {

std::optional<Extern> Instance::get_export(std::string_view name) const {
  return store_->backend_store().instance_export(store_->backend_instance(index_), name);
}

CallResult Instance::call(std::string_view export_name, std::span<const Value> args) const {
  auto func = get_export(export_name);
  if (!func || func->kind != ExternKind::Func) {
    CallResult result;
    result.status = CallResult::Status::Failed;
    result.error = module().name() + ": no exported function '" + std::string(export_name) + "'";
    return result;
  }
  CallResult result = store_->call(*func, args);
  result.memory_peak_bytes = memory().size();
  return result;
}

std::span<uint8_t> Instance::memory() const {
  auto& backend = store_->backend_store();
  auto memory = backend.instance_memory(store_->backend_instance(index_));
  return memory ? backend.memory_data(*memory) : std::span<uint8_t>{};
}

const Module& Instance::module() const { return store_->instance_module(index_); }

}  // namespace kiln
