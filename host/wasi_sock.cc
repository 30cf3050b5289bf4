// The sock_* functions: guests get no network. Preview1 can only use
// sockets the host hands over as fds, and kiln hands over none: an fd that
// is not open gets EBADF, a standard stream ENOTSOCK.
#include "host/wasi_call.h"

namespace kiln::host::wasi {

namespace {

Errno sock_accept(WasiCall& call, uint32_t fd, uint32_t /*flags*/, uint32_t /*accepted_fd_ptr*/) {
  return refuse(call, fd, Errno::NotSock);
}

Errno sock_recv(WasiCall& call, uint32_t fd, uint32_t /*ri_data*/, uint32_t /*ri_data_len*/, uint32_t /*ri_flags*/,
                uint32_t /*ro_datalen_ptr*/, uint32_t /*ro_flags_ptr*/) {
  return refuse(call, fd, Errno::NotSock);
}

Errno sock_send(WasiCall& call, uint32_t fd, uint32_t /*si_data*/, uint32_t /*si_data_len*/, uint32_t /*si_flags*/,
                uint32_t /*so_datalen_ptr*/) {
  return refuse(call, fd, Errno::NotSock);
}

Errno sock_shutdown(WasiCall& call, uint32_t fd, uint32_t /*how*/) { return refuse(call, fd, Errno::NotSock); }

}  // namespace

void add_sock_functions(Linker& linker) {
  define(linker, "sock_accept", sock_accept);
  define(linker, "sock_recv", sock_recv);
  define(linker, "sock_send", sock_send);
  define(linker, "sock_shutdown", sock_shutdown);
}

}  // namespace kiln::host::wasi
