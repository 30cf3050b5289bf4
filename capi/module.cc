// kiln_module_*: compiled modules (include/kiln/kiln.h, "Module").
#include <fstream>
#include <iterator>

#include "capi/internal.h"

using kiln::capi::fail;
using kiln::capi::guarded;

namespace {

kiln_status_t make_module(kiln_engine_t* engine, std::span<const uint8_t> bytes, std::string_view name,
                          kiln_module_t** out) {
  auto module = kiln::Module::compile(engine->engine, bytes, name);
  if (!module) return fail(module.error());
  auto* made = new kiln_module_t{std::move(*module), {}, {}, {}};
  for (const kiln::ImportDesc& import : made->module.info().imports) {
    made->import_modules.push_back(import.module);
    made->import_names.push_back(import.name);
  }
  for (const kiln::ExportDesc& item : made->module.info().exports) made->export_names.push_back(item.name);
  *out = made;
  return KILN_OK;
}

const char* name_at(const std::vector<std::string>& names, size_t index) {
  return index < names.size() ? names[index].c_str() : nullptr;
}

}  // namespace

extern "C" {

kiln_status_t kiln_module_new(kiln_engine_t* engine, const uint8_t* bytes, size_t size, const char* name,
                              kiln_module_t** out) {
  return guarded("kiln_module_new", [&] {
    KILN_CAPI_REQUIRE("kiln_module_new", engine);
    KILN_CAPI_REQUIRE("kiln_module_new", out);
    *out = nullptr;
    if (!bytes && size > 0) return fail(KILN_ERR_INVALID_ARGUMENT, "kiln_module_new: bytes is NULL");
    return make_module(engine, {bytes, size}, name ? name : "module.wasm", out);
  });
}

kiln_status_t kiln_module_from_file(kiln_engine_t* engine, const char* path, kiln_module_t** out) {
  return guarded("kiln_module_from_file", [&] {
    KILN_CAPI_REQUIRE("kiln_module_from_file", engine);
    KILN_CAPI_REQUIRE("kiln_module_from_file", path);
    KILN_CAPI_REQUIRE("kiln_module_from_file", out);
    *out = nullptr;
    std::ifstream in(path, std::ios::binary);
    if (!in) return fail(KILN_ERR_IO, std::string(path) + ": cannot read the file");
    std::vector<uint8_t> bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    if (in.bad()) return fail(KILN_ERR_IO, std::string(path) + ": read failed");
    return make_module(engine, bytes, path, out);
  });
}

void kiln_module_delete(kiln_module_t* module) { delete module; }

size_t kiln_module_export_count(const kiln_module_t* module) { return module ? module->export_names.size() : 0; }
const char* kiln_module_export_name(const kiln_module_t* module, size_t index) {
  return module ? name_at(module->export_names, index) : nullptr;
}
size_t kiln_module_import_count(const kiln_module_t* module) { return module ? module->import_names.size() : 0; }
const char* kiln_module_import_module(const kiln_module_t* module, size_t index) {
  return module ? name_at(module->import_modules, index) : nullptr;
}
const char* kiln_module_import_name(const kiln_module_t* module, size_t index) {
  return module ? name_at(module->import_names, index) : nullptr;
}

}  // extern "C"
