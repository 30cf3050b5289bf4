// kiln_linker_define_wasi and kiln_store_set_wasi: WASI preview 1 for C
// hosts (include/kiln/kiln.h, "WASI").
#include "capi/internal.h"
#include "kiln/wasi.h"

using kiln::capi::fail;
using kiln::capi::guarded;

extern "C" {

kiln_status_t kiln_linker_define_wasi(kiln_linker_t* linker) {
  return guarded("kiln_linker_define_wasi", [&] {
    KILN_CAPI_REQUIRE("kiln_linker_define_wasi", linker);
    kiln::host::add_wasi(linker->linker);
    return KILN_OK;
  });
}

kiln_status_t kiln_store_set_wasi(kiln_store_t* store, const kiln_wasi_config_t* config) {
  return guarded("kiln_store_set_wasi", [&] {
    KILN_CAPI_REQUIRE("kiln_store_set_wasi", store);
    KILN_CAPI_REQUIRE("kiln_store_set_wasi", config);
    if ((!config->args && config->nargs) || (!config->env && config->nenv) ||
        (!config->stdin_data && config->stdin_size)) {
      return fail(KILN_ERR_INVALID_ARGUMENT, "kiln_store_set_wasi: a count is set but its array is NULL");
    }
    kiln::host::WasiConfig wasi;
    for (size_t i = 0; i < config->nargs; ++i) {
      if (!config->args[i]) return fail(KILN_ERR_INVALID_ARGUMENT, "kiln_store_set_wasi: args[" + std::to_string(i) + "] is NULL");
      wasi.args.emplace_back(config->args[i]);
    }
    for (size_t i = 0; i < config->nenv; ++i) {
      if (!config->env[i]) return fail(KILN_ERR_INVALID_ARGUMENT, "kiln_store_set_wasi: env[" + std::to_string(i) + "] is NULL");
      wasi.env.emplace_back(config->env[i]);
    }
    wasi.stdio = config->inherit_stdio ? kiln::host::WasiConfig::Stdio::Inherit : kiln::host::WasiConfig::Stdio::Buffered;
    if (config->stdin_size) wasi.stdin_data.assign(reinterpret_cast<const char*>(config->stdin_data), config->stdin_size);
    if (config->max_output_bytes) wasi.max_output_bytes = config->max_output_bytes;
    auto context = std::make_shared<kiln::host::WasiContext>(std::move(wasi));
    // Buffered output is copied into each call's result by attach_wasi.
    kiln::host::attach_wasi(*store->store, std::move(context));
    return KILN_OK;
  });
}

}  // extern "C"
