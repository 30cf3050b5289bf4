#include "base/files.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

namespace kiln::base {

namespace {

// stdio rather than iostreams: reading a directory must fail, not throw or
// read as empty.
template <class Bytes>
std::optional<Bytes> read_whole(const std::string& path) {
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "rb"), std::fclose);
  if (!file) return std::nullopt;
  Bytes bytes;
  char chunk[1 << 16];
  size_t got;
  while ((got = std::fread(chunk, 1, sizeof chunk, file.get())) > 0) bytes.insert(bytes.end(), chunk, chunk + got);
  if (std::ferror(file.get())) return std::nullopt;
  return bytes;
}

}  // namespace

std::optional<std::string> read_file(const std::string& path) { return read_whole<std::string>(path); }

std::optional<std::vector<uint8_t>> read_file_bytes(const std::string& path) {
  return read_whole<std::vector<uint8_t>>(path);
}

bool sync_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  bool synced = ::fsync(fd) == 0;
  ::close(fd);
  return synced;
}

void sync_directory(const std::string& dir) {
  int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  (void)::fsync(fd);
  ::close(fd);
}

Result<void> write_file_atomically(const std::string& path, std::string_view data, unsigned mode) {
  const size_t slash = path.find_last_of('/');
  const std::string dir = slash == std::string::npos ? "" : path.substr(0, slash);
  std::string temp = (dir.empty() ? std::string() : dir + "/") + ".tmp-XXXXXX";
  int fd = ::mkstemp(temp.data());
  if (fd < 0) return make_error(ErrorKind::Io, "cannot create a file in " + (dir.empty() ? "." : dir) + ": " + std::strerror(errno));
  bool ok = ::fchmod(fd, mode) == 0;
  for (size_t done = 0; ok && done < data.size();) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) ok = false;
    else done += static_cast<size_t>(n);
  }
  ok = ok && ::fsync(fd) == 0;
  const int saved = errno;
  ok = ::close(fd) == 0 && ok;
  if (ok && ::rename(temp.c_str(), path.c_str()) == 0) {
    sync_directory(dir);
    return {};
  }
  const std::string reason = std::strerror(ok ? errno : saved);
  ::unlink(temp.c_str());
  return make_error(ErrorKind::Io, "cannot write " + path + ": " + reason);
}

}  // namespace kiln::base
