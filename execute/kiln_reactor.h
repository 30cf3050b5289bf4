// The kiln-reactor ABI (docs/abi.md), one function per step of a call on a
// leased instance whose `_initialize` has already run:
//
//   write_reactor_input   the input, config spliced in, straight into memory
//                         from the guest's kiln_alloc: the one copy
//   call_reactor_entry    the extension point's entry(ptr, len) -> i64
//   reactor_output        the (ptr, len) it returned, checked against memory
//                         and the output limit: a view, not a copy
//
// Every way a guest can lie (a null or out-of-range allocation, an output
// range past its memory or wrapping around 4 GiB, a length over the
// limit) ends as an error value in the ExecResult, never a host crash.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "execute/config_splice.h"
#include "execute/exec_result.h"
#include "kiln/instance.h"
#include "kiln/result.h"
#include "registry/extension_point.h"

namespace kiln::execute {

// Allocates splice.size() bytes with the guest's kiln_alloc and writes the
// spliced input there. On failure sets `result`'s status and error (a trap,
// or ErrorKind::Contract for an allocation the guest got wrong) and returns
// nullopt. Adds the allocator's fuel to result.fuel_used.
std::optional<GuestSlice> write_reactor_input(const Instance& instance, const ConfigSplice& splice,
                                              ExecResult& result);

// Calls the entry with (input.offset, input.length) under what is left of
// the call's fuel; returns the packed (ptr << 32 | len) result, or nullopt
// with `result`'s status and error set (a trap; a negative result, the
// guest's own failure code, is ExtensionFailed).
std::optional<uint64_t> call_reactor_entry(const Instance& instance, const registry::ExtensionPoint& ep,
                                           GuestSlice input, ExecResult& result);

// The output the packed result names, in place in guest memory (valid until
// the guest runs again or the instance is released), or an InvalidOutput
// error naming the range and the memory's size.
Result<std::string_view> reactor_output(const Instance& instance, const registry::ExtensionPoint& ep, uint64_t packed);

}  // namespace kiln::execute
