// The interpreter backend: runs instrumented modules on WABT's interpreter
// (every feature kiln accepts, SIMD included). The reference semantics the
// AOT backend is compared against.
#pragma once

#include <memory>

#include "runtime/backend.h"

namespace kiln::backends {

std::unique_ptr<runtime::Backend> make_interp_backend();

}  // namespace kiln::backends
