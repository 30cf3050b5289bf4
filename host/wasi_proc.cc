// proc_exit and proc_raise: how a guest program ends.
#include "host/wasi_call.h"

namespace kiln::host::wasi {

namespace {

// A clean end with the guest's exit code, not a trap: the call returns
// CallResult::Exited. The code is a u32 in WASI; it is passed on as is.
HostResult proc_exit(WasiCall&, uint32_t code) { return HostResult::exited(static_cast<int>(code)); }

// Signals are gone from WASI after preview1 (and wasi-libc no longer
// imports this); a guest cannot signal itself here.
Errno proc_raise(WasiCall&, uint32_t /*signal*/) { return Errno::NoSys; }

}  // namespace

void add_proc_functions(Linker& linker) {
  define(linker, "proc_exit", proc_exit);
  define(linker, "proc_raise", proc_raise);
}

}  // namespace kiln::host::wasi
