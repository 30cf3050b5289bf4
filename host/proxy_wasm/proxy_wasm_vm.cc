#include "host/proxy_wasm/proxy_wasm_vm.h"

#include <algorithm>

#include "kiln/linker.h"
#include "kiln/typed_func.h"
#include "kiln/wasi.h"

namespace kiln::host::proxy_wasm {
namespace {

constexpr uint32_t kRootContext = 1;

// Every argument the ABI passes is an i32 (sizes, ids, flags).
uint32_t u32(uint64_t v) { return static_cast<uint32_t>(v); }

// The parameters each callback takes in ABI 0.2.1 (all i32). A callback may
// return one i32 or nothing: the SDKs differ on which ones answer a bool.
constexpr size_t kParams[] = {0, 0, 2, 2, 2, 1, 3, 3, 3, 3, 1, 1, 1};
constexpr size_t kMostParams = 3;

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
  for (size_t i = 0; i < callbacks_.size(); ++i) {
    const char* callback = name(static_cast<Callback>(i));
    const ExportDesc* desc = filter.module().info().find_export(callback);
    if (!desc || desc->kind != ExternKind::Func) continue;
    const FuncType& type = desc->func_type;
    const bool params_ok = type.params.size() == kParams[i] &&
                           std::all_of(type.params.begin(), type.params.end(), [](ValType t) { return t == ValType::I32; });
    const bool results_ok = type.results.empty() || (type.results.size() == 1 && type.results[0] == ValType::I32);
    if (!params_ok || !results_ok) {
      if (type_error_.empty()) {
        type_error_ = filter.module().name() + ": export '" + callback + "' has type " + to_string(type) + ", not " +
                      std::to_string(kParams[i]) + " i32 parameter(s) and at most one i32 result (proxy-wasm 0.2.1)";
      }
      continue;
    }
    callbacks_[i] = ResolvedCallback{*filter_.get_export(callback), !type.results.empty()};
  }
}

const char* ProxyWasmVm::name(Callback callback) {
  // In Callback's order.
  static constexpr const char* kNames[] = {
      "_initialize",
      "_start",
      "proxy_on_context_create",
      "proxy_on_vm_start",
      "proxy_on_configure",
      "proxy_on_tick",
      "proxy_on_request_headers",
      "proxy_on_request_body",
      "proxy_on_response_headers",
      "proxy_on_response_body",
      "proxy_on_log",
      "proxy_on_done",
      "proxy_on_delete",
  };
  static_assert(std::size(kNames) == static_cast<size_t>(Callback::Count));
  return kNames[static_cast<size_t>(callback)];
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
  if (!vm->type_error_.empty()) return make_error(ErrorKind::Contract, vm->type_error_);
  // A reactor initializes itself; a command's `_start` is its initializer.
  for (Callback init : {Callback::Initialize, Callback::Start}) {
    if (vm->exports(init)) {
      if (auto ran = vm->invoke(init, {}); !ran) return ran.error();
      break;
    }
  }
  if (auto created = vm->invoke(Callback::ContextCreate, {u32(kRootContext), u32(0)}); !created) {
    return created.error();
  }
  auto started = vm->invoke(Callback::VmStart, {u32(kRootContext), u32(vm->call_->vm_configuration.size())});
  if (!started) return started.error();
  if (vm->exports(Callback::VmStart) && *started == 0) {
    return make_error(ErrorKind::Contract, filter.name() + ": proxy_on_vm_start refused its configuration");
  }
  auto configured =
      vm->invoke(Callback::Configure, {u32(kRootContext), u32(vm->call_->plugin_configuration.size())});
  if (!configured) return configured.error();
  if (vm->exports(Callback::Configure) && *configured == 0) {
    return make_error(ErrorKind::Contract, filter.name() + ": proxy_on_configure refused its configuration");
  }
  return vm;
}

// A raw call: no argument vector, no result vector, no clock reads; the
// types were checked when the VM started.
Result<uint32_t> ProxyWasmVm::invoke(Callback which, std::initializer_list<uint32_t> args) {
  const std::optional<ResolvedCallback>& callback = callbacks_[static_cast<size_t>(which)];
  if (!callback) return 0u;
  store_->limits() = limits_;
  RawValue slots[kMostParams];
  size_t i = 0;
  for (uint32_t arg : args) slots[i++].i64 = arg;
  RawCallStatus status;
  detail::call_raw(*store_, callback->func, slots, status);
  if (status.status == CallResult::Status::Returned) return callback->has_result ? slots[0].i32 : 0u;
  broken_ = true;
  const std::string what = name(which);
  if (status.status == CallResult::Status::Trapped) {
    return make_error(error_kind(status.trap.kind), what + ": " + status.trap.describe());
  }
  if (status.status == CallResult::Status::Exited) {
    return make_error(ErrorKind::Exit, what + ": the filter exited with code " + std::to_string(status.exit_code));
  }
  return make_error(ErrorKind::Internal, what + ": " + status.error);
}

Result<std::unique_ptr<ProxyWasmVm::Stream>> ProxyWasmVm::new_stream() {
  const uint32_t id = next_context_++;
  if (auto created = invoke(Callback::ContextCreate, {u32(id), u32(kRootContext)}); !created) {
    return created.error();
  }
  return std::unique_ptr<Stream>(new Stream(*this, id));
}

Result<void> ProxyWasmVm::tick() {
  if (auto ticked = invoke(Callback::Tick, {u32(kRootContext)}); !ticked) return ticked.error();
  return {};
}

// The stream's parts are the call's for the duration of one callback.
Result<uint32_t> ProxyWasmVm::Stream::run(Callback callback, std::initializer_list<uint32_t> args) {
  ProxyWasmCall& call = *vm_.call_;
  VectorHeaderMap request(request_headers), request_tail(request_trailers), response(response_headers),
      response_tail(response_trailers);
  call.request_headers = request_headers_in_place ? request_headers_in_place : &request;
  call.request_trailers = &request_tail;
  call.response_headers = response_headers_in_place ? response_headers_in_place : &response;
  call.response_trailers = &response_tail;
  call.request_body = &request_body;
  call.response_body = &response_body;
  call.local_response = &local_response;
  call.effective_context = id_;
  auto result = vm_.invoke(callback, args);
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

uint32_t pairs(const HeaderMap& map, const HeaderMapAccess* in_place) {
  return static_cast<uint32_t>(in_place ? in_place->count() : map.size());
}
}  // namespace

Result<Action> ProxyWasmVm::Stream::on_request_headers(bool end_of_stream) {
  return action(run(Callback::RequestHeaders, {u32(id_), u32(pairs(request_headers, request_headers_in_place)), u32(end_of_stream)}));
}

Result<Action> ProxyWasmVm::Stream::on_request_body(bool end_of_stream) {
  return action(
      run(Callback::RequestBody, {u32(id_), u32(static_cast<uint32_t>(request_body.size())), u32(end_of_stream)}));
}

Result<Action> ProxyWasmVm::Stream::on_response_headers(bool end_of_stream) {
  return action(run(Callback::ResponseHeaders, {u32(id_), u32(pairs(response_headers, response_headers_in_place)), u32(end_of_stream)}));
}

Result<Action> ProxyWasmVm::Stream::on_response_body(bool end_of_stream) {
  return action(
      run(Callback::ResponseBody, {u32(id_), u32(static_cast<uint32_t>(response_body.size())), u32(end_of_stream)}));
}

Result<void> ProxyWasmVm::Stream::finish() {
  if (finished_) return {};
  finished_ = true;
  for (Callback callback : {Callback::Log, Callback::Done, Callback::Delete}) {
    if (auto ran = run(callback, {u32(id_)}); !ran) return ran.error();
  }
  return {};
}

ProxyWasmVm::Stream::~Stream() {
  if (!finished_ && !vm_.broken()) (void)finish();
}

}  // namespace kiln::host::proxy_wasm
