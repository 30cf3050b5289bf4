// Not compiled: the layer check's own test (tests/CMakeLists.txt,
// layer_check.planted_backend) checks this file as if it were
// runtime/planted.cc: runtime/ declares the backend interface and never
// includes a backend.
#include "backends/aot/aot_backend.h"
