// The WASI state of one Store: the configuration its guests see and the
// file descriptors they hold. Owned by the WasiContext attached to the Store.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>

#include "kiln/wasi.h"
#include "host/wasi_stdio.h"

namespace kiln::host {

namespace wasi {

// A guest fd. Only 0, 1 and 2 ever exist, each leading to a standard stream;
// the guest may close or renumber them, so the stream is not the fd number.
struct FdEntry {
  StdStream stream = StdStream::In;
  uint16_t flags = 0;  // fdflags the guest set; only append and nonblock are accepted
  uint64_t rights_base = 0;
  uint64_t rights_inheriting = 0;
};

}  // namespace wasi

struct WasiContext::State {
  explicit State(WasiConfig config);

  WasiConfig config;
  // Reads input from config.stdin_data in Buffered mode, so declared after it.
  std::unique_ptr<wasi::Stdio> stdio;
  std::array<std::optional<wasi::FdEntry>, 3> fds;

  // Guest fd `fd` if it is open, else null (the guest gets EBADF).
  wasi::FdEntry* fd(uint32_t fd);
};

}  // namespace kiln::host
