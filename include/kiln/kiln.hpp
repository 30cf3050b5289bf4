// The whole C++ embedding API in one include. The C API is kiln/kiln.h.
//
//   Engine        configuration and backend (interp or aot); thread-safe
//   Module        validated, instrumented, compiled; immutable, shared
//   Linker        host functions by module.name (host/wasi.h adds WASI)
//   InstancePre   a module with its imports resolved once
//   InstancePool  ready instances, reset between tenants
//   Store         one tenant's state: limits, fuel, host state
//   Instance      exports, calls, typed handles, guest memory access
#pragma once

#include "kiln/call_result.h"
#include "kiln/engine.h"
#include "kiln/extern.h"
#include "kiln/host_function.h"
#include "kiln/instance.h"
#include "kiln/instance_pool.h"
#include "kiln/instance_pre.h"
#include "kiln/limits.h"
#include "kiln/linker.h"
#include "kiln/module.h"
#include "kiln/module_info.h"
#include "kiln/result.h"
#include "kiln/store.h"
#include "kiln/trap.h"
#include "kiln/typed_func.h"
#include "kiln/value.h"
