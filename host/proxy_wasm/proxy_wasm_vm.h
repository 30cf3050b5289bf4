// A proxy-wasm VM: one filter instance in a Store of its own, driven the
// way a proxy drives it (proxy-wasm ABI 0.2.1). start() makes the root
// context (id 1) and runs the filter's vm-start and configure callbacks;
// each HTTP stream is a Stream with a context of its own, whose callbacks
// see and change the stream's headers and bodies and may answer it
// locally. Independent of any proxy: tests drive it directly, and a proxy
// plugin (ats/, kiln_ats.so for Traffic Server) calls the same functions from
// its hooks. Not thread-safe: one VM serves one thread at a time, as a
// proxy's worker owns its VM.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "host/proxy_wasm/proxy_wasm_abi.h"
#include "kiln/limits.h"
#include "kiln/module.h"
#include "kiln/result.h"
#include "kiln/store.h"

namespace kiln::host::proxy_wasm {

struct ProxyWasmConfig {
  std::string vm_configuration;      // proxy_on_vm_start's buffer
  std::string plugin_configuration;  // proxy_on_configure's buffer
  LogLevel log_level = LogLevel::Info;
  // Receives each line the filter logs at or above log_level; without one,
  // logs() keeps them all.
  std::function<void(const LogLine&)> log_sink;
  // Shared by the VMs given the same object (null: one of this VM's own).
  std::shared_ptr<SharedData> shared;
  std::shared_ptr<Metrics> metrics;
  // What proxy_get_property answers, by dotted path ("plugin_name").
  std::map<std::string, std::string, std::less<>> properties;
  // Fuel, memory and time for each callback.
  Limits limits;
};

class ProxyWasmVm {
 public:
  class Stream;

  // Fails with the filter's trap, a link error naming a missing import, or
  // a message when vm-start or configure returns false.
  static Result<std::unique_ptr<ProxyWasmVm>> start(const Module& filter, ProxyWasmConfig config);
  ~ProxyWasmVm();

  // A new stream context (proxy_on_context_create with the root as parent).
  Result<std::unique_ptr<Stream>> new_stream();
  // proxy_on_tick on the root context.
  Result<void> tick();

  // What the filter logged at or above the configured level, in order
  // (empty when the configuration has a log_sink).
  const std::vector<LogLine>& logs() const { return call_->logs; }
  uint32_t tick_period_ms() const { return call_->tick_period_ms; }
  const std::shared_ptr<SharedData>& shared() const { return call_->shared; }
  const std::shared_ptr<Metrics>& metrics() const { return call_->metrics; }
  // True once a callback trapped: the filter's state may be half-changed,
  // so a proxy replaces the VM (and fails only that request).
  bool broken() const { return broken_; }
  // The filter's linear memory, in bytes: what this VM holds beyond the
  // module's shared code and its Store.
  uint64_t memory_bytes() const { return filter_.memory().size(); }

 private:
  // The filter's exports the host calls, resolved once when the VM starts.
  enum class Callback {
    Initialize, Start, ContextCreate, VmStart, Configure, Tick,
    RequestHeaders, RequestBody, ResponseHeaders, ResponseBody, Log, Done, Delete,
    Count
  };
  static const char* name(Callback callback);

  ProxyWasmVm(std::unique_ptr<Store> store, Instance filter, ProxyWasmConfig config);
  bool exports(Callback callback) const { return callbacks_[static_cast<size_t>(callback)].has_value(); }
  // Calls `callback` if the filter exports it; its i32 result, or 0 when it
  // has none or is not exported.
  Result<uint32_t> invoke(Callback callback, std::initializer_list<uint32_t> args);

  std::unique_ptr<Store> store_;
  Instance filter_;
  struct ResolvedCallback {
    Extern func;
    bool has_result;
  };
  std::array<std::optional<ResolvedCallback>, static_cast<size_t>(Callback::Count)> callbacks_;
  std::string type_error_;  // the first callback exported with the wrong type
  Limits limits_;
  std::shared_ptr<ProxyWasmCall> call_;
  uint32_t next_context_ = 2;  // 1 is the root
  bool broken_ = false;
};

// One HTTP stream through the filter. Set the request's parts, call the
// callbacks in the proxy's order, read the changed parts (or the local
// response the filter sent), and finish(). A Stream must not outlive its VM.
class ProxyWasmVm::Stream {
 public:
  HeaderMap request_headers, request_trailers, response_headers, response_trailers;
  // A proxy's own headers, used in place of the maps above when set (as
  // kiln_ats.so hands over Traffic Server's): the filter reads and changes
  // them directly, with no copy to read back.
  HeaderMapAccess* request_headers_in_place = nullptr;
  HeaderMapAccess* response_headers_in_place = nullptr;
  std::string request_body, response_body;
  // Set when the filter called proxy_send_local_response.
  std::optional<LocalResponse> local_response;

  Result<Action> on_request_headers(bool end_of_stream);
  Result<Action> on_request_body(bool end_of_stream);
  Result<Action> on_response_headers(bool end_of_stream);
  Result<Action> on_response_body(bool end_of_stream);
  // proxy_on_log, proxy_on_done, proxy_on_delete. Also run on destruction
  // when not called (a stream a proxy abandons still ends in the filter).
  Result<void> finish();
  ~Stream();

  uint32_t id() const { return id_; }

 private:
  friend class ProxyWasmVm;
  Stream(ProxyWasmVm& vm, uint32_t id) : vm_(vm), id_(id) {}
  Result<uint32_t> run(Callback callback, std::initializer_list<uint32_t> args);

  ProxyWasmVm& vm_;
  uint32_t id_;
  bool finished_ = false;
};

}  // namespace kiln::host::proxy_wasm
