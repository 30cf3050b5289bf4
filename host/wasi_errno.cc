#include "host/wasi_errno.h"

#include <cerrno>

namespace kiln::host::wasi {

// Only errors the host can meet on the guest's behalf (stdio, getrandom,
// clocks) are listed; anything else is an I/O error to the guest.
Errno to_wasi_errno(int host_errno) {
  switch (host_errno) {
    case 0: return Errno::Success;
    case EAGAIN: return Errno::Again;
    case EBADF: return Errno::Badf;
    case EFAULT: return Errno::Fault;
    case EFBIG: return Errno::Fbig;
    case EDQUOT: return Errno::Dquot;
    case EINTR: return Errno::Intr;
    case EINVAL: return Errno::Inval;
    case EISDIR: return Errno::IsDir;
    case ENOMEM: return Errno::NoMem;
    case ENOSPC: return Errno::NoSpc;
    case ENOSYS: return Errno::NoSys;
    case ECONNRESET: return Errno::ConnReset;
    case ENXIO: return Errno::Nxio;
    case EPERM: return Errno::Perm;
    case EPIPE: return Errno::Pipe;
    default: return Errno::Io;
  }
}

}  // namespace kiln::host::wasi
