// Host functions: native code a guest may import. They are written once
// against this interface (and registered in a Linker), never inside a
// backend, so every backend runs the same host code.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <span>
#include <string>

#include "kiln/trap.h"
#include "kiln/value.h"

namespace kiln {

class Store;

// What a host function sees of the call that reached it. Valid only for the
// duration of that host call.
class HostContext {
 public:
  virtual ~HostContext() = default;
  // Linear memory 0 of the calling instance; empty if it has none. May move
  // between host calls (memory.grow), so fetch it again after calling back.
  virtual std::span<uint8_t> memory() = 0;
  // The Store the call runs in: its limits and the host state kept there.
  virtual Store& store() = 0;
};

// How a host function ends: return normally, trap, or end the whole guest
// program with an exit code (WASI proc_exit), which is not a trap.
struct HostResult {
  enum class Status { Ok, Trap, Exit };
  Status status = Status::Ok;
  Trap trap;
  int exit_code = 0;

  static HostResult ok() { return {}; }
  static HostResult trapped(TrapKind kind, std::string message) {
    HostResult r;
    r.status = Status::Trap;
    r.trap = Trap{kind, std::move(message)};
    return r;
  }
  static HostResult exited(int code) {
    HostResult r;
    r.status = Status::Exit;
    r.exit_code = code;
    return r;
  }
};

using HostCallback =
    std::function<HostResult(HostContext&, std::span<const Value> args, std::span<Value> results)>;

struct HostFunc {
  FuncType type;
  HostCallback callback;
};

}  // namespace kiln
