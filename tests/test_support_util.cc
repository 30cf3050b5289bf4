#include "tests/test_support.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <fstream>
#include <iterator>
#include <stdexcept>

namespace kiln::test {

std::vector<std::string> with_env(const std::vector<std::string>& env) {
  std::vector<std::string> out;
  auto name_of = [](const std::string& entry) { return entry.substr(0, entry.find('=')); };
  for (char** e = environ; e && *e; ++e) {
    std::string entry = *e;
    bool replaced = false;
    for (const std::string& extra : env) replaced = replaced || name_of(extra) == name_of(entry);
    if (!replaced) out.push_back(std::move(entry));
  }
  for (const std::string& extra : env) out.push_back(extra);
  return out;
}

std::string guest_path(const std::string& stem) { return std::string(KILN_GUEST_DIR) + "/" + stem + ".wasm"; }

std::vector<uint8_t> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

KilnCommand::KilnCommand(const std::vector<std::string>& args, const std::vector<std::string>& env)
    : binary(KILN_BINARY), arg_strings(args), env_strings(with_env(env)) {
  argv.push_back(binary.data());
  for (std::string& arg : arg_strings) argv.push_back(arg.data());
  argv.push_back(nullptr);
  for (std::string& entry : env_strings) envp.push_back(entry.data());
  envp.push_back(nullptr);
}

ProcessResult run_kiln(const std::vector<std::string>& args, const std::string& stdin_data) {
  return run_kiln_env(args, {}, stdin_data);
}

ProcessResult run_kiln_env(const std::vector<std::string>& args, const std::vector<std::string>& env,
                           const std::string& stdin_data) {
  KilnCommand command(args, env);

  int in_pipe[2], out_pipe[2], err_pipe[2];
  // Close-on-exec: a child forked meanwhile by another thread must not keep
  // this one's stdin open (its reader would never see the end of it).
  if (pipe2(in_pipe, O_CLOEXEC) || pipe2(out_pipe, O_CLOEXEC) || pipe2(err_pipe, O_CLOEXEC)) {
    throw std::runtime_error("pipe failed");
  }
  pid_t pid = fork();
  if (pid == 0) {
    dup2(in_pipe[0], 0);
    dup2(out_pipe[1], 1);
    dup2(err_pipe[1], 2);
    for (int fd : {in_pipe[0], in_pipe[1], out_pipe[0], out_pipe[1], err_pipe[0], err_pipe[1]}) close(fd);
    execve(command.binary.c_str(), command.argv.data(), command.envp.data());
    _exit(127);
  }
  close(in_pipe[0]);
  close(out_pipe[1]);
  close(err_pipe[1]);
  signal(SIGPIPE, SIG_IGN);

  ProcessResult result;
  size_t written = 0;
  if (stdin_data.empty()) close(in_pipe[1]);
  // Non-blocking, so a child that writes lots of output before reading all
  // its input cannot deadlock against us.
  else fcntl(in_pipe[1], F_SETFL, O_NONBLOCK);
  pollfd fds[3] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}, {in_pipe[1], POLLOUT, 0}};
  int open_fds = 2;
  bool stdin_open = !stdin_data.empty();
  while (open_fds > 0 || stdin_open) {
    int n = poll(fds, stdin_open ? 3 : 2, -1);
    if (n < 0 && errno == EINTR) continue;
    char buf[65536];
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP))) continue;
      ssize_t got = read(fds[i].fd, buf, sizeof buf);
      if (got <= 0) {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
        continue;
      }
      (i == 0 ? result.out : result.err).append(buf, static_cast<size_t>(got));
    }
    if (stdin_open && (fds[2].revents & (POLLOUT | POLLERR | POLLHUP))) {
      ssize_t put = write(in_pipe[1], stdin_data.data() + written, stdin_data.size() - written);
      if (put < 0 && errno == EAGAIN) continue;
      if (put > 0) written += static_cast<size_t>(put);
      if (put <= 0 || written == stdin_data.size()) {
        close(in_pipe[1]);
        stdin_open = false;
      }
    }
  }
  int status = 0;
  waitpid(pid, &status, 0);
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) result.signal = WTERMSIG(status);
  return result;
}

}  // namespace kiln::test
