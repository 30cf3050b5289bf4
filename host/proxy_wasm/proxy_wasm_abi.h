// The proxy-wasm ABI, version 0.2.1, as a host: the `env.proxy_*` functions
// a proxy-wasm filter imports (log, header maps, buffers, properties, local
// responses, shared data with compare-and-swap, metrics, tick period),
// written against the Linker like WASI, never inside a backend, and
// independent of any proxy. What a call reads and changes — the stream's
// headers and bodies, the plugin's configuration, the log — is a
// ProxyWasmCall attached to the Store by the driver (proxy_wasm_vm.h)
// before it calls into the filter.
//
// Values the host hands the filter (a header's value, a buffer's bytes) are
// written into memory the filter allocates through its exported
// `proxy_on_memory_allocate` (or `malloc`), as the ABI says; a pointer the
// filter passes that lies outside its memory is InvalidMemoryAccess, never a
// host crash.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "host/proxy_wasm/header_map_access.h"
#include "kiln/instance.h"
#include "kiln/typed_func.h"

namespace kiln {
class Linker;
class Store;
}  // namespace kiln

namespace kiln::host::proxy_wasm {

// WasmResult in the ABI's words.
enum class Status : uint32_t {
  Ok = 0,
  NotFound = 1,
  BadArgument = 2,
  SerializationFailure = 3,
  ParseFailure = 4,
  InvalidMemoryAccess = 6,
  Empty = 7,
  CasMismatch = 8,
  InternalFailure = 10,
  Unimplemented = 12,
};

enum class MapType : uint32_t {
  RequestHeaders = 0,
  RequestTrailers = 1,
  ResponseHeaders = 2,
  ResponseTrailers = 3,
};

enum class BufferType : uint32_t {
  RequestBody = 0,
  ResponseBody = 1,
  VmConfiguration = 6,
  PluginConfiguration = 7,
};

// What a stream callback tells the proxy.
enum class Action : uint32_t { Continue = 0, Pause = 1 };

enum class LogLevel : uint32_t { Trace = 0, Debug = 1, Info = 2, Warn = 3, Error = 4, Critical = 5 };

enum class MetricType : uint32_t { Counter = 0, Gauge = 1, Histogram = 2 };

// Data every VM of a proxy shares (the ABI's shared data): a value per key
// with a compare-and-swap token that changes on every write. Thread-safe.
class SharedData {
 public:
  struct Entry {
    std::string value;
    uint32_t cas = 0;
  };
  std::optional<Entry> get(std::string_view key) const;
  // `cas` 0 writes unconditionally; otherwise it must be the key's current
  // token (CasMismatch if not, or if the key does not exist yet).
  Status set(std::string_view key, std::string_view value, uint32_t cas);

 private:
  mutable std::mutex mutex_;
  std::map<std::string, Entry, std::less<>> entries_;
  uint32_t next_cas_ = 1;
};

// Metrics the filters define, by name: defining a name again gives the same
// id. Thread-safe.
class Metrics {
 public:
  struct Metric {
    std::string name;
    MetricType type = MetricType::Counter;
    uint64_t value = 0;
  };
  uint32_t define(MetricType type, std::string_view name);
  Status increment(uint32_t id, int64_t delta);
  Status record(uint32_t id, uint64_t value);
  std::optional<uint64_t> get(uint32_t id) const;
  std::optional<uint64_t> get(std::string_view name) const;

 private:
  mutable std::mutex mutex_;
  std::vector<Metric> metrics_;
};

struct LogLine {
  LogLevel level;
  std::string message;
};

// A reply the filter asked the proxy to send instead of forwarding the
// request (proxy_send_local_response).
struct LocalResponse {
  uint32_t status = 0;
  std::string details;
  std::string body;
  HeaderMap headers;
};

// One VM's host state, attached to its Store: the plugin's configuration,
// the log, and the stream the current callback is about.
struct ProxyWasmCall {
  Instance filter;
  // The filter's export that allocates what the host hands it: the ABI's
  // proxy_on_memory_allocate, else malloc; none when it exports neither
  // with the type (i32) -> i32 (then nothing can be handed to it).
  std::optional<TypedFunc<uint32_t(uint32_t)>> allocate;
  std::string vm_configuration, plugin_configuration;
  LogLevel log_level = LogLevel::Info;
  // Where lines go as they are logged; without a sink they are kept in
  // `logs` (a test reads them; a long-lived proxy passes a sink).
  std::function<void(const LogLine&)> log_sink;
  std::vector<LogLine> logs;
  uint32_t tick_period_ms = 0;
  std::map<std::string, std::string, std::less<>> properties;
  std::shared_ptr<SharedData> shared;
  std::shared_ptr<Metrics> metrics;
  uint32_t effective_context = 0;

  // The current stream's parts (null outside a stream callback).
  HeaderMapAccess* request_headers = nullptr;
  HeaderMapAccess* request_trailers = nullptr;
  HeaderMapAccess* response_headers = nullptr;
  HeaderMapAccess* response_trailers = nullptr;
  std::string* request_body = nullptr;
  std::string* response_body = nullptr;
  std::optional<LocalResponse>* local_response = nullptr;

  explicit ProxyWasmCall(Instance instance) : filter(instance) {
    for (const char* name : {"proxy_on_memory_allocate", "malloc"}) {
      if (!instance.get_export(name)) continue;
      if (auto typed = instance.typed<uint32_t(uint32_t)>(name)) allocate = *typed;
      break;
    }
  }
};

// Defines env.proxy_* in `linker`; the ones this host does not offer
// (HTTP and gRPC calls, shared queues, foreign functions) answer
// Unimplemented.
void add_proxy_wasm(Linker& linker);

// The Store's ProxyWasmCall (set_call) or null.
ProxyWasmCall* call_of(Store& store);
void set_call(Store& store, std::shared_ptr<ProxyWasmCall> call);

// The header map's serialized form, as proxy_get_header_map_pairs returns
// it and proxy_set_header_map_pairs takes it: a u32 count, then each
// name's and value's length as u32, then each name and value followed by a
// NUL. parse_pairs: nullopt when `bytes` is not that.
std::string serialize_pairs(const HeaderMap& map);
std::optional<HeaderMap> parse_pairs(std::string_view bytes);

}  // namespace kiln::host::proxy_wasm
