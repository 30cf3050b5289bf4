// ModuleInfo as JSON, both ways: the one codec for what a module declares.
// `kiln inspect --json` prints it, the module index stores it
// (backends/aot/module_index.h), and the registry keeps it with each module.
//
// The shape (every member always present; "max" is null when unbounded;
// "params" and "results" only for functions):
//   {"imports": [{"module", "name", "kind", "type", "params", "results"}],
//    "exports": [{"name", "kind", "index", "type", "params", "results"}],
//    "memories": [{"min", "max", "shared", "memory64", "imported"}],
//    "tables": [{"element", "min", "max", "imported"}],
//    "globals": [{"type", "mutable", "imported"}],
//    "features": ["simd", ...], "functions": N, "start": bool, "size": N}
#pragma once

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <string>
#include <string_view>

#include "kiln/module_info.h"
#include "kiln/result.h"

namespace kiln::base {

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

// Writes `info` as one JSON object into `writer` (e.g. as a member's value).
void write_module_info(JsonWriter& writer, const ModuleInfo& info);
std::string module_info_to_json(const ModuleInfo& info);

// Reads it back; ErrorKind::InvalidArgument naming the first bad member.
Result<ModuleInfo> module_info_from_json(const rapidjson::Value& json);
Result<ModuleInfo> module_info_from_json(std::string_view text);

}  // namespace kiln::base
