#include "cli/background_compile.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <vector>

#include "backends/aot/artifact_cache.h"

namespace kiln::cli {

namespace fs = std::filesystem;

namespace {

// Everything the detached processes need, built before fork(): kiln may
// have threads by then, so the children make only async-signal-safe calls.
struct Plan {
  std::vector<std::string> args;
  std::vector<char*> argv;
  std::string lock_path;
};

// In the detached process: stdio on /dev/null, every other descriptor
// closed, so no pipe of the caller's stays open while the compile runs.
void detach_stdio() {
  int null = ::open("/dev/null", O_RDWR);
  if (null >= 0) {
    for (int fd = 0; fd <= 2; ++fd) ::dup2(null, fd);
  }
  ::close_range(3, ~0U, 0);
}

// Takes the module's compile lock, on a descriptor the detached process
// inherits (`kiln compile` does not: close-on-exec). False when another
// compile holds it, or finished and removed the file meanwhile (the lock we
// got would be on a file nobody else can see).
bool take_lock(const char* path) {
  int fd = ::open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0 || ::flock(fd, LOCK_EX | LOCK_NB) != 0) return false;
  struct stat held, named;
  if (::fstat(fd, &held) != 0 || ::stat(path, &named) != 0) return false;
  return held.st_dev == named.st_dev && held.st_ino == named.st_ino;
}

// The detached process: runs `kiln compile` under the lock it inherited
// (held until this process exits), then removes the lock file.
[[noreturn]] void compile_detached(const Plan& plan) {
  pid_t compile = ::fork();
  if (compile == 0) {
    // Behind whatever the user runs next, the next guest included.
    ::setpriority(PRIO_PROCESS, 0, 10);
    ::execv(plan.argv[0], plan.argv.data());
    ::_exit(127);
  }
  if (compile > 0) {
    while (::waitpid(compile, nullptr, 0) < 0 && errno == EINTR) {
    }
  }
  // Removed while still locked: a later run that opened the old file fails
  // take_lock()'s check rather than compiling twice.
  ::unlink(plan.lock_path.c_str());
  ::_exit(0);
}

}  // namespace

bool start_background_compile(const std::string& module_path, const std::string& module_sha256,
                              const std::string& cache_dir) {
  std::error_code error;
  // The compile reads the module again, after this process has gone: a
  // pipe (`kiln run <(...)`) would be empty by then.
  if (!fs::is_regular_file(module_path, error)) return false;
  const backends::aot::ArtifactCache cache(cache_dir);
  const std::string lock_dir = cache.dir() + "/compiling";
  fs::create_directories(lock_dir, error);
  // This very executable, whatever the caller's PATH holds.
  const std::string self = fs::read_symlink("/proc/self/exe", error).string();
  if (error || self.empty()) return false;

  Plan plan;
  plan.lock_path = lock_dir + "/" + module_sha256 + ".lock";
  const std::string base_dir = cache_dir.empty() ? backends::aot::ArtifactCache::default_dir() : cache_dir;
  plan.args = {self, "compile", "-j", "1", "--cache-dir", base_dir, "--", module_path};
  for (std::string& arg : plan.args) plan.argv.push_back(arg.data());
  plan.argv.push_back(nullptr);

  // Forked twice: the middle process starts a new session, takes the lock
  // and exits at once, so the compile has no controlling terminal, is
  // adopted by init (no zombie left to us) and outlives this process. When
  // this function returns, the compile holds the lock or was not started.
  pid_t middle = ::fork();
  if (middle < 0) return false;
  if (middle == 0) {
    ::setsid();
    detach_stdio();
    if (!take_lock(plan.lock_path.c_str())) ::_exit(0);
    pid_t detached = ::fork();
    if (detached == 0) compile_detached(plan);
    ::_exit(detached < 0 ? 1 : 0);
  }
  int status = 0;
  while (::waitpid(middle, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

}  // namespace kiln::cli
