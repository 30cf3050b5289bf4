#include "server/http_service.h"

#include <openssl/crypto.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <tuple>
#include <type_traits>
#include <unordered_map>
#include <vector>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "base/json_msgpack.h"
#include "base/sha256.h"
#include "deploy/extension_deploy.h"
#include "deploy/module_pipeline.h"
#include "execute/exec_result_json.h"
#include "execute/local_executor.h"
#include "host/function_providers.h"
#include "registry/registry.h"
#include "server/prometheus_metrics.h"

namespace kiln::server {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using unix_proto = net::local::stream_protocol;
using Request = http::request<http::string_body>;
using Response = http::response<http::string_body>;
using Done = std::function<void(Response&&)>;
using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

const char* const kWho = "http-admin";

// ---- responses --------------------------------------------------------------

Response make_response(http::status status, std::string body, const char* content_type = "application/json") {
  Response res{status, 11};
  res.set(http::field::content_type, content_type);
  res.set(http::field::cache_control, "no-store");
  res.body() = std::move(body);
  return res;
}

Response error_response(http::status status, const std::string& code, const std::string& message,
                        const std::optional<std::string>& pointer = std::nullopt) {
  rapidjson::StringBuffer sb;
  JsonWriter w(sb);
  w.StartObject();
  w.Key("code");
  w.String(code.c_str(), static_cast<rapidjson::SizeType>(code.size()));
  w.Key("message");
  w.String(message.c_str(), static_cast<rapidjson::SizeType>(message.size()));
  if (pointer) {
    w.Key("pointer");
    w.String(pointer->c_str(), static_cast<rapidjson::SizeType>(pointer->size()));
  }
  w.EndObject();
  Response res = make_response(status, sb.GetString());
  if (status == http::status::service_unavailable || status == http::status::too_many_requests) {
    res.set(http::field::retry_after, "1");
  }
  if (status == http::status::unauthorized) res.set(http::field::www_authenticate, "Bearer");
  return res;
}

http::status status_for(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::InvalidArgument: return http::status::bad_request;
    case ErrorKind::NotFound: return http::status::not_found;
    case ErrorKind::AlreadyExists: return http::status::conflict;
    case ErrorKind::InvalidModule:
    case ErrorKind::Link:
    case ErrorKind::InvalidDefinition:
    case ErrorKind::Contract:
    case ErrorKind::InvalidConfig:
    case ErrorKind::InvalidInput:
    case ErrorKind::Unsupported: return http::status::unprocessable_entity;
    case ErrorKind::PoolExhausted: return http::status::service_unavailable;
    default: return http::status::internal_server_error;
  }
}

Response error_response(const Error& error) {
  std::optional<std::string> pointer;
  if (error.where.has_json_pointer) pointer = error.where.json_pointer;
  return error_response(status_for(error.kind), execute::error_code(error.kind), error.message, pointer);
}

void put(JsonWriter& w, const char* key, const std::string& value) {
  w.Key(key);
  w.String(value.c_str(), static_cast<rapidjson::SizeType>(value.size()));
}

// JSON text stored by kiln (a definition, a config) spliced in as is.
void put_raw(JsonWriter& w, const char* key, const std::string& json) {
  w.Key(key);
  if (json.empty()) {
    w.Null();
  } else {
    w.RawValue(json.c_str(), json.size(), rapidjson::kObjectType);
  }
}

void write_extension(JsonWriter& w, const registry::Extension& ext) {
  w.StartObject();
  put(w, "extension_point", ext.extension_point);
  put(w, "scope", ext.scope);
  put(w, "name", ext.name);
  w.Key("version");
  w.Int64(ext.version);
  w.Key("live_version");
  w.Int64(ext.live_version);
  w.Key("enabled");
  w.Bool(ext.enabled);
  if (ext.canary_version != 0) {
    w.Key("canary_version");
    w.Int64(ext.canary_version);
    w.Key("canary_percent");
    w.Int(ext.canary_percent);
  }
  w.Key("priority");
  w.Int64(ext.priority);
  put_raw(w, "config", ext.config);
  w.Key("extension_point_version");
  w.Int64(ext.extension_point_version);
  w.Key("module");
  w.StartObject();
  put(w, "sha256", ext.module.sha256);
  w.Key("size");
  w.Uint64(ext.module.size);
  put(w, "backend", ext.module.backend);
  if (!ext.module.interp_reason.empty()) put(w, "interp_reason", ext.module.interp_reason);
  w.EndObject();
  if (!ext.provider.empty()) {  // a Shopify function's provider, stored with it
    w.Key("provider");
    w.StartObject();
    put(w, "name", ext.provider);
    put(w, "sha256", ext.provider_module.sha256);
    w.Key("size");
    w.Uint64(ext.provider_module.size);
    put(w, "backend", ext.provider_module.backend);
    w.EndObject();
  }
  put(w, "deployed_by", ext.deployed_by);
  put(w, "deployed_at", ext.deployed_at);
  w.EndObject();
}

// What `kiln deploy` prints about a module: hash, size, imports, exports, backend.
void write_module(JsonWriter& w, const deploy::PreparedModule& module) {
  w.StartObject();
  put(w, "sha256", module.sha256);
  w.Key("size");
  w.Uint64(module.size);
  w.Key("imports");
  w.StartArray();
  for (const ImportDesc& import : module.info.imports) {
    std::string name = import.module + "." + import.name;
    w.String(name.c_str(), static_cast<rapidjson::SizeType>(name.size()));
  }
  w.EndArray();
  w.Key("exports");
  w.StartArray();
  for (const ExportDesc& export_ : module.info.exports) {
    w.String(export_.name.c_str(), static_cast<rapidjson::SizeType>(export_.name.size()));
  }
  w.EndArray();
  bool interp = module.backend == BackendKind::Interp;
  put(w, "backend", interp ? "interp" : "aot");
  if (interp) put(w, "interp_reason", module.interp_reason);
  w.Key("artifact_cached");
  w.Bool(module.artifact_cached);
  w.Key("compile_seconds");
  w.Double(module.compile_seconds);
  w.EndObject();
}

// ---- requests ---------------------------------------------------------------

std::string percent_decode(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '%' && i + 2 < text.size() && std::isxdigit(static_cast<unsigned char>(text[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(text[i + 2]))) {
      out += static_cast<char>(std::stoi(std::string(text.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else if (c == '+') {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

// A target as the access log shows it: quotes, backslashes and control
// bytes percent-encoded, so one request stays one well-formed line.
std::string loggable(std::string_view target) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  out.reserve(target.size());
  for (unsigned char c : target) {
    if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\') {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

struct Target {
  std::string path;
  std::unordered_map<std::string, std::string> query;
};

Target parse_target(std::string_view target) {
  Target t;
  size_t q = target.find('?');
  t.path = std::string(target.substr(0, q));
  if (q == std::string_view::npos) return t;
  std::string_view rest = target.substr(q + 1);
  while (!rest.empty()) {
    size_t amp = rest.find('&');
    std::string_view pair = rest.substr(0, amp);
    size_t eq = pair.find('=');
    std::string key = percent_decode(pair.substr(0, eq));
    std::string value = eq == std::string_view::npos ? "" : percent_decode(pair.substr(eq + 1));
    if (!key.empty()) t.query[key] = value;
    if (amp == std::string_view::npos) break;
    rest = rest.substr(amp + 1);
  }
  return t;
}

// "application/json; charset=utf-8" -> "application/json".
std::string media_type(const Request& req) {
  std::string type(req[http::field::content_type]);
  type = type.substr(0, type.find(';'));
  while (!type.empty() && type.back() == ' ') type.pop_back();
  for (char& c : type) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return type;
}

bool is_msgpack(const std::string& type) { return type == "application/msgpack" || type == "application/x-msgpack"; }

// base::sha256, not EVP: the kiln executable links libcrypto.a, where EVP
// would pull in the provider machinery for every command (base/sha256.cc).
std::array<uint8_t, 32> digest(std::string_view text) { return base::sha256(text); }

// ---- the body of an admin request ------------------------------------------

struct JsonBody {
  rapidjson::Document doc;
  std::optional<Response> error;
};

JsonBody parse_json_object(const Request& req) {
  JsonBody body;
  if (media_type(req) != "application/json") {
    body.error = error_response(http::status::unsupported_media_type, "unsupported_media_type",
                                "expected Content-Type: application/json");
    return body;
  }
  body.doc.Parse(req.body().c_str(), req.body().size());
  if (body.doc.HasParseError() || !body.doc.IsObject()) {
    body.error = error_response(http::status::bad_request, "invalid_argument", "the body is not a JSON object",
                                std::string(""));
  }
  return body;
}

// A string member; `required` missing or any wrong type: the 400 to answer.
std::optional<Response> get_string(const rapidjson::Document& doc, const char* key, std::string& out,
                                   bool required) {
  auto it = doc.FindMember(key);
  if (it == doc.MemberEnd()) {
    if (!required) return std::nullopt;
    return error_response(http::status::bad_request, "invalid_argument", std::string("\"") + key + "\" is required",
                          std::string("/") + key);
  }
  if (!it->value.IsString()) {
    return error_response(http::status::bad_request, "invalid_argument",
                          std::string("\"") + key + "\" must be a string", std::string("/") + key);
  }
  out.assign(it->value.GetString(), it->value.GetStringLength());
  return std::nullopt;
}

std::optional<Response> get_int(const rapidjson::Document& doc, const char* key, std::optional<int64_t>& out) {
  auto it = doc.FindMember(key);
  if (it == doc.MemberEnd() || it->value.IsNull()) return std::nullopt;
  if (!it->value.IsInt64()) {
    return error_response(http::status::bad_request, "invalid_argument",
                          std::string("\"") + key + "\" must be an integer", std::string("/") + key);
  }
  out = it->value.GetInt64();
  return std::nullopt;
}

// ---- sessions ---------------------------------------------------------------

class Service;

using Clock = std::chrono::steady_clock;

class SessionBase {
 public:
  virtual ~SessionBase() = default;
  virtual void close_if_idle() = 0;
  // The sweep: closes the connection when its deadline has passed.
  virtual void close_if_late(Clock::time_point now) = 0;
};

class Service {
 public:
  Service(const ServeConfig& config, std::unique_ptr<registry::Registry> registry,
          std::unique_ptr<execute::LocalExecutor> executor)
      : config_(config),
        admin_digest_(digest(config.admin_token)),
        execute_digest_(digest(config.execute_token)),
        ioc_(config.workers + 1),
        registry_(std::move(registry)),
        executor_(std::move(executor)) {}

  Result<void> listen();
  void run();

  const ServeConfig& config() const { return config_; }
  bool draining() const { return draining_; }
  net::io_context& io() { return ioc_; }
  // On the thread that read the request: answers at once (health, auth,
  // refusals), or runs the work there when a worker slot is free, or
  // queues it for the next slot to come free; `done` takes the answer.
  void handle(Request&& req, Done done);
  void request_finished() { --active_; }
  void connection_closed() { --connections_; }
  // One access-log line on stdout (the configuration's access_log).
  void log_access(const std::string& peer, const std::string& request, unsigned status, size_t body_bytes,
                  Clock::duration took);

 private:
  template <class Protocol>
  void accept(typename Protocol::acceptor& acceptor);
  void begin_drain();
  void check_drained();
  void sweep();
  bool submit(std::function<void()> job);
  bool try_claim_slot();
  void run_in_slot(std::function<void()> job);
  void continue_in_slot();
  std::function<void()> next_queued();

  Response handle_admin(const Request& req, const Target& target);
  Response handle_execute(const Request& req, const std::string& extension_point, const std::string& scope);
  Response metrics();
  std::optional<Response> check_token(const Request& req, const std::array<unsigned char, 32>& expected);

  ServeConfig config_;
  std::array<unsigned char, 32> admin_digest_, execute_digest_;
  net::io_context ioc_;
  std::optional<tcp::acceptor> tcp_acceptor_;
  std::optional<unix_proto::acceptor> unix_acceptor_;
  net::signal_set signals_{ioc_, SIGTERM, SIGINT};
  std::optional<net::steady_timer> drain_timer_;
  std::optional<net::steady_timer> sweep_timer_;
  std::atomic<bool> draining_{false};
  std::atomic<int> active_{0};  // requests read and not yet answered
  std::atomic<uint64_t> executing_{0};  // execute calls running
  std::atomic<int> connections_{0};     // sessions alive
  std::mutex sessions_mutex_;
  std::vector<std::weak_ptr<SessionBase>> sessions_;

  // `workers` slots: a thread runs work only while it holds one, so of the
  // workers + 1 threads running the event loop one is always free to read,
  // refuse and answer health checks.
  std::atomic<int> busy_slots_{0};
  std::mutex queue_mutex_;
  std::deque<std::function<void()>> queue_;
  std::vector<std::thread> threads_;

  std::mutex scope_mutex_;
  std::unordered_map<std::string, int> scope_calls_;  // execute calls queued or running, per scope

  std::mutex registry_mutex_;  // the Registry is not thread-safe
  std::unique_ptr<registry::Registry> registry_;
  std::unique_ptr<execute::LocalExecutor> executor_;
  // Uploaded modules not yet deployed (deployed ones are in the registry).
};

// One connection, on a strand of its own: its reads, and the work and
// answer of a request run there when a worker slot is free, on whichever
// event-loop thread read it — no hand-off to another thread (each costs a
// wake-up, tens of µs on a VM). A request that had to queue is run and
// answered by the thread that takes it from the queue, which writes the
// answer itself and starts the next read: the socket usually takes the
// whole answer at once. While the work runs no operation is pending on
// the socket, so its runner is the socket's only user, except for the
// sweep and the drain, which post their checks to the strand and take
// `mutex_` there, as every answer does.
//
// Deadlines are a time stored per session, checked by the Service's sweep a
// few times per read_timeout, rather than a timer armed per operation (a
// timerfd system call each time).
template <class Protocol>
class Session final : public SessionBase, public std::enable_shared_from_this<Session<Protocol>> {
 public:
  using Socket = typename Protocol::socket;

  ~Session() override { service_.connection_closed(); }

  // The Service counted it before making it.
  Session(Socket socket, Service& service) : socket_(std::move(socket)), service_(service) {
    beast::error_code ec;
    if constexpr (std::is_same_v<Protocol, tcp>) {
      auto remote = socket_.remote_endpoint(ec);
      if (!ec) peer_ = remote.address().to_string() + ":" + std::to_string(remote.port());
    } else {
      peer_ = "unix";
    }
    // Answers are written whole; don't let Nagle hold a tail back.
    if constexpr (std::is_same_v<Protocol, tcp>) socket_.set_option(tcp::no_delay(true), ec);
    // For the workers' synchronous write attempt: would_block, never a wait.
    socket_.non_blocking(true, ec);
  }

  void start() { read_next(); }

  void close_if_idle() override {
    net::post(socket_.get_executor(), [self = this->shared_from_this()] {
      std::lock_guard lock(self->mutex_);
      if (self->idle_) self->close();
    });
  }

  void close_if_late(Clock::time_point now) override {
    net::post(socket_.get_executor(), [self = this->shared_from_this(), now] {
      std::lock_guard lock(self->mutex_);
      if (now >= self->deadline_) self->close();
    });
  }

  // The answer to the request last read, from the thread that ran it.
  void answer(Response&& res) {
    std::lock_guard lock(mutex_);
    write(std::make_shared<Response>(std::move(res)), true);
  }

 private:
  void close() {
    deadline_ = Clock::time_point::max();
    beast::error_code ec;
    socket_.shutdown(Socket::shutdown_both, ec);
    socket_.close(ec);
  }

  void read_next() {
    if (service_.draining()) return close();
    idle_ = true;
    request_line_ = "-";
    parser_.emplace();
    parser_->header_limit(service_.config().max_header);
    parser_->body_limit(service_.config().max_module_body);
    // One deadline for the whole request, headers and body: a client that
    // trickles bytes is cut off when it passes.
    deadline_ = Clock::now() + service_.config().read_timeout;
    http::async_read_header(socket_, buffer_, *parser_,
                            [self = this->shared_from_this()](beast::error_code ec, size_t) { self->on_header(ec); });
  }

  void on_header(beast::error_code ec) {
    idle_ = false;
    started_ = Clock::now();
    if (ec == http::error::header_limit) {
      return refuse(error_response(http::status::request_header_fields_too_large, "header_too_large",
                                   "the request line and headers are over " +
                                       std::to_string(service_.config().max_header) + " bytes"));
    }
    // A Content-Length over even the module limit fails while the header
    // is read (the larger limit is the one set before it).
    if (ec == http::error::body_limit) return refuse(too_large(service_.config().max_module_body));
    if (ec) return bad_request_or_close(ec);
    Request& req = parser_->get();
    uint64_t limit = req.target().starts_with("/v1/modules") ? service_.config().max_module_body
                                                             : service_.config().max_body;
    if (auto length = parser_->content_length(); length && *length > limit) {
      return refuse(too_large(limit));
    }
    parser_->body_limit(limit);
    if (beast::iequals(req[http::field::expect], "100-continue")) {
      auto cont = std::make_shared<http::response<http::empty_body>>(http::status::continue_, 11);
      return http::async_write(socket_, *cont, [self = this->shared_from_this(), cont](beast::error_code ec, size_t) {
        if (ec) return self->close();
        self->read_body();
      });
    }
    read_body();
  }

  void read_body() {
    http::async_read(socket_, buffer_, *parser_,
                     [self = this->shared_from_this()](beast::error_code ec, size_t) { self->on_read(ec); });
  }

  Response too_large(uint64_t limit) {
    return error_response(http::status::payload_too_large, "too_large",
                          "the body is over the limit of " + std::to_string(limit) + " bytes");
  }

  void bad_request_or_close(beast::error_code ec) {
    // The client went away or was too slow (the sweep closed the socket):
    // nothing to answer.
    if (ec == http::error::end_of_stream || ec == net::error::operation_aborted ||
        ec == http::error::partial_message || ec == net::error::connection_reset || ec == net::error::eof ||
        ec == net::error::bad_descriptor) {
      return close();
    }
    refuse(error_response(http::status::bad_request, "invalid_argument", "malformed HTTP request: " + ec.message()));
  }

  void on_read(beast::error_code ec) {
    if (ec == http::error::body_limit) {
      return refuse(too_large(parser_->get().target().starts_with("/v1/modules") ? service_.config().max_module_body
                                                                                 : service_.config().max_body));
    }
    if (ec) return bad_request_or_close(ec);
    deadline_ = Clock::time_point::max();  // the call's own limits bound it from here
    keep_alive_ = parser_->get().keep_alive();
    if (service_.config().access_log) {
      const Request& req = parser_->get();
      request_line_ = std::string(req.method_string()) + " " + loggable(std::string_view(req.target().data(), req.target().size()));
    }
    Request req = parser_->release();
    service_.handle(std::move(req), [self = this->shared_from_this()](Response&& res) { self->answer(std::move(res)); });
  }

  // An answer the session gives itself (the request could not be read
  // whole): the connection closes after it.
  void refuse(Response res) {
    keep_alive_ = false;
    write(std::make_shared<Response>(std::move(res)), false);
  }

  // Writes what the socket takes now, then the rest asynchronously.
  void write(std::shared_ptr<Response> res, bool counted) {
    bool keep = keep_alive_ && !service_.draining();
    res->keep_alive(keep);
    res->set(http::field::server, "kiln");
    res->prepare_payload();
    if (service_.config().access_log) {
      service_.log_access(peer_, request_line_, res->result_int(), res->body().size(), Clock::now() - started_);
    }
    auto serializer = std::make_shared<http::response_serializer<http::string_body>>(*res);
    beast::error_code ec;
    while (!ec && !serializer->is_done()) http::write_some(socket_, *serializer, ec);
    if (!ec) return written(counted, keep);
    if (ec != net::error::would_block) return written(counted, false);
    deadline_ = Clock::now() + service_.config().read_timeout;
    http::async_write(socket_, *serializer,
                      [self = this->shared_from_this(), res, serializer, keep, counted](beast::error_code ec, size_t) {
                        self->written(counted, keep && !ec);
                      });
  }

  void written(bool counted, bool keep) {
    if (counted) service_.request_finished();
    if (!keep) return close();
    read_next();
  }

  Socket socket_;
  Service& service_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  bool idle_ = true;
  bool keep_alive_ = true;
  std::string peer_ = "-";          // the client's address, for the access log
  std::string request_line_ = "-";  // method and target of the request being answered
  Clock::time_point started_ = Clock::now();
  Clock::time_point deadline_ = Clock::time_point::max();
  std::mutex mutex_;
};

// A connection over max_connections gets this and is closed, written
// without waiting (a client that does not read it loses it).
constexpr std::string_view kTooManyConnections =
    "HTTP/1.1 503 Service Unavailable\r\nServer: kiln\r\nContent-Type: application/json\r\nRetry-After: 1\r\n"
    "Connection: close\r\nContent-Length: 73\r\n\r\n"
    R"({"code":"overloaded","message":"too many connections open; retry later."})";

template <class Protocol>
void Service::accept(typename Protocol::acceptor& acceptor) {
  acceptor.async_accept(net::make_strand(ioc_), [this, &acceptor](beast::error_code ec, typename Protocol::socket s) {
    if (draining_ || !acceptor.is_open()) return;
    if (ec) {
      // Out of descriptors (or memory): accepting again at once would spin.
      auto timer = std::make_shared<net::steady_timer>(ioc_, std::chrono::milliseconds(50));
      timer->async_wait([this, &acceptor, timer](beast::error_code) { accept<Protocol>(acceptor); });
      return;
    }
    if (connections_.fetch_add(1) >= config_.max_connections) {
      --connections_;
      beast::error_code ignored;
      s.non_blocking(true, ignored);
      s.write_some(net::buffer(kTooManyConnections.data(), kTooManyConnections.size()), ignored);
      s.shutdown(Protocol::socket::shutdown_both, ignored);
      s.close(ignored);
    } else {
      auto session = std::make_shared<Session<Protocol>>(std::move(s), *this);
      {
        std::lock_guard lock(sessions_mutex_);
        // Drop the ended sessions now and then.
        if (sessions_.size() > 256) std::erase_if(sessions_, [](auto& weak) { return weak.expired(); });
        sessions_.push_back(session);
      }
      session->start();
    }
    accept<Protocol>(acceptor);
  });
}

Result<void> Service::listen() {
  try {
    if (!config_.listen.empty()) {
      auto colon = config_.listen.rfind(':');
      std::string host = config_.listen.substr(0, colon), port = config_.listen.substr(colon + 1);
      if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
      tcp::resolver resolver(ioc_);
      auto endpoints = resolver.resolve(host, port, tcp::resolver::numeric_service);
      if (endpoints.empty()) return Error{"listen: cannot resolve " + host, ErrorKind::InvalidArgument, {}};
      tcp::endpoint endpoint = endpoints.begin()->endpoint();
      tcp_acceptor_.emplace(ioc_);
      tcp_acceptor_->open(endpoint.protocol());
      tcp_acceptor_->set_option(net::socket_base::reuse_address(true));
      tcp_acceptor_->bind(endpoint);
      tcp_acceptor_->listen(net::socket_base::max_listen_connections);
      auto bound = tcp_acceptor_->local_endpoint();
      std::string address = bound.address().is_v6() ? "[" + bound.address().to_string() + "]"
                                                     : bound.address().to_string();
      std::printf("kiln serve: listening on http://%s:%u\n", address.c_str(), bound.port());
    }
    if (!config_.unix_socket.empty()) {
      struct stat st {};
      // A socket left by a kiln that died; never any other kind of file.
      if (::lstat(config_.unix_socket.c_str(), &st) == 0 && S_ISSOCK(st.st_mode)) ::unlink(config_.unix_socket.c_str());
      unix_acceptor_.emplace(ioc_);
      unix_proto::endpoint endpoint(config_.unix_socket);
      unix_acceptor_->open(endpoint.protocol());
      unix_acceptor_->bind(endpoint);
      // Owner and group only: the sidecar's host process, not every local user.
      ::chmod(config_.unix_socket.c_str(), 0660);
      unix_acceptor_->listen(net::socket_base::max_listen_connections);
      std::printf("kiln serve: listening on unix:%s\n", config_.unix_socket.c_str());
    }
  } catch (const boost::system::system_error& e) {
    return Error{"listen: " + std::string(e.what()), ErrorKind::Io, {}};
  }
  std::fflush(stdout);
  return {};
}

void Service::run() {
  sweep_timer_.emplace(ioc_);
  sweep();
  if (tcp_acceptor_) accept<tcp>(*tcp_acceptor_);
  if (unix_acceptor_) accept<unix_proto>(*unix_acceptor_);
  signals_.async_wait([this](beast::error_code ec, int) {
    if (!ec) begin_drain();
  });
  for (int i = 0; i < config_.workers; ++i) threads_.emplace_back([this] { ioc_.run(); });
  ioc_.run();
  for (std::thread& thread : threads_) thread.join();
  if (unix_acceptor_) ::unlink(config_.unix_socket.c_str());
  std::printf("kiln serve: stopped\n");
  std::fflush(stdout);
}

void Service::begin_drain() {
  draining_ = true;
  std::printf("kiln serve: draining\n");
  std::fflush(stdout);
  beast::error_code ec;
  if (tcp_acceptor_) tcp_acceptor_->close(ec);
  if (unix_acceptor_) unix_acceptor_->close(ec);
  std::lock_guard lock(sessions_mutex_);
  for (auto& weak : sessions_) {
    if (auto session = weak.lock()) session->close_if_idle();
  }
  drain_timer_.emplace(ioc_);
  check_drained();
}

// Every 10 ms until the requests in flight are answered, then stop.
void Service::check_drained() {
  if (active_ == 0) {
    ioc_.stop();
    return;
  }
  drain_timer_->expires_after(std::chrono::milliseconds(10));
  drain_timer_->async_wait([this](beast::error_code ec) {
    if (!ec) check_drained();
  });
}

// Closes the connections past their deadline, a few times per read_timeout
// (so a slow client is dropped at most an eighth of it late).
void Service::sweep() {
  const auto now = Clock::now();
  {
    std::lock_guard lock(sessions_mutex_);
    std::erase_if(sessions_, [](auto& weak) { return weak.expired(); });
    for (auto& weak : sessions_) {
      if (auto session = weak.lock()) session->close_if_late(now);
    }
  }
  auto period = std::clamp<std::chrono::milliseconds>(config_.read_timeout / 8, std::chrono::milliseconds(10),
                                                      std::chrono::milliseconds(1000));
  sweep_timer_->expires_after(period);
  sweep_timer_->async_wait([this](beast::error_code ec) {
    if (!ec) sweep();
  });
}

// Runs `job` here when a slot is free, else queues it (false: the queue
// is full). A slot may come free between the failed claim and the push,
// its holder seeing no queue: claim again after pushing, so that what is
// queued never waits for a slot nobody holds.
bool Service::submit(std::function<void()> job) {
  if (try_claim_slot()) {
    run_in_slot(std::move(job));
    return true;
  }
  {
    std::lock_guard lock(queue_mutex_);
    if (queue_.size() >= static_cast<size_t>(config_.queue)) return false;
    queue_.push_back(std::move(job));
  }
  if (try_claim_slot()) continue_in_slot();
  return true;
}

// "<UTC time> <peer> "<method> <target>" <status> <body bytes> <µs>": the
// target carries the scope, never a token (tokens travel in headers).
void Service::log_access(const std::string& peer, const std::string& request, unsigned status, size_t body_bytes,
                         Clock::duration took) {
  std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char when[32];
  std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &utc);
  const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(took).count();
  std::string line = std::string("kiln serve: access ") + when + " " + peer + " \"" + request + "\" " +
                     std::to_string(status) + " " + std::to_string(body_bytes) + " " + std::to_string(micros) + "us\n";
  std::fwrite(line.data(), 1, line.size(), stdout);
  std::fflush(stdout);
}

bool Service::try_claim_slot() {
  int busy = busy_slots_.load(std::memory_order_relaxed);
  while (busy < config_.workers) {
    if (busy_slots_.compare_exchange_weak(busy, busy + 1, std::memory_order_acquire)) return true;
  }
  return false;
}

std::function<void()> Service::next_queued() {
  std::lock_guard lock(queue_mutex_);
  if (queue_.empty()) return nullptr;
  std::function<void()> job = std::move(queue_.front());
  queue_.pop_front();
  return job;
}

void Service::run_in_slot(std::function<void()> job) {
  job();
  continue_in_slot();
}

// Holding a slot: the next queued job runs in a handler of its own, so the
// thread goes back to the event loop between jobs and the connection whose
// request it ran inline reads on at once (draining the queue inline starved
// it under load: 10 ms p95 with wrk). No queue: the slot is given back,
// and the queue checked again for a push that found every slot taken.
void Service::continue_in_slot() {
  for (;;) {
    {
      std::lock_guard lock(queue_mutex_);
      if (!queue_.empty()) {
        net::post(ioc_, [this] {
          if (auto job = next_queued()) job();
          continue_in_slot();
        });
        return;
      }
    }
    busy_slots_.fetch_sub(1, std::memory_order_release);
    {
      std::lock_guard lock(queue_mutex_);
      if (queue_.empty()) return;
    }
    if (!try_claim_slot()) return;
  }
}

std::optional<Response> Service::check_token(const Request& req, const std::array<unsigned char, 32>& expected) {
  auto raw = req[http::field::authorization];
  std::string_view header(raw.data(), raw.size());
  if (header.empty()) {
    return error_response(http::status::unauthorized, "unauthorized", "missing Authorization: Bearer <token>");
  }
  if (header.size() < 7 || !beast::iequals(beast::string_view(header.data(), 7), "Bearer ")) {
    return error_response(http::status::unauthorized, "unauthorized", "expected Authorization: Bearer <token>");
  }
  // Equal-length digests compared in constant time: neither the token's
  // length nor its prefix leaks through timing.
  auto given = digest(header.substr(7));
  if (CRYPTO_memcmp(given.data(), expected.data(), given.size()) != 0) {
    return error_response(http::status::forbidden, "forbidden", "the token is not valid for this endpoint");
  }
  return std::nullopt;
}

Response Service::metrics() {
  ServerGauges gauges;
  gauges.in_flight = executing_.load();
  gauges.connections = static_cast<uint64_t>(connections_.load());
  {
    std::lock_guard lock(queue_mutex_);
    gauges.queue_depth = queue_.size();
  }
  {
    std::lock_guard lock(scope_mutex_);
    for (const auto& [scope, calls] : scope_calls_) gauges.scope_in_flight.emplace_back(scope, calls);
  }
  return make_response(http::status::ok, render_prometheus(*executor_, std::move(gauges)), kPrometheusContentType);
}

void Service::handle(Request&& req_in, Done done) {
  ++active_;
  auto req = std::make_shared<Request>(std::move(req_in));
  Target target = parse_target(std::string_view(req->target().data(), req->target().size()));
  const std::string& path = target.path;

  if (path == "/healthz" || path == "/readyz" || path == "/metrics") {
    if (req->method() != http::verb::get) {
      return done(error_response(http::status::method_not_allowed, "method_not_allowed", "use GET"));
    }
    if (path == "/healthz") return done(make_response(http::status::ok, R"({"status":"ok"})"));
    if (path == "/metrics") return done(metrics());
    if (draining_) return done(error_response(http::status::service_unavailable, "draining", "shutting down"));
    return done(make_response(http::status::ok, R"({"status":"ready"})"));
  }

  static const std::string kExecute = "/v1/execute/";
  if (path.starts_with(kExecute)) {
    if (auto refused = check_token(*req, execute_digest_)) return done(std::move(*refused));
    if (req->method() != http::verb::post) {
      return done(error_response(http::status::method_not_allowed, "method_not_allowed", "use POST"));
    }
    std::string extension_point = percent_decode(std::string_view(path).substr(kExecute.size()));
    auto scope_it = target.query.find("scope");
    if (extension_point.empty() || extension_point.find('/') != std::string::npos) {
      return done(error_response(http::status::not_found, "not_found", "no such endpoint: " + path));
    }
    if (scope_it == target.query.end() || scope_it->second.empty()) {
      return done(error_response(http::status::bad_request, "invalid_argument", "the query needs ?scope=SCOPE"));
    }
    std::string type = media_type(*req);
    if (type != "application/json" && !is_msgpack(type)) {
      return done(error_response(http::status::unsupported_media_type, "unsupported_media_type",
                                 "expected Content-Type: application/json or application/msgpack"));
    }
    std::string scope = scope_it->second;
    {
      std::lock_guard lock(scope_mutex_);
      int& calls = scope_calls_[scope];
      if (calls >= config_.per_scope_limit) {
        return done(error_response(http::status::too_many_requests, "scope_limit",
                                   "scope " + scope + " has " + std::to_string(calls) +
                                       " calls in flight, its limit"));
      }
      ++calls;
    }
    auto release_scope = [this, scope] {
      std::lock_guard lock(scope_mutex_);
      if (--scope_calls_[scope] == 0) scope_calls_.erase(scope);
    };
    bool queued = submit([this, req, extension_point, scope, done, release_scope] {
      Response res = handle_execute(*req, extension_point, scope);
      release_scope();
      done(std::move(res));
    });
    if (!queued) {
      release_scope();
      done(error_response(http::status::service_unavailable, "overloaded", "every worker is busy and the queue is full"));
    }
    return;
  }

  if (path.starts_with("/v1/")) {
    if (auto refused = check_token(*req, admin_digest_)) return done(std::move(*refused));
    bool queued = submit([this, req, target, done] {
      Response res = [&] {
        std::lock_guard lock(registry_mutex_);
        try {
          return handle_admin(*req, target);
        } catch (const std::exception& e) {
          return error_response(http::status::internal_server_error, "internal", e.what());
        }
      }();
      done(std::move(res));
    });
    if (!queued) {
      done(error_response(http::status::service_unavailable, "overloaded", "every worker is busy and the queue is full"));
    }
    return;
  }
  done(error_response(http::status::not_found, "not_found", "no such endpoint: " + path));
}

// A MessagePack body goes to the executor as it is and the output comes
// back in the Accept format: the pipeline converts once, and only where
// the guest's format differs (docs/abi.md, "Formats").
Response Service::handle_execute(const Request& req, const std::string& extension_point, const std::string& scope) {
  auto accept = req[http::field::accept];
  std::string accept_text(accept.data(), accept.size());
  const bool answer_msgpack = accept_text.find("application/msgpack") != std::string::npos ||
                              accept_text.find("application/x-msgpack") != std::string::npos;
  execute::CallOptions options;
  options.input_format = is_msgpack(media_type(req)) ? base::DataFormat::Msgpack : base::DataFormat::Json;
  options.output_format = answer_msgpack ? base::DataFormat::Msgpack : base::DataFormat::Json;
  const std::string& body = req.body();
  ++executing_;
  execute::ExecResult result = executor_->execute(
      extension_point, scope, {reinterpret_cast<const uint8_t*>(body.data()), body.size()}, options);
  --executing_;
  http::status status = http::status::ok;
  if (result.status == execute::ExecStatus::InvalidInput) {
    status = http::status::unprocessable_entity;
  } else if (result.status == execute::ExecStatus::Error) {
    status = result.error ? status_for(result.error->kind) : http::status::internal_server_error;
  }
  Response res = answer_msgpack ? make_response(status, execute::to_msgpack(result), "application/msgpack")
                                : make_response(status, execute::to_json(result));
  res.set("Kiln-Status", execute::to_string(result.status));
  if (status == http::status::service_unavailable) res.set(http::field::retry_after, "1");
  return res;
}

Response Service::handle_admin(const Request& req, const Target& target) {
  const std::string& path = target.path;
  const http::verb method = req.method();
  auto method_not_allowed = [] {
    return error_response(http::status::method_not_allowed, "method_not_allowed", "method not allowed here");
  };
  auto ok_json = [](http::status status, const rapidjson::StringBuffer& sb) {
    return make_response(status, std::string(sb.GetString(), sb.GetSize()));
  };

  // Extension points.
  static const std::string kEps = "/v1/extension-points";
  if (path == kEps || path.starts_with(kEps + "/")) {
    std::string name = path.size() > kEps.size() ? percent_decode(std::string_view(path).substr(kEps.size() + 1)) : "";
    if (name.find('/') != std::string::npos) {
      return error_response(http::status::not_found, "not_found", "no such endpoint: " + path);
    }
    if ((name.empty() && method == http::verb::post) || (!name.empty() && method == http::verb::put)) {
      if (media_type(req) != "application/json") {
        return error_response(http::status::unsupported_media_type, "unsupported_media_type",
                              "expected Content-Type: application/json");
      }
      auto ep = registry::parse_extension_point(req.body(), "request body");
      if (!ep) return error_response(ep.error());
      bool create = name.empty();
      if (!create && ep->name != name) {
        return error_response(http::status::bad_request, "invalid_argument",
                              "the definition names " + ep->name + ", the path " + name, std::string("/name"));
      }
      auto version = create ? registry_->create_extension_point(*ep, kWho) : registry_->update_extension_point(*ep, kWho);
      if (!version) return error_response(version.error());
      (void)executor_->refresh();
      rapidjson::StringBuffer sb;
      JsonWriter w(sb);
      w.StartObject();
      put(w, "name", ep->name);
      w.Key("version");
      w.Int64(*version);
      w.EndObject();
      return ok_json(create ? http::status::created : http::status::ok, sb);
    }
    if (method != http::verb::get) return method_not_allowed();
    if (name.empty()) {
      auto eps = registry_->list_extension_points();
      if (!eps) return error_response(eps.error());
      rapidjson::StringBuffer sb;
      JsonWriter w(sb);
      w.StartObject();
      w.Key("extension_points");
      w.StartArray();
      for (const auto& ep : *eps) {
        w.StartObject();
        put(w, "name", ep.name);
        w.Key("version");
        w.Int64(ep.version);
        w.Key("live_extensions");
        w.Int64(ep.live_extensions);
        put(w, "updated_by", ep.updated_by);
        put(w, "updated_at", ep.updated_at);
        w.EndObject();
      }
      w.EndArray();
      w.EndObject();
      return ok_json(http::status::ok, sb);
    }
    std::optional<int64_t> version;
    if (auto it = target.query.find("version"); it != target.query.end()) {
      char* end = nullptr;
      long long v = std::strtoll(it->second.c_str(), &end, 10);
      if (it->second.empty() || *end != 0 || v < 1) {
        return error_response(http::status::bad_request, "invalid_argument", "?version= needs a positive integer");
      }
      version = v;
    }
    auto ep = registry_->extension_point(name, version);
    if (!ep) return error_response(ep.error());
    rapidjson::StringBuffer sb;
    JsonWriter w(sb);
    w.StartObject();
    put(w, "name", ep->name);
    w.Key("version");
    w.Int64(ep->version);
    put_raw(w, "definition", ep->definition);
    w.EndObject();
    return ok_json(http::status::ok, sb);
  }

  // Modules: validated and compiled now, deployed by hash later.
  if (path == "/v1/modules") {
    if (method != http::verb::post) return method_not_allowed();
    if (media_type(req) != "application/wasm") {
      return error_response(http::status::unsupported_media_type, "unsupported_media_type",
                            "expected Content-Type: application/wasm");
    }
    std::span<const uint8_t> bytes(reinterpret_cast<const uint8_t*>(req.body().data()), req.body().size());
    deploy::PipelineOptions options;
    options.name = "uploaded module";
    options.max_module_bytes = config_.max_module_body;
    options.cache_dir = registry_->cache_dir();
    auto prepared = deploy::prepare_module(bytes, options);
    if (!prepared) return error_response(prepared.error());
    // Kept in the registry, so an upload survives a restart until deployed.
    if (auto stored = registry_->put_module(deploy::compile_record(*prepared), bytes); !stored) {
      return error_response(stored.error());
    }
    rapidjson::StringBuffer sb;
    JsonWriter w(sb);
    write_module(w, *prepared);
    return ok_json(http::status::created, sb);
  }

  // Extensions.
  if (path == "/v1/extensions") {
    if (method == http::verb::get) {
      registry::ExtensionFilter filter;
      if (auto it = target.query.find("extension_point"); it != target.query.end()) filter.extension_point = it->second;
      if (auto it = target.query.find("scope"); it != target.query.end()) filter.scope = it->second;
      auto extensions = registry_->list_extensions(filter);
      if (!extensions) return error_response(extensions.error());
      rapidjson::StringBuffer sb;
      JsonWriter w(sb);
      w.StartObject();
      w.Key("extensions");
      w.StartArray();
      for (const auto& ext : *extensions) write_extension(w, ext);
      w.EndArray();
      w.EndObject();
      return ok_json(http::status::ok, sb);
    }
    if (method != http::verb::post) return method_not_allowed();
    JsonBody body = parse_json_object(req);
    if (body.error) return std::move(*body.error);
    deploy::ExtensionDeployRequest request;
    std::string sha;
    std::optional<int64_t> priority, canary;
    for (auto& [key, out, required] : {std::tuple<const char*, std::string*, bool>{"extension_point", &request.extension_point, true},
                                       {"scope", &request.scope, true},
                                       {"name", &request.name, true},
                                       {"module_sha256", &sha, true}}) {
      if (auto bad = get_string(body.doc, key, *out, required)) return std::move(*bad);
    }
    if (auto bad = get_int(body.doc, "priority", priority)) return std::move(*bad);
    if (auto bad = get_int(body.doc, "canary", canary)) return std::move(*bad);
    for (auto it = body.doc.MemberBegin(); !(it == body.doc.MemberEnd()); ++it) {
      std::string key = it->name.GetString();
      if (key != "extension_point" && key != "scope" && key != "name" && key != "module_sha256" &&
          key != "config" && key != "priority" && key != "canary") {
        return error_response(http::status::bad_request, "invalid_argument", "unknown field \"" + key + "\"",
                              "/" + key);
      }
    }
    if (body.doc.HasMember("config") && !body.doc["config"].IsNull()) {
      rapidjson::StringBuffer config;
      rapidjson::Writer<rapidjson::StringBuffer> cw(config);
      body.doc["config"].Accept(cw);
      request.config = config.GetString();
    }
    request.priority = priority.value_or(0);
    if (canary) {
      if (*canary < 1 || *canary > 100) {
        return error_response(http::status::bad_request, "invalid_argument",
                              "canary: a percentage of scopes from 1 to 100", std::string("/canary"));
      }
      request.canary_percent = static_cast<int>(*canary);
    }
    request.module_name = "sha256:" + sha.substr(0, 12);
    request.who = kWho;
    request.providers_dir = host::provider_directory(config_.providers);
    auto bytes = registry_->module_bytes(sha);
    if (!bytes && bytes.error().kind != ErrorKind::NotFound) return error_response(bytes.error());
    if (!bytes) {
      return error_response(http::status::not_found, "not_found",
                            "no module sha256:" + sha + " (POST /v1/modules uploads it)", std::string("/module_sha256"));
    }
    auto deployed = deploy::deploy_extension(*registry_, *bytes, request);
    if (!deployed) return error_response(deployed.error());
    (void)executor_->refresh();
    rapidjson::StringBuffer sb;
    JsonWriter w(sb);
    w.StartObject();
    w.Key("extension");
    write_extension(w, deployed->extension);
    w.Key("module");
    write_module(w, deployed->module);
    w.EndObject();
    return ok_json(http::status::created, sb);
  }

  if (path == "/v1/extensions/rollback" || path == "/v1/extensions/enable" || path == "/v1/extensions/disable" ||
      path == "/v1/extensions/promote" || path == "/v1/extensions/canary") {
    if (method != http::verb::post) return method_not_allowed();
    JsonBody body = parse_json_object(req);
    if (body.error) return std::move(*body.error);
    std::string ep, scope, name;
    std::optional<int64_t> to, percent;
    if (auto bad = get_string(body.doc, "extension_point", ep, true)) return std::move(*bad);
    if (auto bad = get_string(body.doc, "scope", scope, true)) return std::move(*bad);
    if (auto bad = get_string(body.doc, "extension", name, false)) return std::move(*bad);
    if (auto bad = get_int(body.doc, "to", to)) return std::move(*bad);
    if (auto bad = get_int(body.doc, "percent", percent)) return std::move(*bad);
    Result<registry::Extension> ext = make_error(ErrorKind::Internal, "unreachable");
    if (path.ends_with("rollback")) {
      ext = registry_->rollback(ep, scope, name, to, kWho);
    } else if (path.ends_with("promote")) {
      ext = registry_->promote(ep, scope, name, kWho);
    } else if (path.ends_with("canary")) {
      if (!percent || *percent < 1 || *percent > 100) {
        return error_response(http::status::bad_request, "invalid_argument",
                              "percent: required, the canary's new share of scopes (1-100)", std::string("/percent"));
      }
      ext = registry_->set_canary_share(ep, scope, name, static_cast<int>(*percent), kWho);
    } else {
      ext = registry_->set_enabled(ep, scope, name, path.ends_with("enable"), kWho);
    }
    if (!ext) return error_response(ext.error());
    (void)executor_->refresh();
    rapidjson::StringBuffer sb;
    JsonWriter w(sb);
    write_extension(w, *ext);
    return ok_json(http::status::ok, sb);
  }
  return error_response(http::status::not_found, "not_found", "no such endpoint: " + path);
}

}  // namespace

Result<void> serve(const ServeConfig& config) {
  std::string path = config.registry.empty() ? registry::Registry::default_path() : config.registry;
  auto registry = registry::Registry::open(path);
  if (!registry) return registry.error();
  execute::LocalExecutorConfig exec_config;
  exec_config.registry_path = path;
  exec_config.replay_capture = {.dir = config.replay_dir,
                                .max_files = config.replay_max_files,
                                .max_bytes = config.replay_max_bytes,
                                .slow = config.replay_slow};
  auto executor = execute::LocalExecutor::open(exec_config);
  if (!executor) return executor.error();
  // Blocked before any thread starts, so that only the signal_set sees them.
  Service service(config, std::move(*registry), std::move(*executor));
  if (auto listening = service.listen(); !listening) return listening.error();
  service.run();
  return {};
}

}  // namespace kiln::server
