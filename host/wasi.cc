// The WasiContext, how it is found from a Store, and the list of every
// preview1 function group.
#include "kiln/wasi.h"

#include "host/wasi_call.h"
#include "kiln/linker.h"
#include "kiln/store.h"

namespace kiln::host {

namespace {

// The key WASI's state is kept under in a Store (see Store::host_data).
const char kWasiKey = 0;

constexpr uint64_t kStdinRights =
    wasi::kRightFdRead | wasi::kRightFdFdstatSetFlags | wasi::kRightFdFilestatGet | wasi::kRightPollFdReadwrite;
constexpr uint64_t kStdoutRights =
    wasi::kRightFdWrite | wasi::kRightFdFdstatSetFlags | wasi::kRightFdFilestatGet | wasi::kRightPollFdReadwrite;

std::unique_ptr<wasi::Stdio> make_stdio(const WasiConfig& config) {
  if (config.stdio == WasiConfig::Stdio::Inherit) return wasi::make_inherited_stdio();
  return wasi::make_buffered_stdio(config.stdin_data, config.max_output_bytes);
}

}  // namespace

WasiContext::State::State(WasiConfig config_in) : config(std::move(config_in)), stdio(make_stdio(config)) {
  // Stdio has no seek or tell right: wasi-libc's isatty() takes a character
  // device without them for a terminal, which makes stdout line-buffered.
  fds[0] = wasi::FdEntry{.stream = wasi::StdStream::In, .rights_base = kStdinRights};
  fds[1] = wasi::FdEntry{.stream = wasi::StdStream::Out, .rights_base = kStdoutRights};
  fds[2] = wasi::FdEntry{.stream = wasi::StdStream::Err, .rights_base = kStdoutRights};
}

wasi::FdEntry* WasiContext::State::fd(uint32_t fd) {
  if (fd >= fds.size() || !fds[fd]) return nullptr;
  return &*fds[fd];
}

WasiContext::WasiContext(WasiConfig config) : state_(std::make_unique<State>(std::move(config))) {}
WasiContext::~WasiContext() = default;

const WasiConfig& WasiContext::config() const { return state_->config; }
std::string_view WasiContext::stdout_data() const { return state_->stdio->captured(wasi::StdStream::Out); }
std::string_view WasiContext::stderr_data() const { return state_->stdio->captured(wasi::StdStream::Err); }
uint64_t WasiContext::output_dropped_bytes() const { return state_->stdio->dropped_bytes(); }
WasiContext::State& WasiContext::state() { return *state_; }

void add_wasi(Linker& linker) {
  wasi::add_args_functions(linker);
  wasi::add_clock_functions(linker);
  wasi::add_poll_functions(linker);
  wasi::add_stdio_fd_functions(linker);
  wasi::add_unsupported_fd_functions(linker);
  wasi::add_path_functions(linker);
  wasi::add_sock_functions(linker);
  wasi::add_proc_functions(linker);
  wasi::add_random_functions(linker);
}

namespace {

// Copies what each call wrote to the captured streams into its CallResult.
class OutputRecorder final : public Store::CallObserver {
 public:
  explicit OutputRecorder(std::shared_ptr<WasiContext> context) : context_(std::move(context)) {}

  void call_started() override {
    out_start_ = context_->stdout_data().size();
    err_start_ = context_->stderr_data().size();
  }
  void call_finished(CallResult& result) override {
    result.stdout_bytes = std::string(context_->stdout_data().substr(out_start_));
    result.stderr_bytes = std::string(context_->stderr_data().substr(err_start_));
  }

 private:
  std::shared_ptr<WasiContext> context_;
  size_t out_start_ = 0;
  size_t err_start_ = 0;
};

}  // namespace

void attach_wasi(Store& store, std::shared_ptr<WasiContext> context) {
  if (context->config().stdio == WasiConfig::Stdio::Buffered) {
    store.add_call_observer(std::make_shared<OutputRecorder>(context));
  }
  store.set_host_data(&kWasiKey, std::move(context));
}

WasiContext* wasi_context(Store& store) { return static_cast<WasiContext*>(store.host_data(&kWasiKey)); }

namespace wasi {

WaitLimit WasiCall::deadline() { return host_.store().call_deadline(); }

HostResult deadline_trap(const char* function) {
  return HostResult::trapped(TrapKind::Deadline, std::string(function) + " waited until the call's deadline");
}

Errno refuse(WasiCall& call, uint32_t fd, Errno if_open) {
  return call.state().fd(fd) ? if_open : Errno::Badf;
}

namespace detail {

HostResult no_context_trap(const char* function) {
  return HostResult::trapped(TrapKind::HostError,
                             std::string("wasi_snapshot_preview1.") + function + ": no WASI context attached to the store");
}

}  // namespace detail

}  // namespace wasi

}  // namespace kiln::host
