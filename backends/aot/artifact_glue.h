// The glue C compiled into every artifact (see artifact_abi.h): the wasm_rt_*
// functions forwarding to kiln's host API, one thunk per imported function
// (marshalling its arguments into slots for kiln's trampoline), one getter
// per imported memory/table/global, one generic entry per export, and the
// descriptor, the artifact's only visible symbol.
#pragma once

#include <string>

#include "backends/aot/artifact_info.h"
#include "kiln/result.h"

namespace kiln::backends::aot {

// `header` is the C writer's module.h: the glue takes the instance's memory
// field and the instantiate function's arity from it.
Result<std::string> generate_glue(const ArtifactInfo& info, const std::string& header);

}  // namespace kiln::backends::aot
