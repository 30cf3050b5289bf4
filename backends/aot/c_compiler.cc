#include "backends/aot/c_compiler.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <climits>
#include <cstdio>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <mutex>
#include <optional>
#include <sstream>
#include <thread>

namespace kiln::backends::aot {

namespace {

std::atomic<uint64_t> g_invocations{0};

std::mutex g_variant_mutex;
BuildVariant g_variant;  // under g_variant_mutex

struct Outcome {
  int status = -1;       // waitpid status
  bool timed_out = false;
  std::string output;    // stderr + stdout
};

// fork/exec with the limits applied in the child; stdout and stderr go to
// `log_path`. Only async-signal-safe calls between fork and exec.
Result<Outcome> run(const std::vector<std::string>& argv, const std::string& log_path, const CompilerLimits& limits) {
  std::vector<char*> args;
  for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  int log = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (log < 0) return make_error(ErrorKind::Io, "cannot create " + log_path);
  g_invocations.fetch_add(1, std::memory_order_relaxed);
  pid_t pid = ::fork();
  if (pid < 0) {
    ::close(log);
    return make_error(ErrorKind::Internal, "cannot start the C compiler (fork failed)");
  }
  if (pid == 0) {
    rlimit cpu{limits.cpu_seconds, limits.cpu_seconds + 1};
    rlimit as{limits.address_space_bytes, limits.address_space_bytes};
    ::setrlimit(RLIMIT_CPU, &cpu);
    ::setrlimit(RLIMIT_AS, &as);
    ::dup2(log, 1);
    ::dup2(log, 2);
    int null = ::open("/dev/null", O_RDONLY);
    if (null >= 0) ::dup2(null, 0);
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  ::close(log);
  Outcome outcome;
  auto deadline = std::chrono::steady_clock::now() + limits.wall;
  auto pause = std::chrono::milliseconds(1);
  for (;;) {
    pid_t done = ::waitpid(pid, &outcome.status, WNOHANG);
    if (done == pid) break;
    if (done < 0 && errno != EINTR) return make_error(ErrorKind::Internal, "cannot wait for the C compiler");
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &outcome.status, 0);
      outcome.timed_out = true;
      break;
    }
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::milliseconds(20));
  }
  std::ifstream in(log_path);
  std::stringstream text;
  text << in.rdbuf();
  outcome.output = text.str();
  return outcome;
}

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

// "<resolved path>|<size>|<inode>|<mtime ns>" of the command, found on
// $PATH as execvp would; empty when it cannot be found.
std::string binary_fingerprint(const std::string& command) {
  std::vector<std::string> candidates;
  if (command.find('/') != std::string::npos) {
    candidates.push_back(command);
  } else if (const char* path = std::getenv("PATH")) {
    std::string dirs = path;
    for (size_t start = 0; start <= dirs.size();) {
      size_t end = dirs.find(':', start);
      if (end == std::string::npos) end = dirs.size();
      candidates.push_back((end > start ? dirs.substr(start, end - start) : ".") + "/" + command);
      start = end + 1;
    }
  }
  for (const std::string& candidate : candidates) {
    char resolved[PATH_MAX];
    struct stat info;
    if (::access(candidate.c_str(), X_OK) != 0 || !::realpath(candidate.c_str(), resolved)) continue;
    if (::stat(resolved, &info) != 0) continue;
    return std::string(resolved) + "|" + std::to_string(info.st_size) + "|" + std::to_string(info.st_ino) + "|" +
           std::to_string(info.st_mtim.tv_sec) + "." + std::to_string(info.st_mtim.tv_nsec);
  }
  return {};
}

std::string memo_file(const std::string& memo_dir, const std::string& command) {
  std::string name;
  for (char c : command) name += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  return memo_dir + "/compiler-" + name + ".id";
}

// The compiler's first "error" line, else its first line.
std::string first_error(const std::string& output) {
  std::istringstream in(output);
  std::string line;
  while (std::getline(in, line)) {
    if (line.find("error") != std::string::npos) return line;
  }
  return first_line(output);
}

}  // namespace

std::string BuildVariant::key() const {
  if (is_default()) return {};
  return std::string("variant") + (fuel ? " fuel" : " no-fuel") + (conformance ? " conformance" : " plain") +
         (guard_pages ? " guard-pages" : " bounds-checks");
}

void set_build_variant(BuildVariant variant) {
  std::lock_guard lock(g_variant_mutex);
  g_variant = variant;
}

BuildVariant build_variant() {
  std::lock_guard lock(g_variant_mutex);
  return g_variant;
}

uint64_t compiler_invocations() { return g_invocations.load(std::memory_order_relaxed); }

Result<Compiler> Compiler::from_environment(const std::string& memo_dir) {
  static std::mutex mutex;
  static std::optional<Result<Compiler>> cached;
  std::lock_guard lock(mutex);
  if (cached) return *cached;
  Compiler compiler;
  const char* cc = std::getenv("CC");
  compiler.command = cc && *cc ? cc : "cc";
  const std::string fingerprint = binary_fingerprint(compiler.command);
  std::string identity;
  if (!memo_dir.empty() && !fingerprint.empty()) {
    std::ifstream in(memo_file(memo_dir, compiler.command));
    std::string stored_fingerprint;
    if (std::getline(in, stored_fingerprint) && stored_fingerprint == fingerprint) std::getline(in, identity);
  }
  if (identity.empty()) {
    auto probed = probe_identity(compiler);
    if (!probed) {
      cached = probed.error();
      return *cached;
    }
    identity = *probed;
    if (!memo_dir.empty() && !fingerprint.empty()) {
      // Written whole and renamed: a concurrent reader sees the old or the new.
      std::string temp = memo_file(memo_dir, compiler.command) + "." + std::to_string(::getpid());
      std::ofstream(temp) << fingerprint << "\n" << identity << "\n";
      std::rename(temp.c_str(), memo_file(memo_dir, compiler.command).c_str());
    }
  }
  compiler.identity = identity;
  compiler.configure_flags();
  cached = compiler;
  return compiler;
}

bool Compiler::found() {
  const char* cc = std::getenv("CC");
  return !binary_fingerprint(cc && *cc ? cc : "cc").empty();
}

Result<std::string> Compiler::probe_identity(const Compiler& compiler) {
  char log_template[] = "/tmp/kiln-cc-version-XXXXXX";
  int fd = ::mkstemp(log_template);
  if (fd < 0) return make_error(ErrorKind::Io, "cannot create a temporary file");
  ::close(fd);
  auto outcome = run({compiler.command, "--version"}, log_template, compiler.limits);
  ::unlink(log_template);
  if (!outcome) return outcome.error();
  if (!WIFEXITED(outcome->status) || WEXITSTATUS(outcome->status) != 0) {
    return make_error(ErrorKind::Internal, "the C compiler '" + compiler.command + "' cannot be run (set $CC to a C compiler)");
  }
  return first_line(outcome->output);
}

void Compiler::configure_flags(const BuildVariant& variant) {
  bool clang = identity.find("clang") != std::string::npos;
  // -O3: metered code gains most from it (fib 2.2x -> 1.3x native, matmul
  // 1.8x -> 1.3x; docs/aot.md), for 8 KiB more artifact and compile times
  // within the noise of -O2's.
  // -s and -z noseparate-code keep small artifacts small: no symbol table
  // (dlsym reads the dynamic one) and no page of padding between the
  // code and data segments (add_one: 17,320 bytes without them).
  flags = {"-O3", "-fPIC", "-shared", "-fvisibility=hidden", "-std=gnu11", "-w", "-s", "-Wl,-z,noseparate-code"};
  libraries = {"-lm"};
  if (!variant.guard_pages) flags.push_back("-DWASM_RT_MEMCHECK_SIGNAL_HANDLER=0");
  if (!variant.conformance) return;
  // wasm2c's conformance flags: no sibling calls (unbounded recursion must
  // exhaust the stack), IEEE rounding and NaNs.
  flags.insert(flags.end(), {"-fno-optimize-sibling-calls", "-frounding-math",
                             // frames larger than the guard are probed, so they fault on it
                             "-fstack-clash-protection"});
  if (!clang) flags.push_back("-fsignaling-nans");
}

Result<void> Compiler::compile_shared(const std::string& dir, const std::vector<std::string>& sources,
                                      const std::vector<std::string>& include_dirs, const std::string& output) const {
  std::vector<std::string> argv{command};
  argv.insert(argv.end(), flags.begin(), flags.end());
  for (const std::string& include : include_dirs) argv.push_back("-I" + include);
  for (const std::string& source : sources) argv.push_back(dir + "/" + source);
  argv.insert(argv.end(), libraries.begin(), libraries.end());
  argv.push_back("-o");
  argv.push_back(output);
  auto outcome = run(argv, dir + "/compiler.log", limits);
  if (!outcome) return outcome.error();
  if (outcome->timed_out) {
    return make_error(ErrorKind::InvalidModule, "the C compiler took longer than " + std::to_string(limits.wall.count()) + " s and was stopped");
  }
  if (WIFSIGNALED(outcome->status)) {
    int sig = WTERMSIG(outcome->status);
    if (sig == SIGXCPU || sig == SIGKILL) return make_error(ErrorKind::InvalidModule, "the C compiler hit its CPU time limit and was stopped");
    return make_error(ErrorKind::InvalidModule, "the C compiler died of signal " + std::to_string(sig));
  }
  if (WEXITSTATUS(outcome->status) == 127) return make_error(ErrorKind::Internal, "cannot run the C compiler '" + command + "'");
  if (WEXITSTATUS(outcome->status) != 0) {
    std::string reason = first_error(outcome->output);
    if (reason.find("memory") != std::string::npos) reason += " (memory limit)";
    return make_error(ErrorKind::InvalidModule, "the C compiler failed: " + reason);
  }
  return {};
}

}  // namespace kiln::backends::aot
