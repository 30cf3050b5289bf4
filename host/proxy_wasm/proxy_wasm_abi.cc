#include "host/proxy_wasm/proxy_wasm_abi.h"

#include <algorithm>
#include <chrono>
#include <cstring>

#include "host/wasi_memory.h"
#include "kiln/host_function.h"
#include "kiln/linker.h"
#include "kiln/store.h"

namespace kiln::host::proxy_wasm {
namespace {

using wasi::GuestMemory;

const char kCallKey = 0;

constexpr ValType I32 = ValType::I32;
constexpr ValType I64 = ValType::I64;

uint32_t u32(const Value& v) { return static_cast<uint32_t>(v.i32); }

HostResult answer(std::span<Value> results, Status status) {
  results[0] = Value::from_i32(static_cast<uint32_t>(status));
  return HostResult::ok();
}

// A host function over the Store's ProxyWasmCall: no call attached (the
// filter's start function or `_initialize` calling in) is InternalFailure.
using Body = Status (*)(HostContext&, ProxyWasmCall&, std::span<const Value>);

template <Body body>
HostResult with_call(HostContext& context, std::span<const Value> args, std::span<Value> results) {
  ProxyWasmCall* call = call_of(context.store());
  if (!call) return answer(results, Status::InternalFailure);
  return answer(results, body(context, *call, args));
}

std::optional<std::string_view> read_string(HostContext& context, uint32_t ptr, uint32_t size) {
  auto bytes = GuestMemory(context.memory()).bytes(ptr, size);
  if (!bytes) return std::nullopt;
  return std::string_view(reinterpret_cast<const char*>(bytes->data()), bytes->size());
}

// Copies `bytes` into memory the filter allocates, and its address and
// size to the two u32 slots the filter named.
Status write_out(HostContext& context, ProxyWasmCall& call, std::string_view bytes, uint32_t ret_ptr,
                 uint32_t ret_size) {
  uint32_t at = 0;
  if (!bytes.empty()) {
    if (!call.allocate) return Status::InternalFailure;
    auto allocated = call.allocate->call(static_cast<uint32_t>(bytes.size()));
    if (!allocated.returned()) return Status::InternalFailure;
    at = allocated.value;
    auto room = GuestMemory(context.memory()).bytes(at, bytes.size());
    if (at == 0 || !room) return Status::InvalidMemoryAccess;
    std::memcpy(room->data(), bytes.data(), bytes.size());
  }
  GuestMemory memory(context.memory());
  if (!memory.store<uint32_t>(ret_ptr, at) || !memory.store<uint32_t>(ret_size, static_cast<uint32_t>(bytes.size()))) {
    return Status::InvalidMemoryAccess;
  }
  return Status::Ok;
}

HeaderMapAccess* map_of(ProxyWasmCall& call, uint32_t type) {
  switch (static_cast<MapType>(type)) {
    case MapType::RequestHeaders: return call.request_headers;
    case MapType::RequestTrailers: return call.request_trailers;
    case MapType::ResponseHeaders: return call.response_headers;
    case MapType::ResponseTrailers: return call.response_trailers;
  }
  return nullptr;
}

std::string* buffer_of(ProxyWasmCall& call, uint32_t type) {
  switch (static_cast<BufferType>(type)) {
    case BufferType::RequestBody: return call.request_body;
    case BufferType::ResponseBody: return call.response_body;
    case BufferType::VmConfiguration: return &call.vm_configuration;
    case BufferType::PluginConfiguration: return &call.plugin_configuration;
  }
  return nullptr;
}

// ---- the host functions ----------------------------------------------------

Status log(HostContext& context, ProxyWasmCall& call, std::span<const Value> args) {
  const uint32_t level = u32(args[0]);
  auto message = read_string(context, u32(args[1]), u32(args[2]));
  if (!message) return Status::InvalidMemoryAccess;
  if (level > static_cast<uint32_t>(LogLevel::Critical)) return Status::BadArgument;
  if (level < static_cast<uint32_t>(call.log_level)) return Status::Ok;
  LogLine line{static_cast<LogLevel>(level), std::string(*message)};
  if (call.log_sink) {
    call.log_sink(line);
  } else {
    call.logs.push_back(std::move(line));
  }
  return Status::Ok;
}

Status get_log_level(HostContext& context, ProxyWasmCall& call, std::span<const Value> args) {
  return GuestMemory(context.memory()).store<uint32_t>(u32(args[0]), static_cast<uint32_t>(call.log_level))
             ? Status::Ok
             : Status::InvalidMemoryAccess;
}

Status set_tick_period(HostContext&, ProxyWasmCall& call, std::span<const Value> args) {
  call.tick_period_ms = u32(args[0]);
  return Status::Ok;
}

Status current_time(HostContext& context, ProxyWasmCall&, std::span<const Value> args) {
  auto now = std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch());
  return GuestMemory(context.memory()).store<uint64_t>(u32(args[0]), static_cast<uint64_t>(now.count()))
             ? Status::Ok
             : Status::InvalidMemoryAccess;
}

// A property path is its segments, each followed by a NUL ("request\0path\0");
// kiln keys properties by the segments joined with dots ("request.path").
std::optional<std::string> property_key(HostContext& context, uint32_t ptr, uint32_t size) {
  auto path = read_string(context, ptr, size);
  if (!path) return std::nullopt;
  std::string key(*path);
  while (!key.empty() && key.back() == '\0') key.pop_back();
  std::replace(key.begin(), key.end(), '\0', '.');
  return key;
}

// The stream's own attributes, as Envoy names them, from its pseudo-headers.
std::optional<std::string> stream_property(ProxyWasmCall& call, std::string_view key) {
  static constexpr std::pair<std::string_view, std::string_view> kRequest[] = {
      {"request.path", ":path"}, {"request.method", ":method"}, {"request.host", ":authority"},
      {"request.scheme", ":scheme"}};
  const HeaderMapAccess* map = nullptr;
  std::string_view pseudo;
  for (const auto& [name, header] : kRequest) {
    if (key == name) {
      map = call.request_headers;
      pseudo = header;
    }
  }
  if (key == "response.code") {
    map = call.response_headers;
    pseudo = ":status";
  }
  if (!map) return std::nullopt;
  return map->get(pseudo);
}

Status get_property(HostContext& context, ProxyWasmCall& call, std::span<const Value> args) {
  auto key = property_key(context, u32(args[0]), u32(args[1]));
  if (!key) return Status::InvalidMemoryAccess;
  std::string value;
  if (auto found = call.properties.find(*key); found != call.properties.end()) {
    value = found->second;
  } else if (auto from_stream = stream_property(call, *key)) {
    value = std::move(*from_stream);
  } else {
    return Status::NotFound;
  }
  return write_out(context, call, value, u32(args[2]), u32(args[3]));
}

Status set_property(HostContext& context, ProxyWasmCall& call, std::span<const Value> args) {
  auto key = property_key(context, u32(args[0]), u32(args[1]));
  auto value = read_string(context, u32(args[2]), u32(args[3]));
  if (!key || !value) return Status::InvalidMemoryAccess;
  call.properties[*key] = std::string(*value);
  return Status::Ok;
}

Status get_map_pairs(HostContext& context, ProxyWasmCall& call, std::span<const Value> args) {
  HeaderMapAccess* map = map_of(call, u32(args[0]));
  if (!map) return Status::BadArgument;
  return write_out(context, call, serialize_pairs(map->pairs()), u32(args[1]), u32(args[2]));
}

Status set_map_pairs(HostContext& context, ProxyWasmCall& call, std::span<const Value> args) {
  HeaderMapAccess* map = map_of(call, u32(args[0]));
  if (!map) return Status::BadArgument;
  auto bytes = read_string(context, u32(args[1]), u32(args[2]));
  if (!bytes) return Status::InvalidMemoryAccess;
  auto pairs = parse_pairs(*bytes);
  if (!pairs) return Status::ParseFailure;
  map->set_pairs(std::move(*pairs));
  return Status::Ok;
}

Status get_map_value(HostContext& context, ProxyWasmCall& call, std::span<const Value> args) {
  HeaderMapAccess* map = map_of(call, u32(args[0]));
  if (!map) return Status::BadArgument;
  auto name = read_string(context, u32(args[1]), u32(args[2]));
  if (!name) return Status::InvalidMemoryAccess;
  // A copy: the allocation below runs the filter.
  std::optional<std::string> value = map->get(*name);
  if (!value) return Status::NotFound;
  return write_out(context, call, *value, u32(args[3]), u32(args[4]));
}

enum class Edit { Add, Replace };

template <Edit edit>
Status put_map_value(HostContext& context, ProxyWasmCall& call, std::span<const Value> args) {
  HeaderMapAccess* map = map_of(call, u32(args[0]));
  if (!map) return Status::BadArgument;
  auto name = read_string(context, u32(args[1]), u32(args[2]));
  auto value = read_string(context, u32(args[3]), u32(args[4]));
  if (!name || !value) return Status::InvalidMemoryAccess;
  if (edit == Edit::Replace) {
    map->replace(*name, *value);
  } else {
    map->add(*name, *value);
  }
  return Status::Ok;
}

Status remove_map_value(HostContext& context, ProxyWasmCall& call, std::span<const Value> args) {
  HeaderMapAccess* map = map_of(call, u32(args[0]));
  if (!map) return Status::BadArgument;
  auto name = read_string(context, u32(args[1]), u32(args[2]));
  if (!name) return Status::InvalidMemoryAccess;
  map->remove(*name);
  return Status::Ok;
}

Status get_map_size(HostContext& context, ProxyWasmCall& call, std::span<const Value> args) {
  HeaderMapAccess* map = map_of(call, u32(args[0]));
  if (!map) return Status::BadArgument;
  return GuestMemory(context.memory()).store<uint32_t>(u32(args[1]), static_cast<uint32_t>(serialize_pairs(map->pairs()).size()))
             ? Status::Ok
             : Status::InvalidMemoryAccess;
}

Status get_buffer_bytes(HostContext& context, ProxyWasmCall& call, std::span<const Value> args) {
  std::string* buffer = buffer_of(call, u32(args[0]));
  if (!buffer) return Status::BadArgument;
  const uint32_t start = u32(args[1]), max_size = u32(args[2]);
  if (start > buffer->size()) return Status::BadArgument;
  std::string bytes = buffer->substr(start, max_size);
  return write_out(context, call, bytes, u32(args[3]), u32(args[4]));
}

Status get_buffer_status(HostContext& context, ProxyWasmCall& call, std::span<const Value> args) {
  std::string* buffer = buffer_of(call, u32(args[0]));
  if (!buffer) return Status::BadArgument;
  GuestMemory memory(context.memory());
  if (!memory.store<uint32_t>(u32(args[1]), static_cast<uint32_t>(buffer->size())) ||
      !memory.store<uint32_t>(u32(args[2]), 0)) {
    return Status::InvalidMemoryAccess;
  }
  return Status::Ok;
}

// Replaces `size` bytes at `start` with the data (start 0 and size 0 on an
// empty buffer: a prepend; start = length: an append).
Status set_buffer_bytes(HostContext& context, ProxyWasmCall& call, std::span<const Value> args) {
  std::string* buffer = buffer_of(call, u32(args[0]));
  const auto type = static_cast<BufferType>(u32(args[0]));
  if (!buffer || type == BufferType::VmConfiguration || type == BufferType::PluginConfiguration) {
    return Status::BadArgument;
  }
  const uint32_t start = u32(args[1]), size = u32(args[2]);
  auto data = read_string(context, u32(args[3]), u32(args[4]));
  if (!data) return Status::InvalidMemoryAccess;
  if (start > buffer->size()) return Status::BadArgument;
  buffer->replace(start, std::min<size_t>(size, buffer->size() - start), *data);
  return Status::Ok;
}

Status send_local_response(HostContext& context, ProxyWasmCall& call, std::span<const Value> args) {
  if (!call.local_response) return Status::BadArgument;  // outside a stream
  auto details = read_string(context, u32(args[1]), u32(args[2]));
  auto body = read_string(context, u32(args[3]), u32(args[4]));
  auto headers = read_string(context, u32(args[5]), u32(args[6]));
  if (!details || !body || !headers) return Status::InvalidMemoryAccess;
  LocalResponse response{u32(args[0]), std::string(*details), std::string(*body), {}};
  if (!headers->empty()) {
    auto pairs = parse_pairs(*headers);
    if (!pairs) return Status::ParseFailure;
    response.headers = std::move(*pairs);
  }
  *call.local_response = std::move(response);
  return Status::Ok;
}

Status stream_control(HostContext&, ProxyWasmCall&, std::span<const Value>) { return Status::Ok; }

Status get_shared_data(HostContext& context, ProxyWasmCall& call, std::span<const Value> args) {
  auto key = read_string(context, u32(args[0]), u32(args[1]));
  if (!key) return Status::InvalidMemoryAccess;
  if (!call.shared) return Status::NotFound;
  auto entry = call.shared->get(*key);
  if (!entry) return Status::NotFound;
  if (Status wrote = write_out(context, call, entry->value, u32(args[2]), u32(args[3])); wrote != Status::Ok) return wrote;
  return GuestMemory(context.memory()).store<uint32_t>(u32(args[4]), entry->cas) ? Status::Ok
                                                                                  : Status::InvalidMemoryAccess;
}

Status set_shared_data(HostContext& context, ProxyWasmCall& call, std::span<const Value> args) {
  auto key = read_string(context, u32(args[0]), u32(args[1]));
  auto value = read_string(context, u32(args[2]), u32(args[3]));
  if (!key || !value) return Status::InvalidMemoryAccess;
  if (!call.shared) return Status::InternalFailure;
  return call.shared->set(*key, *value, u32(args[4]));
}

Status define_metric(HostContext& context, ProxyWasmCall& call, std::span<const Value> args) {
  const uint32_t type = u32(args[0]);
  auto name = read_string(context, u32(args[1]), u32(args[2]));
  if (!name) return Status::InvalidMemoryAccess;
  if (type > static_cast<uint32_t>(MetricType::Histogram) || !call.metrics) return Status::BadArgument;
  uint32_t id = call.metrics->define(static_cast<MetricType>(type), *name);
  return GuestMemory(context.memory()).store<uint32_t>(u32(args[3]), id) ? Status::Ok : Status::InvalidMemoryAccess;
}

Status increment_metric(HostContext&, ProxyWasmCall& call, std::span<const Value> args) {
  return call.metrics ? call.metrics->increment(u32(args[0]), static_cast<int64_t>(args[1].i64)) : Status::NotFound;
}

Status record_metric(HostContext&, ProxyWasmCall& call, std::span<const Value> args) {
  return call.metrics ? call.metrics->record(u32(args[0]), args[1].i64) : Status::NotFound;
}

Status get_metric(HostContext& context, ProxyWasmCall& call, std::span<const Value> args) {
  auto value = call.metrics ? call.metrics->get(u32(args[0])) : std::nullopt;
  if (!value) return Status::NotFound;
  return GuestMemory(context.memory()).store<uint64_t>(u32(args[1]), *value) ? Status::Ok : Status::InvalidMemoryAccess;
}

Status set_effective_context(HostContext&, ProxyWasmCall& call, std::span<const Value> args) {
  call.effective_context = u32(args[0]);
  return Status::Ok;
}

Status done(HostContext&, ProxyWasmCall&, std::span<const Value>) { return Status::Ok; }

HostResult unimplemented(HostContext&, std::span<const Value>, std::span<Value> results) {
  return answer(results, Status::Unimplemented);
}

void define(Linker& linker, const char* name, std::vector<ValType> params, HostCallback callback) {
  linker.define("env", name, HostFunc{FuncType{std::move(params), {I32}}, std::move(callback)});
}

}  // namespace

std::optional<SharedData::Entry> SharedData::get(std::string_view key) const {
  std::lock_guard lock(mutex_);
  auto found = entries_.find(key);
  if (found == entries_.end()) return std::nullopt;
  return found->second;
}

Status SharedData::set(std::string_view key, std::string_view value, uint32_t cas) {
  std::lock_guard lock(mutex_);
  auto found = entries_.find(key);
  if (cas != 0 && (found == entries_.end() || found->second.cas != cas)) return Status::CasMismatch;
  if (found == entries_.end()) found = entries_.emplace(std::string(key), Entry{}).first;
  found->second.value = std::string(value);
  found->second.cas = next_cas_++;
  if (next_cas_ == 0) next_cas_ = 1;  // 0 means "no token"
  return Status::Ok;
}

uint32_t Metrics::define(MetricType type, std::string_view name) {
  std::lock_guard lock(mutex_);
  for (uint32_t id = 0; id < metrics_.size(); ++id) {
    if (metrics_[id].name == name) return id;
  }
  metrics_.push_back({std::string(name), type, 0});
  return static_cast<uint32_t>(metrics_.size() - 1);
}

Status Metrics::increment(uint32_t id, int64_t delta) {
  std::lock_guard lock(mutex_);
  if (id >= metrics_.size()) return Status::NotFound;
  if (metrics_[id].type == MetricType::Histogram) return Status::BadArgument;
  metrics_[id].value += static_cast<uint64_t>(delta);
  return Status::Ok;
}

Status Metrics::record(uint32_t id, uint64_t value) {
  std::lock_guard lock(mutex_);
  if (id >= metrics_.size()) return Status::NotFound;
  metrics_[id].value = value;
  return Status::Ok;
}

std::optional<uint64_t> Metrics::get(uint32_t id) const {
  std::lock_guard lock(mutex_);
  if (id >= metrics_.size()) return std::nullopt;
  return metrics_[id].value;
}

std::optional<uint64_t> Metrics::get(std::string_view name) const {
  std::lock_guard lock(mutex_);
  for (const Metric& metric : metrics_) {
    if (metric.name == name) return metric.value;
  }
  return std::nullopt;
}

std::string serialize_pairs(const HeaderMap& map) {
  std::string out;
  auto put_u32 = [&](uint32_t n) { out.append(reinterpret_cast<const char*>(&n), sizeof n); };
  put_u32(static_cast<uint32_t>(map.size()));
  for (const auto& [name, value] : map) {
    put_u32(static_cast<uint32_t>(name.size()));
    put_u32(static_cast<uint32_t>(value.size()));
  }
  for (const auto& [name, value] : map) {
    out.append(name).push_back('\0');
    out.append(value).push_back('\0');
  }
  return out;
}

std::optional<HeaderMap> parse_pairs(std::string_view bytes) {
  auto get_u32 = [&](size_t at) {
    uint32_t n;
    std::memcpy(&n, bytes.data() + at, sizeof n);
    return n;
  };
  if (bytes.size() < 4) return std::nullopt;
  const uint64_t count = get_u32(0);
  if (count > (bytes.size() - 4) / 8) return std::nullopt;
  size_t at = 4 + count * 8;
  HeaderMap map;
  for (uint64_t i = 0; i < count; ++i) {
    const uint64_t name_size = get_u32(4 + i * 8), value_size = get_u32(8 + i * 8);
    if (name_size + value_size + 2 > bytes.size() - at) return std::nullopt;
    std::string name(bytes.substr(at, name_size));
    at += name_size;
    if (bytes[at++] != '\0') return std::nullopt;
    std::string value(bytes.substr(at, value_size));
    at += value_size;
    if (bytes[at++] != '\0') return std::nullopt;
    map.emplace_back(std::move(name), std::move(value));
  }
  return map;
}

ProxyWasmCall* call_of(Store& store) { return static_cast<ProxyWasmCall*>(store.host_data(&kCallKey)); }

void set_call(Store& store, std::shared_ptr<ProxyWasmCall> call) { store.set_host_data(&kCallKey, std::move(call)); }

void add_proxy_wasm(Linker& linker) {
  define(linker, "proxy_log", {I32, I32, I32}, with_call<log>);
  define(linker, "proxy_get_log_level", {I32}, with_call<get_log_level>);
  define(linker, "proxy_set_tick_period_milliseconds", {I32}, with_call<set_tick_period>);
  define(linker, "proxy_get_current_time_nanoseconds", {I32}, with_call<current_time>);
  define(linker, "proxy_get_property", {I32, I32, I32, I32}, with_call<get_property>);
  define(linker, "proxy_set_property", {I32, I32, I32, I32}, with_call<set_property>);
  define(linker, "proxy_get_header_map_pairs", {I32, I32, I32}, with_call<get_map_pairs>);
  define(linker, "proxy_set_header_map_pairs", {I32, I32, I32}, with_call<set_map_pairs>);
  define(linker, "proxy_get_header_map_value", {I32, I32, I32, I32, I32}, with_call<get_map_value>);
  define(linker, "proxy_add_header_map_value", {I32, I32, I32, I32, I32}, with_call<put_map_value<Edit::Add>>);
  define(linker, "proxy_replace_header_map_value", {I32, I32, I32, I32, I32},
         with_call<put_map_value<Edit::Replace>>);
  define(linker, "proxy_remove_header_map_value", {I32, I32, I32}, with_call<remove_map_value>);
  define(linker, "proxy_get_header_map_size", {I32, I32}, with_call<get_map_size>);
  define(linker, "proxy_get_buffer_bytes", {I32, I32, I32, I32, I32}, with_call<get_buffer_bytes>);
  define(linker, "proxy_get_buffer_status", {I32, I32, I32}, with_call<get_buffer_status>);
  define(linker, "proxy_set_buffer_bytes", {I32, I32, I32, I32, I32}, with_call<set_buffer_bytes>);
  define(linker, "proxy_send_local_response", {I32, I32, I32, I32, I32, I32, I32, I32}, with_call<send_local_response>);
  define(linker, "proxy_continue_stream", {I32}, with_call<stream_control>);
  define(linker, "proxy_close_stream", {I32}, with_call<stream_control>);
  define(linker, "proxy_get_shared_data", {I32, I32, I32, I32, I32}, with_call<get_shared_data>);
  define(linker, "proxy_set_shared_data", {I32, I32, I32, I32, I32}, with_call<set_shared_data>);
  define(linker, "proxy_define_metric", {I32, I32, I32, I32}, with_call<define_metric>);
  define(linker, "proxy_increment_metric", {I32, I64}, with_call<increment_metric>);
  define(linker, "proxy_record_metric", {I32, I64}, with_call<record_metric>);
  define(linker, "proxy_get_metric", {I32, I32}, with_call<get_metric>);
  define(linker, "proxy_set_effective_context", {I32}, with_call<set_effective_context>);
  define(linker, "proxy_done", {}, with_call<done>);
  // Offered so that filters importing them link; each answers Unimplemented.
  define(linker, "proxy_http_call", {I32, I32, I32, I32, I32, I32, I32, I32, I32, I32}, unimplemented);
  define(linker, "proxy_register_shared_queue", {I32, I32, I32}, unimplemented);
  define(linker, "proxy_resolve_shared_queue", {I32, I32, I32, I32, I32}, unimplemented);
  define(linker, "proxy_dequeue_shared_queue", {I32, I32, I32}, unimplemented);
  define(linker, "proxy_enqueue_shared_queue", {I32, I32, I32}, unimplemented);
  define(linker, "proxy_call_foreign_function", {I32, I32, I32, I32, I32, I32}, unimplemented);
}

}  // namespace kiln::host::proxy_wasm
