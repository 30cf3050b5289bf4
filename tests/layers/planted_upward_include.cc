// Not compiled: the layer check's own test (tests/CMakeLists.txt,
// layer_check.planted_upward) checks this file as if it were wasm/planted.cc,
// where including the runtime is an upward include the check must refuse.
#include "runtime/backend.h"
