// random_get: bytes from the kernel's CSPRNG, straight into guest memory;
// with a tape, recorded there, or replayed from it instead.
#include <sys/random.h>

#include <cerrno>

#include "host/wasi_call.h"
#include "kiln/wasi_tape.h"

namespace kiln::host::wasi {

namespace {

Errno fill_random(std::span<uint8_t> buf) {
  // getrandom returns at most 32 MiB at a time and may be interrupted.
  for (size_t done = 0; done < buf.size();) {
    ssize_t n = getrandom(buf.data() + done, buf.size() - done, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return to_wasi_errno(errno);
    done += static_cast<size_t>(n);
  }
  return Errno::Success;
}

Answer random_get(WasiCall& call, uint32_t buf_ptr, uint32_t len) {
  auto buf = call.memory().bytes(buf_ptr, len);
  if (!buf) return Errno::Fault;
  WasiTape* tape = call.state().config.tape.get();
  if (!tape || tape->mode() == WasiTape::Mode::Record) {
    if (Errno error = fill_random(*buf); error != Errno::Success) return error;
  }
  if (tape) {
    if (auto taped = tape->random(*buf); !taped) {
      return HostResult::trapped(TrapKind::HostError, "random_get: " + taped.error().message);
    }
  }
  return Errno::Success;
}

}  // namespace

void add_random_functions(Linker& linker) { define(linker, "random_get", random_get); }

}  // namespace kiln::host::wasi
