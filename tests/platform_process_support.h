// Starting `kiln` in the background, to kill it or to watch what another
// process's deploy does to a running executor: what the crash and the
// concurrency tests share.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <string>
#include <vector>

#include "test_support.h"

namespace kiln::test {

// A kiln process started by spawn_kiln. Its own process group, so that a
// kill reaches the C compiler it may have started too, as `kill -9` of a
// deploy in a terminal (the whole job) would.
struct KilnProcess {
  pid_t pid = -1;
  std::chrono::steady_clock::time_point started;

  // SIGKILL to the process group.
  void kill_now() const {
    if (pid > 0) ::kill(-pid, SIGKILL);
  }
  // Blocks until it ends; the waitpid status.
  int wait() {
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    pid = -1;
    return status;
  }
  // Whether it has ended; `status` is set when it has.
  bool ended(int& status) {
    if (pid < 0) return true;
    if (::waitpid(pid, &status, WNOHANG) != pid) return false;
    pid = -1;
    return true;
  }
};

// Starts kiln with `args` and `env` added to this process's environment;
// its stdin is /dev/null and its stdout and stderr go to `log_path` (or
// /dev/null when empty).
inline KilnProcess spawn_kiln(const std::vector<std::string>& args, const std::vector<std::string>& env,
                              const std::string& log_path = "") {
  KilnCommand command(args, env);
  std::string out = log_path.empty() ? "/dev/null" : log_path;

  KilnProcess process;
  process.started = std::chrono::steady_clock::now();
  process.pid = ::fork();
  if (process.pid == 0) {
    ::setpgid(0, 0);
    int null_in = ::open("/dev/null", O_RDONLY);
    int log = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (null_in >= 0) ::dup2(null_in, 0);
    if (log >= 0) {
      ::dup2(log, 1);
      ::dup2(log, 2);
    }
    ::execve(command.binary.c_str(), command.argv.data(), command.envp.data());
    ::_exit(127);
  }
  // Also from the parent: the group exists before any kill, whichever runs first.
  if (process.pid > 0) ::setpgid(process.pid, process.pid);
  return process;
}

}  // namespace kiln::test
