// The path_* functions: guests get no filesystem. Each names a directory fd;
// one that is not open gets EBADF, and an open one (a standard stream) holds
// no path rights, so the answer is ENOTCAPABLE.
#include "host/wasi_call.h"

namespace kiln::host::wasi {

namespace {

Errno refuse_path(WasiCall& call, uint32_t dir_fd) { return refuse(call, dir_fd, Errno::NotCapable); }

Errno refuse_paths(WasiCall& call, uint32_t old_dir_fd, uint32_t new_dir_fd) {
  if (!call.state().fd(old_dir_fd) || !call.state().fd(new_dir_fd)) return Errno::Badf;
  return Errno::NotCapable;
}

Errno path_create_directory(WasiCall& call, uint32_t fd, uint32_t /*path*/, uint32_t /*path_len*/) {
  return refuse_path(call, fd);
}

Errno path_filestat_get(WasiCall& call, uint32_t fd, uint32_t /*flags*/, uint32_t /*path*/, uint32_t /*path_len*/,
                        uint32_t /*stat_ptr*/) {
  return refuse_path(call, fd);
}

Errno path_filestat_set_times(WasiCall& call, uint32_t fd, uint32_t /*flags*/, uint32_t /*path*/,
                              uint32_t /*path_len*/, uint64_t /*atim*/, uint64_t /*mtim*/, uint32_t /*fst_flags*/) {
  return refuse_path(call, fd);
}

Errno path_link(WasiCall& call, uint32_t old_fd, uint32_t /*old_flags*/, uint32_t /*old_path*/,
                uint32_t /*old_path_len*/, uint32_t new_fd, uint32_t /*new_path*/, uint32_t /*new_path_len*/) {
  return refuse_paths(call, old_fd, new_fd);
}

Errno path_open(WasiCall& call, uint32_t fd, uint32_t /*dirflags*/, uint32_t /*path*/, uint32_t /*path_len*/,
                uint32_t /*oflags*/, uint64_t /*rights_base*/, uint64_t /*rights_inheriting*/, uint32_t /*fdflags*/,
                uint32_t /*opened_fd_ptr*/) {
  return refuse_path(call, fd);
}

Errno path_readlink(WasiCall& call, uint32_t fd, uint32_t /*path*/, uint32_t /*path_len*/, uint32_t /*buf*/,
                    uint32_t /*buf_len*/, uint32_t /*bufused_ptr*/) {
  return refuse_path(call, fd);
}

Errno path_remove_directory(WasiCall& call, uint32_t fd, uint32_t /*path*/, uint32_t /*path_len*/) {
  return refuse_path(call, fd);
}

Errno path_rename(WasiCall& call, uint32_t old_fd, uint32_t /*old_path*/, uint32_t /*old_path_len*/,
                  uint32_t new_fd, uint32_t /*new_path*/, uint32_t /*new_path_len*/) {
  return refuse_paths(call, old_fd, new_fd);
}

Errno path_symlink(WasiCall& call, uint32_t /*old_path*/, uint32_t /*old_path_len*/, uint32_t fd,
                   uint32_t /*new_path*/, uint32_t /*new_path_len*/) {
  return refuse_path(call, fd);
}

Errno path_unlink_file(WasiCall& call, uint32_t fd, uint32_t /*path*/, uint32_t /*path_len*/) {
  return refuse_path(call, fd);
}

}  // namespace

void add_path_functions(Linker& linker) {
  define(linker, "path_create_directory", path_create_directory);
  define(linker, "path_filestat_get", path_filestat_get);
  define(linker, "path_filestat_set_times", path_filestat_set_times);
  define(linker, "path_link", path_link);
  define(linker, "path_open", path_open);
  define(linker, "path_readlink", path_readlink);
  define(linker, "path_remove_directory", path_remove_directory);
  define(linker, "path_rename", path_rename);
  define(linker, "path_symlink", path_symlink);
  define(linker, "path_unlink_file", path_unlink_file);
}

}  // namespace kiln::host::wasi
