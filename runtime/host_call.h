// How backends invoke a host function: a C++ exception thrown by host code
// must not unwind through guest frames (on the AOT backend it would leave
// the guest stack and terminate), so it becomes a host-error trap here.
#pragma once

#include <exception>
#include <span>
#include <string>

#include "kiln/host_function.h"

namespace kiln::runtime {

inline HostResult call_host_function(const HostCallback& callback, HostContext& context,
                                     std::span<const Value> args, std::span<Value> results) noexcept {
  try {
    return callback(context, args, results);
  } catch (const std::exception& error) {
    return HostResult::trapped(TrapKind::HostError, std::string("host function threw: ") + error.what());
  } catch (...) {
    return HostResult::trapped(TrapKind::HostError, "host function threw an exception");
  }
}

}  // namespace kiln::runtime
