// ModuleInfo's helpers (include/kiln/module_info.h). In base/, below wasm/:
// the decoder fills ModuleInfo, and the run-time library, which has no
// decoder, reads it from the module index.
#include "kiln/module_info.h"

namespace kiln {

std::vector<std::string> FeatureSet::names() const {
  std::vector<std::string> result;
  auto add = [&result](bool present, const char* name) {
    if (present) result.emplace_back(name);
  };
  add(simd, "simd");
  add(threads, "threads");
  add(tail_call, "tail-call");
  add(memory64, "memory64");
  add(multi_memory, "multi-memory");
  add(bulk_memory, "bulk-memory");
  add(reference_types, "reference-types");
  add(multi_value, "multi-value");
  add(sign_extension, "sign-extension");
  add(saturating_float_to_int, "saturating-float-to-int");
  return result;
}

const ExportDesc* ModuleInfo::find_export(std::string_view name) const {
  for (const ExportDesc& desc : exports) {
    if (desc.name == name) return &desc;
  }
  return nullptr;
}

}  // namespace kiln

