#include "rt/func_types.h"

#include <map>
#include <mutex>
#include <vector>

namespace kiln::rt {
namespace {

// The params, a separator no wasm_rt_type_t equals, then the results: equal
// keys are equal signatures.
using Signature = std::vector<int>;

struct Registry {
  std::mutex mutex;
  std::map<Signature, uint32_t> ids;
};

Registry& registry() {
  static auto* registry = new Registry;  // never destroyed: ids outlive statics
  return *registry;
}

}  // namespace

uint32_t register_func_type(std::span<const wasm_rt_type_t> params, std::span<const wasm_rt_type_t> results) {
  Signature key(params.begin(), params.end());
  key.push_back(-1);
  key.insert(key.end(), results.begin(), results.end());
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  auto [it, inserted] = r.ids.try_emplace(std::move(key), static_cast<uint32_t>(r.ids.size() + 1));
  return it->second;
}

}  // namespace kiln::rt
