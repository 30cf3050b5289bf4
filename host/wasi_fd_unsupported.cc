// The fd_* functions for files and directories. A guest only ever holds
// standard streams, so each answers EBADF for an fd that is not open and,
// for a stream, the errno POSIX gives for a pipe or terminal.
#include "host/wasi_call.h"

namespace kiln::host::wasi {

namespace {

Errno fd_advise(WasiCall& call, uint32_t fd, uint64_t /*offset*/, uint64_t /*len*/, uint32_t /*advice*/) {
  return refuse(call, fd, Errno::Spipe);
}

Errno fd_allocate(WasiCall& call, uint32_t fd, uint64_t /*offset*/, uint64_t /*len*/) {
  return refuse(call, fd, Errno::Spipe);
}

// A stream has nothing durable to flush to.
Errno fd_datasync(WasiCall& call, uint32_t fd) { return refuse(call, fd, Errno::Inval); }
Errno fd_sync(WasiCall& call, uint32_t fd) { return refuse(call, fd, Errno::Inval); }

Errno fd_filestat_set_size(WasiCall& call, uint32_t fd, uint64_t /*size*/) { return refuse(call, fd, Errno::Inval); }

// Stdio holds no right to change times: kiln never touches the host's files.
Errno fd_filestat_set_times(WasiCall& call, uint32_t fd, uint64_t /*atim*/, uint64_t /*mtim*/,
                            uint32_t /*fst_flags*/) {
  return refuse(call, fd, Errno::NotCapable);
}

Errno fd_pread(WasiCall& call, uint32_t fd, uint32_t /*iovs*/, uint32_t /*iovs_len*/, uint64_t /*offset*/,
               uint32_t /*nread_ptr*/) {
  return refuse(call, fd, Errno::Spipe);
}

Errno fd_pwrite(WasiCall& call, uint32_t fd, uint32_t /*iovs*/, uint32_t /*iovs_len*/, uint64_t /*offset*/,
                uint32_t /*nwritten_ptr*/) {
  return refuse(call, fd, Errno::Spipe);
}

Errno fd_readdir(WasiCall& call, uint32_t fd, uint32_t /*buf*/, uint32_t /*buf_len*/, uint64_t /*cookie*/,
                 uint32_t /*bufused_ptr*/) {
  return refuse(call, fd, Errno::NotDir);
}

// No fd is a preopened directory. wasi-libc asks from fd 3 upwards until
// EBADF, so the guest starts with no filesystem at all.
Errno fd_prestat_get(WasiCall&, uint32_t /*fd*/, uint32_t /*prestat_ptr*/) { return Errno::Badf; }
Errno fd_prestat_dir_name(WasiCall&, uint32_t /*fd*/, uint32_t /*path*/, uint32_t /*path_len*/) {
  return Errno::Badf;
}

}  // namespace

void add_unsupported_fd_functions(Linker& linker) {
  define(linker, "fd_advise", fd_advise);
  define(linker, "fd_allocate", fd_allocate);
  define(linker, "fd_datasync", fd_datasync);
  define(linker, "fd_sync", fd_sync);
  define(linker, "fd_filestat_set_size", fd_filestat_set_size);
  define(linker, "fd_filestat_set_times", fd_filestat_set_times);
  define(linker, "fd_pread", fd_pread);
  define(linker, "fd_pwrite", fd_pwrite);
  define(linker, "fd_readdir", fd_readdir);
  define(linker, "fd_prestat_get", fd_prestat_get);
  define(linker, "fd_prestat_dir_name", fd_prestat_dir_name);
}

}  // namespace kiln::host::wasi
