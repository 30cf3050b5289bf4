// The fd_* functions that make sense on standard streams: reading, writing,
// describing, closing and renumbering them. Streams cannot seek, so
// fd_seek and fd_tell say ESPIPE, as POSIX does for a pipe or terminal.
#include <algorithm>

#include "host/wasi_call.h"

namespace kiln::host::wasi {

namespace {

// The fdflags a guest may set. Nonblock affects reads only: writes always
// complete (into memory, or ridden out on the real fd).
constexpr uint32_t kSettableFdFlags = kFdFlagAppend | kFdFlagNonblock;

// A checked fd_read or fd_write: the fd holds the right, every buffer and
// the result slot lie in memory, the iovecs are not too many, and their
// byte count fits the 32-bit result.
struct IoRequest {
  Errno error = Errno::Success;
  FdEntry* entry = nullptr;
  std::optional<IovecList> iovs;
};

IoRequest check_io(WasiCall& call, uint32_t fd, uint64_t right, uint32_t iovs_ptr, uint32_t iovs_len,
                   uint32_t result_ptr) {
  IoRequest request{.entry = call.state().fd(fd)};
  if (!request.entry) return {.error = Errno::Badf};
  if (!(request.entry->rights_base & right)) return {.error = Errno::NotCapable};
  auto iovs = IovecList::check(call.memory(), iovs_ptr, iovs_len);
  if (auto* error = std::get_if<Errno>(&iovs)) return {.error = *error};
  if (!call.memory().bytes(result_ptr, 4)) return {.error = Errno::Fault};
  request.iovs = std::get<IovecList>(iovs);
  if (request.iovs->total_bytes() > UINT32_MAX) return {.error = Errno::Inval};
  return request;
}

Answer fd_read(WasiCall& call, uint32_t fd, uint32_t iovs_ptr, uint32_t iovs_len, uint32_t nread_ptr) {
  IoRequest request = check_io(call, fd, kRightFdRead, iovs_ptr, iovs_len, nread_ptr);
  if (request.error != Errno::Success) return request.error;
  IoResult result;
  if (request.iovs->total_bytes() > 0) {  // reading nothing never waits, as read(2)
    bool nonblocking = request.entry->flags & kFdFlagNonblock;
    result = call.state().stdio->read(*request.iovs, nonblocking ? std::chrono::steady_clock::now() : call.deadline());
    if (result.timed_out) return nonblocking ? Answer{Errno::Again} : Answer{deadline_trap("fd_read")};
    if (result.error != Errno::Success) return result.error;
  }
  call.memory().store(nread_ptr, static_cast<uint32_t>(result.bytes));
  return Errno::Success;
}

Errno fd_write(WasiCall& call, uint32_t fd, uint32_t iovs_ptr, uint32_t iovs_len, uint32_t nwritten_ptr) {
  IoRequest request = check_io(call, fd, kRightFdWrite, iovs_ptr, iovs_len, nwritten_ptr);
  if (request.error != Errno::Success) return request.error;
  IoResult result = call.state().stdio->write(request.entry->stream, *request.iovs);
  if (result.error != Errno::Success) return result.error;
  call.memory().store(nwritten_ptr, static_cast<uint32_t>(result.bytes));
  return Errno::Success;
}

Errno fd_fdstat_get(WasiCall& call, uint32_t fd, uint32_t stat_ptr) {
  FdEntry* entry = call.state().fd(fd);
  if (!entry) return Errno::Badf;
  auto out = call.memory().bytes(stat_ptr, kFdstatSize);
  if (!out) return Errno::Fault;
  std::fill(out->begin(), out->end(), uint8_t{0});
  put(*out, 0, kFileTypeCharacterDevice);
  put(*out, 2, entry->flags);
  put(*out, 8, entry->rights_base);
  put(*out, 16, entry->rights_inheriting);
  return Errno::Success;
}

Errno fd_fdstat_set_flags(WasiCall& call, uint32_t fd, uint32_t flags) {
  FdEntry* entry = call.state().fd(fd);
  if (!entry) return Errno::Badf;
  if (!(entry->rights_base & kRightFdFdstatSetFlags)) return Errno::NotCapable;
  // The sync flags ask for durable writes, which a stream cannot give.
  if (flags & ~kSettableFdFlags) return Errno::NotSup;
  entry->flags = static_cast<uint16_t>(flags);
  return Errno::Success;
}

// Rights can only be dropped, never gained.
Errno fd_fdstat_set_rights(WasiCall& call, uint32_t fd, uint64_t base, uint64_t inheriting) {
  FdEntry* entry = call.state().fd(fd);
  if (!entry) return Errno::Badf;
  if ((base & ~entry->rights_base) || (inheriting & ~entry->rights_inheriting)) return Errno::NotCapable;
  entry->rights_base = base;
  entry->rights_inheriting = inheriting;
  return Errno::Success;
}

Errno fd_filestat_get(WasiCall& call, uint32_t fd, uint32_t stat_ptr) {
  FdEntry* entry = call.state().fd(fd);
  if (!entry) return Errno::Badf;
  if (!(entry->rights_base & kRightFdFilestatGet)) return Errno::NotCapable;
  auto out = call.memory().bytes(stat_ptr, kFilestatSize);
  if (!out) return Errno::Fault;
  // A stream has no device, inode, size or times to tell.
  std::fill(out->begin(), out->end(), uint8_t{0});
  put(*out, kFilestatFiletypeOffset, kFileTypeCharacterDevice);
  return Errno::Success;
}

// Closing a standard stream hides it from the guest; the host's own fd stays open.
Errno fd_close(WasiCall& call, uint32_t fd) {
  if (!call.state().fd(fd)) return Errno::Badf;
  call.state().fds[fd].reset();
  return Errno::Success;
}

Errno fd_renumber(WasiCall& call, uint32_t from, uint32_t to) {
  if (!call.state().fd(from) || !call.state().fd(to)) return Errno::Badf;
  if (from == to) return Errno::Success;
  auto& fds = call.state().fds;
  fds[to] = fds[from];
  fds[from].reset();
  return Errno::Success;
}

Errno fd_seek(WasiCall& call, uint32_t fd, uint64_t /*offset*/, uint32_t whence, uint32_t /*newoffset_ptr*/) {
  if (!call.state().fd(fd)) return Errno::Badf;
  if (whence > kWhenceEnd) return Errno::Inval;
  return Errno::Spipe;
}

Errno fd_tell(WasiCall& call, uint32_t fd, uint32_t /*offset_ptr*/) { return refuse(call, fd, Errno::Spipe); }

}  // namespace

void add_stdio_fd_functions(Linker& linker) {
  define(linker, "fd_read", fd_read);
  define(linker, "fd_write", fd_write);
  define(linker, "fd_fdstat_get", fd_fdstat_get);
  define(linker, "fd_fdstat_set_flags", fd_fdstat_set_flags);
  define(linker, "fd_fdstat_set_rights", fd_fdstat_set_rights);
  define(linker, "fd_filestat_get", fd_filestat_get);
  define(linker, "fd_close", fd_close);
  define(linker, "fd_renumber", fd_renumber);
  define(linker, "fd_seek", fd_seek);
  define(linker, "fd_tell", fd_tell);
}

}  // namespace kiln::host::wasi
