#include "host/proxy_wasm/proxy_wasm_vm.h"

#include "kiln/linker.h"
#include "kiln/wasi.h"

namespace kiln::host::proxy_wasm {
namespace {

constexpr uint32_t kRootContext = 1;

Value i32(uint32_t v) { return Value::from_i32(v); }

}  // namespace

ProxyWasmVm::ProxyWasmVm(std::unique_ptr<Store> store, Instance filter, ProxyWasmConfig config)
    : store_(std::move(store)), filter_(filter), limits_(config.limits), call_(std::make_shared<ProxyWasmCall>(filter)) {
  call_->vm_configuration = std::move(config.vm_configuration);
  call_->plugin_configuration = std::move(config.plugin_configuration);
  call_->log_level = config.log_level;
  call_->log_sink = std::move(config.log_sink);
  call_->properties = std::move(config.properties);
  call_->shared = config.shared ? std::move(config.shared) : std::make_shared<SharedData>();
  call_->metrics = config.metrics ? std::move(config.metrics) : std::make_shared<Metrics>();
  set_call(*store_, call_);
}

ProxyWasmVm::~ProxyWasmVm() = default;

Result<std::unique_ptr<ProxyWasmVm>> ProxyWasmVm::start(const Module& filter, ProxyWasmConfig config) {
  if (!filter.info().find_export("proxy_abi_version_0_2_1")) {
    return make_error(ErrorKind::Contract, filter.name() +
                                               ": not a proxy-wasm 0.2.1 filter (it exports no proxy_abi_version_0_2_1)");
  }
  auto store = std::make_unique<Store>(filter.engine());
  store->limits() = config.limits;
  // The SDKs' filters use WASI for their runtime (clocks, randomness, a
  // stderr to panic on); what they write is discarded, proxy_log is the log.
  attach_wasi(*store, std::make_shared<WasiContext>(WasiConfig{}));
  Linker linker;
  add_wasi(linker);
  add_proxy_wasm(linker);
  std::optional<Trap> trap;
  auto instance = store->instantiate(filter, linker, &trap);
  if (!instance) return instance.error();
  std::unique_ptr<ProxyWasmVm> vm(new ProxyWasmVm(std::move(store), *instance, std::move(config)));
  // A reactor initializes itself; a command's `_start` is its initializer.
  for (const char* init : {"_initialize", "_start"}) {
    if (filter.info().find_export(init)) {
      if (auto ran = vm->invoke(init, {}); !ran) return ran.error();
      break;
    }
  }
  if (auto created = vm->invoke("proxy_on_context_create", {i32(kRootContext), i32(0)}); !created) {
    return created.error();
  }
  auto started = vm->invoke("proxy_on_vm_start", {i32(kRootContext), i32(vm->call_->vm_configuration.size())});
  if (!started) return started.error();
  if (filter.info().find_export("proxy_on_vm_start") && *started == 0) {
    return make_error(ErrorKind::Contract, filter.name() + ": proxy_on_vm_start refused its configuration");
  }
  auto configured =
      vm->invoke("proxy_on_configure", {i32(kRootContext), i32(vm->call_->plugin_configuration.size())});
  if (!configured) return configured.error();
  if (filter.info().find_export("proxy_on_configure") && *configured == 0) {
    return make_error(ErrorKind::Contract, filter.name() + ": proxy_on_configure refused its configuration");
  }
  return vm;
}

Result<uint32_t> ProxyWasmVm::invoke(const char* callback, std::vector<Value> args) {
  if (!filter_.get_export(callback)) return 0u;
  store_->limits() = limits_;
  CallResult result = filter_.call(callback, args);
  if (result.returned()) return result.values.empty() ? 0u : static_cast<uint32_t>(result.values[0].i32);
  broken_ = true;
  if (result.trapped()) {
    return make_error(error_kind(result.trap.kind), std::string(callback) + ": " + result.trap.describe());
  }
  if (result.exited()) {
    return make_error(ErrorKind::Exit, std::string(callback) + ": the filter exited with code " +
                                           std::to_string(result.exit_code));
  }
  return make_error(ErrorKind::Internal, std::string(callback) + ": " + result.error);
}

Result<std::unique_ptr<ProxyWasmVm::Stream>> ProxyWasmVm::new_stream() {
  const uint32_t id = next_context_++;
  if (auto created = invoke("proxy_on_context_create", {i32(id), i32(kRootContext)}); !created) {
    return created.error();
  }
  return std::unique_ptr<Stream>(new Stream(*this, id));
}

Result<void> ProxyWasmVm::tick() {
  if (auto ticked = invoke("proxy_on_tick", {i32(kRootContext)}); !ticked) return ticked.error();
  return {};
}

// The stream's parts are the call's for the duration of one callback.
Result<uint32_t> ProxyWasmVm::Stream::run(const char* callback, std::vector<Value> args) {
  ProxyWasmCall& call = *vm_.call_;
  call.request_headers = &request_headers;
  call.request_trailers = &request_trailers;
  call.response_headers = &response_headers;
  call.response_trailers = &response_trailers;
  call.request_body = &request_body;
  call.response_body = &response_body;
  call.local_response = &local_response;
  call.effective_context = id_;
  auto result = vm_.invoke(callback, std::move(args));
  call.request_headers = call.request_trailers = call.response_headers = call.response_trailers = nullptr;
  call.request_body = call.response_body = nullptr;
  call.local_response = nullptr;
  return result;
}

namespace {
Result<Action> action(Result<uint32_t> result) {
  if (!result) return result.error();
  return *result == static_cast<uint32_t>(Action::Pause) ? Action::Pause : Action::Continue;
}

uint32_t pairs(const HeaderMap& map) { return static_cast<uint32_t>(map.size()); }
}  // namespace

Result<Action> ProxyWasmVm::Stream::on_request_headers(bool end_of_stream) {
  return action(run("proxy_on_request_headers", {i32(id_), i32(pairs(request_headers)), i32(end_of_stream)}));
}

Result<Action> ProxyWasmVm::Stream::on_request_body(bool end_of_stream) {
  return action(
      run("proxy_on_request_body", {i32(id_), i32(static_cast<uint32_t>(request_body.size())), i32(end_of_stream)}));
}

Result<Action> ProxyWasmVm::Stream::on_response_headers(bool end_of_stream) {
  return action(run("proxy_on_response_headers", {i32(id_), i32(pairs(response_headers)), i32(end_of_stream)}));
}

Result<Action> ProxyWasmVm::Stream::on_response_body(bool end_of_stream) {
  return action(
      run("proxy_on_response_body", {i32(id_), i32(static_cast<uint32_t>(response_body.size())), i32(end_of_stream)}));
}

Result<void> ProxyWasmVm::Stream::finish() {
  if (finished_) return {};
  finished_ = true;
  for (const char* callback : {"proxy_on_log", "proxy_on_done", "proxy_on_delete"}) {
    if (auto ran = run(callback, {i32(id_)}); !ran) return ran.error();
  }
  return {};
}

ProxyWasmVm::Stream::~Stream() {
  if (!finished_ && !vm_.broken()) (void)finish();
}

}  // namespace kiln::host::proxy_wasm
