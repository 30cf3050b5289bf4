// Calls the preview1 functions kiln refuses or limits, straight through
// <wasi/api.h>, and prints "call=errno" for each: the test holds the
// expected table. Ends by renumbering and closing stdio fds, writing
// through the renumbered fd.
#include <stdio.h>
#include <string.h>
#include <wasi/api.h>

static void show(const char* call, int err) { printf("%s=%d\n", call, err); }

static void filesystem(void) {
  __wasi_prestat_t prestat;
  __wasi_fd_t fd;
  __wasi_filestat_t stat;
  __wasi_size_t used;
  char buf[16];
  show("fd_prestat_get(3)", __wasi_fd_prestat_get(3, &prestat));
  show("fd_prestat_get(0)", __wasi_fd_prestat_get(0, &prestat));
  show("fd_prestat_dir_name(3)", __wasi_fd_prestat_dir_name(3, (uint8_t*)buf, 1));
  show("path_open(3)", __wasi_path_open(3, 0, "a", 0, 0, 0, 0, &fd));
  show("path_open(0)", __wasi_path_open(0, 0, "a", 0, 0, 0, 0, &fd));
  show("path_create_directory(0)", __wasi_path_create_directory(0, "d"));
  show("path_filestat_get(1)", __wasi_path_filestat_get(1, 0, "a", &stat));
  show("path_filestat_set_times(1)", __wasi_path_filestat_set_times(1, 0, "a", 0, 0, 0));
  show("path_link(0,9)", __wasi_path_link(0, 0, "a", 9, "b"));
  show("path_readlink(2)", __wasi_path_readlink(2, "a", (uint8_t*)buf, sizeof buf, &used));
  show("path_remove_directory(0)", __wasi_path_remove_directory(0, "d"));
  show("path_rename(0,1)", __wasi_path_rename(0, "a", 1, "b"));
  show("path_symlink(0)", __wasi_path_symlink("a", 0, "b"));
  show("path_unlink_file(5)", __wasi_path_unlink_file(5, "a"));
  show("fd_readdir(0)", __wasi_fd_readdir(0, (uint8_t*)buf, sizeof buf, 0, &used));
}

static void sockets(void) {
  __wasi_fd_t fd;
  __wasi_size_t n;
  __wasi_roflags_t roflags;
  char byte = 0;
  __wasi_iovec_t iov = {(uint8_t*)&byte, 1};
  __wasi_ciovec_t ciov = {(const uint8_t*)&byte, 1};
  show("sock_accept(0)", __wasi_sock_accept(0, 0, &fd));
  show("sock_recv(9)", __wasi_sock_recv(9, &iov, 1, 0, &n, &roflags));
  show("sock_send(1)", __wasi_sock_send(1, &ciov, 1, 0, &n));
  show("sock_shutdown(2)", __wasi_sock_shutdown(2, __WASI_SDFLAGS_WR));
}

static void streams(void) {
  __wasi_filesize_t offset;
  __wasi_size_t n;
  char byte = 0;
  __wasi_iovec_t iov = {(uint8_t*)&byte, 1};
  __wasi_ciovec_t ciov = {(const uint8_t*)&byte, 1};
  show("fd_seek(1)", __wasi_fd_seek(1, 0, __WASI_WHENCE_SET, &offset));
  show("fd_seek(1,whence=7)", __wasi_fd_seek(1, 0, 7, &offset));
  show("fd_seek(7)", __wasi_fd_seek(7, 0, __WASI_WHENCE_SET, &offset));
  show("fd_tell(0)", __wasi_fd_tell(0, &offset));
  show("fd_pread(0)", __wasi_fd_pread(0, &iov, 1, 0, &n));
  show("fd_pwrite(1)", __wasi_fd_pwrite(1, &ciov, 1, 0, &n));
  show("fd_advise(1)", __wasi_fd_advise(1, 0, 0, __WASI_ADVICE_NORMAL));
  show("fd_allocate(1)", __wasi_fd_allocate(1, 0, 1));
  show("fd_sync(1)", __wasi_fd_sync(1));
  show("fd_datasync(2)", __wasi_fd_datasync(2));
  show("fd_filestat_set_size(1)", __wasi_fd_filestat_set_size(1, 0));
  show("fd_filestat_set_times(1)", __wasi_fd_filestat_set_times(1, 0, 0, 0));
  show("fd_read(1)", __wasi_fd_read(1, &iov, 1, &n));
  show("fd_read(3)", __wasi_fd_read(3, &iov, 1, &n));
  show("fd_write(0)", __wasi_fd_write(0, &ciov, 1, &n));
}

static void describe(__wasi_fd_t fd) {
  __wasi_fdstat_t stat;
  __wasi_filestat_t file;
  int err = __wasi_fd_fdstat_get(fd, &stat);
  printf("fd_fdstat_get(%u)=%d type=%u flags=%u read=%d write=%d seek=%d\n", fd, err, stat.fs_filetype,
         stat.fs_flags, !!(stat.fs_rights_base & __WASI_RIGHTS_FD_READ),
         !!(stat.fs_rights_base & __WASI_RIGHTS_FD_WRITE), !!(stat.fs_rights_base & __WASI_RIGHTS_FD_SEEK));
  memset(&file, 0xff, sizeof file);
  err = __wasi_fd_filestat_get(fd, &file);
  printf("fd_filestat_get(%u)=%d type=%u size=%llu\n", fd, err, file.filetype, (unsigned long long)file.size);
}

static void flags_and_rights(void) {
  describe(0);
  describe(1);
  show("fd_fdstat_get(4)", __wasi_fd_fdstat_get(4, &(__wasi_fdstat_t){0}));
  show("fd_fdstat_set_flags(0,nonblock)", __wasi_fd_fdstat_set_flags(0, __WASI_FDFLAGS_NONBLOCK));
  describe(0);
  show("fd_fdstat_set_flags(0,sync)", __wasi_fd_fdstat_set_flags(0, __WASI_FDFLAGS_SYNC));
  show("fd_fdstat_set_flags(0,0)", __wasi_fd_fdstat_set_flags(0, 0));
  show("fd_fdstat_set_rights(2,+seek)",
       __wasi_fd_fdstat_set_rights(2, __WASI_RIGHTS_FD_WRITE | __WASI_RIGHTS_FD_SEEK, 0));
  show("fd_fdstat_set_rights(2,-write)", __wasi_fd_fdstat_set_rights(2, __WASI_RIGHTS_FD_FILESTAT_GET, 0));
  __wasi_size_t n;
  __wasi_ciovec_t ciov = {(const uint8_t*)"e", 1};
  show("fd_write(2)", __wasi_fd_write(2, &ciov, 1, &n));
}

// After this, the guest's stdout is fd 2; printf's fd 1 is closed.
static void renumber_and_close(void) {
  fflush(stdout);
  int renumbered = __wasi_fd_renumber(1, 2);
  char line[64];
  snprintf(line, sizeof line, "fd_renumber(1,2)=%d\n", renumbered);
  __wasi_ciovec_t ciov = {(const uint8_t*)line, strlen(line)};
  __wasi_size_t n;
  int write2 = __wasi_fd_write(2, &ciov, 1, &n);
  int write1 = __wasi_fd_write(1, &ciov, 1, &n);
  int close2 = __wasi_fd_close(2);
  int close2_again = __wasi_fd_close(2);
  int renumber_closed = __wasi_fd_renumber(0, 2);
  // Nothing is left to print through: report through the exit code.
  __wasi_proc_exit(write2 == 0 && write1 == __WASI_ERRNO_BADF && close2 == 0 && close2_again == __WASI_ERRNO_BADF &&
                           renumber_closed == __WASI_ERRNO_BADF
                       ? 0
                       : 1);
}

int main(void) {
  filesystem();
  sockets();
  streams();
  flags_and_rights();
  renumber_and_close();
}
