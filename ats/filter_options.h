// What one remap rule's `@pparam=...` say about its filter: which module,
// its configurations, its limits. Parsed once when Traffic Server loads the
// rule; a bad parameter refuses the rule with a message naming it.
#pragma once

#include <string>
#include <vector>

#include "host/proxy_wasm/proxy_wasm_abi.h"
#include "kiln/limits.h"
#include "kiln/result.h"

namespace kiln::ats {

struct FilterOptions {
  std::string module_path;          // --module=PATH (required)
  std::string plugin_config_path;   // --config=PATH: proxy_on_configure's bytes
  std::string vm_config_path;       // --vm-config=PATH: proxy_on_vm_start's bytes
  std::string name;                 // --name=NAME: plugin_name; default the module's file stem
  std::string vm_id;                // --vm-id=ID: rules with one id share data; default the module path
  std::string cache_dir;            // --cache-dir=DIR: compiled artifacts; default kiln's
  std::string kiln_command;         // --kiln=PATH: the `kiln` that compiles a module on a cache miss
  host::proxy_wasm::LogLevel log_level = host::proxy_wasm::LogLevel::Warn;  // --log-level=LEVEL
  // --max-body-kb=N: the longest body a body callback is handed; a request
  // announcing a longer one is answered 413, a longer one is dropped.
  size_t max_body_bytes = size_t{1} << 20;
  // Per callback. A proxy's worker thread must never hang on a filter, so
  // the deadline is on unless the rule says otherwise (--timeout-ms=0).
  Limits limits = default_limits();

  static Limits default_limits();
};

// Parses the rule's parameters (argv after the remap rule's two URLs).
Result<FilterOptions> parse_filter_options(const std::vector<std::string>& params);

// A file's whole contents, or an error naming it.
Result<std::string> read_whole_file(const std::string& path);

}  // namespace kiln::ats
