// The `spectest` module that the WebAssembly spec scripts import from: print
// functions, four immutable globals of value 666, a funcref table of 10..20
// elements and a memory of 1..2 pages. The table, memory and globals belong
// to `store`, so every module of a script shares them.
#pragma once

#include <ostream>

#include "kiln/linker.h"
#include "kiln/store.h"

namespace kiln::spectest {

// Defines spectest.* in `linker`. When `log` is set, the print functions
// write their arguments to it.
void define_spectest_module(Store& store, Linker& linker, std::ostream* log);

}  // namespace kiln::spectest
