#include "execute/remote_executor.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <map>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <type_traits>
#include <vector>

#include <sys/un.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <rapidjson/document.h>

#include "execute/exec_result_json.h"
#include "execute/guest_format.h"

namespace kiln::execute {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using ErrorCode = boost::system::error_code;
using Clock = std::chrono::steady_clock;
using Request = http::request<http::string_body>;
using Response = http::response<http::string_body>;

namespace {

// Answers larger than this are refused (the output and log are limited far
// below it by the extension point).
constexpr uint64_t kBodyLimit = 16u << 20;

// One connection, driven only by the thread that leased it: its own
// io_context runs the socket's operations until they finish or the call's
// deadline passes (Asio's blocking calls take no timeout).
class Connection {
 public:
  virtual ~Connection() = default;
  virtual bool is_open() const = 0;
  virtual ErrorCode connect(Clock::time_point deadline) = 0;
  // One request and its answer. `got_some`: any byte of the answer arrived.
  virtual ErrorCode exchange(const Request& request, Response& response, Clock::time_point deadline,
                              bool& got_some) = 0;
};

template <class Protocol>
class SocketConnection final : public Connection {
 public:
  using Endpoint = typename Protocol::endpoint;
  SocketConnection(const std::vector<Endpoint>& endpoints, std::chrono::microseconds spin,
                   const std::atomic<int>& calls_in_flight)
      : endpoints_(endpoints), spin_(spin), calls_in_flight_(calls_in_flight), socket_(ioc_) {}

  bool is_open() const override { return socket_.is_open(); }

  ErrorCode connect(Clock::time_point deadline) override {
    std::optional<ErrorCode> result;
    net::async_connect(socket_, endpoints_, [&](ErrorCode ec, const Endpoint&) { result = ec; });
    ErrorCode ec = run(result, deadline);
    if (!ec) {
      if constexpr (std::is_same_v<Protocol, net::ip::tcp>) {
        ErrorCode ignored;
        socket_.set_option(net::ip::tcp::no_delay(true), ignored);
      }
    } else {
      close();
    }
    return ec;
  }

  ErrorCode exchange(const Request& request, Response& response, Clock::time_point deadline,
                      bool& got_some) override {
    got_some = false;
    std::optional<ErrorCode> result;
    http::async_write(socket_, request, [&](ErrorCode ec, std::size_t) { result = ec; });
    if (ErrorCode ec = run(result, deadline)) return fail(ec);
    http::response_parser<http::string_body> parser;
    parser.body_limit(kBodyLimit);
    result.reset();
    http::async_read(socket_, buffer_, parser, [&](ErrorCode ec, std::size_t) { result = ec; });
    ErrorCode ec = run(result, deadline);
    got_some = parser.got_some() || buffer_.size() != 0;
    if (ec) return fail(ec);
    response = parser.release();
    return {};
  }

 private:
  ErrorCode fail(ErrorCode ec) {
    close();
    return ec;
  }

  void close() {
    ErrorCode ignored;
    socket_.close(ignored);
    buffer_.clear();
  }

  // Runs the pending operation until it completes or the deadline passes;
  // on the deadline, cancels it (closing the socket) and lets its handler
  // run, since the handler refers to `result`. It polls first (the
  // config's `spin`) while this is the client's only call in flight: with
  // more, the cores are better left to them and to the service.
  ErrorCode run(std::optional<ErrorCode>& result, Clock::time_point deadline) {
    ioc_.restart();
    const Clock::time_point spin_until = std::min(deadline, Clock::now() + spin_);
    while (!result && calls_in_flight_.load(std::memory_order_relaxed) == 1 && Clock::now() < spin_until) {
      ioc_.poll();
    }
    if (!result) ioc_.run_until(deadline);
    if (result) return *result;
    close();
    ioc_.restart();
    ioc_.run();
    return net::error::timed_out;
  }

  std::vector<Endpoint> endpoints_;
  std::chrono::microseconds spin_;
  const std::atomic<int>& calls_in_flight_;
  net::io_context ioc_{1};
  typename Protocol::socket socket_;
  beast::flat_buffer buffer_;
};

std::string percent_encode(std::string_view text) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
        c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::optional<ErrorKind> kind_coded(std::string_view code) {
  for (int k = static_cast<int>(ErrorKind::InvalidArgument); k <= static_cast<int>(kLastErrorKind); ++k) {
    if (code == error_code(static_cast<ErrorKind>(k))) return static_cast<ErrorKind>(k);
  }
  return std::nullopt;
}

// {"code": ..., "message": ...} from an error answer — at the top or, in a
// result-shaped body, under "error" — as far as it is one.
std::pair<std::string, std::string> error_body(const std::string& body) {
  rapidjson::Document doc;
  doc.Parse(body.c_str(), body.size());
  if (doc.HasParseError() || !doc.IsObject()) return {};
  const rapidjson::Value& top = doc;
  const rapidjson::Value* root = &top;
  if (auto nested = top.FindMember("error"); nested != top.MemberEnd() && nested->value.IsObject()) {
    root = &nested->value;
  }
  auto field = [&](const char* key) {
    auto it = root->FindMember(key);
    return it != root->MemberEnd() && it->value.IsString()
               ? std::string(it->value.GetString(), it->value.GetStringLength())
               : std::string();
  };
  return {field("code"), field("message")};
}

struct EpStats {
  std::array<StageHistogram, kStageCount> stages;
  StageHistogram overhead;
  std::array<std::atomic<uint64_t>, kExecStatusCount> by_status{};
  std::array<std::atomic<uint64_t>, kErrorKindSlots> errors_by_kind{};
};

enum class BreakerState { Closed, Open, HalfOpen };
enum class Admission { Go, Trial, Refuse };

}  // namespace

struct RemoteExecutor::Impl {
  RemoteExecutorConfig config;
  std::string where;        // "127.0.0.1:8080" or "unix:/path", for messages
  std::string host_header;
  std::string path_prefix;  // "" or "/prefix"
  std::vector<net::ip::tcp::endpoint> tcp_endpoints;
  std::string unix_path;

  std::mutex pool_mutex;
  std::vector<std::unique_ptr<Connection>> idle;
  std::atomic<int> in_flight{0};  // calls on the network now

  mutable std::mutex breaker_mutex;
  BreakerState state = BreakerState::Closed;
  uint32_t consecutive_failures = 0;
  Clock::time_point open_until{};
  std::string last_failure;

  std::atomic<uint64_t> calls{0}, connections_opened{0}, connections_reused{0}, stale_retries{0}, failures{0},
      short_circuited{0}, breaker_opened{0};
  StageHistogram network, round_trip;

  mutable std::shared_mutex stats_mutex;
  std::map<std::string, std::unique_ptr<EpStats>, std::less<>> stats_by_ep;

  std::unique_ptr<Connection> new_connection() {
    if (!unix_path.empty()) {
      return std::make_unique<SocketConnection<net::local::stream_protocol>>(
          std::vector<net::local::stream_protocol::endpoint>{net::local::stream_protocol::endpoint(unix_path)},
          config.spin, in_flight);
    }
    return std::make_unique<SocketConnection<net::ip::tcp>>(tcp_endpoints, config.spin, in_flight);
  }

  std::unique_ptr<Connection> lease(bool& reused) {
    {
      std::lock_guard lock(pool_mutex);
      if (!idle.empty()) {
        auto connection = std::move(idle.back());
        idle.pop_back();
        reused = true;
        return connection;
      }
    }
    reused = false;
    return new_connection();
  }

  void give_back(std::unique_ptr<Connection> connection) {
    std::lock_guard lock(pool_mutex);
    if (idle.size() < config.pool_size) idle.push_back(std::move(connection));
  }

  Admission admit(std::string& why) {
    if (config.breaker_failures == 0) return Admission::Go;
    std::lock_guard lock(breaker_mutex);
    switch (state) {
      case BreakerState::Closed: return Admission::Go;
      case BreakerState::Open:
        if (Clock::now() >= open_until) {
          state = BreakerState::HalfOpen;
          return Admission::Trial;
        }
        [[fallthrough]];
      case BreakerState::HalfOpen:
        why = last_failure;
        return Admission::Refuse;
    }
    return Admission::Go;
  }

  // A call that reached the service and had an answer (success), or one
  // that counts against it (failure).
  // `retry_after`: the service's Retry-After, which lengthens the cool-down
  // when this failure opens the breaker.
  void record(bool failure, bool trial, const std::string& what,
              std::chrono::milliseconds retry_after = std::chrono::milliseconds(0)) {
    if (config.breaker_failures == 0) return;
    std::lock_guard lock(breaker_mutex);
    if (!failure) {
      consecutive_failures = 0;
      state = BreakerState::Closed;
      return;
    }
    last_failure = what;
    bool open = false;
    if (trial) open = true;
    else if (state == BreakerState::Closed && ++consecutive_failures >= config.breaker_failures) open = true;
    if (open) {
      state = BreakerState::Open;
      open_until = Clock::now() + std::max(config.breaker_cool_down, retry_after);
      consecutive_failures = 0;
      breaker_opened.fetch_add(1, std::memory_order_relaxed);
    }
  }

  EpStats& stats_of(std::string_view ep) {
    {
      std::shared_lock lock(stats_mutex);
      if (auto it = stats_by_ep.find(ep); it != stats_by_ep.end()) return *it->second;
    }
    std::unique_lock lock(stats_mutex);
    auto& slot = stats_by_ep[std::string(ep)];
    if (!slot) slot = std::make_unique<EpStats>();
    return *slot;
  }

  void record_stats(const ExecResult& r, std::chrono::nanoseconds elapsed, bool answered) {
    EpStats& s = stats_of(r.extension_point);
    s.by_status[static_cast<int>(r.status)].fetch_add(1, std::memory_order_relaxed);
    if (r.error && static_cast<int>(r.error->kind) < kErrorKindSlots) {
      s.errors_by_kind[static_cast<int>(r.error->kind)].fetch_add(1, std::memory_order_relaxed);
    }
    if (!answered) return;
    for (int i = 0; i < kStageCount; ++i) s.stages[i].record(static_cast<uint64_t>(r.stages[i].count()));
    s.overhead.record(static_cast<uint64_t>(std::max<int64_t>(0, (elapsed - r.stage(Stage::Run)).count())));
    network.record(static_cast<uint64_t>(r.network_time.count()));
    round_trip.record(static_cast<uint64_t>(elapsed.count()));
  }
};

namespace {

ExecResult degraded(std::string_view ep, std::string_view scope, ErrorKind kind, std::string message) {
  ExecResult r;
  r.status = ExecStatus::NotRun;
  r.extension_point = std::string(ep);
  r.scope = std::string(scope);
  r.error = make_error(kind, std::move(message));
  return r;
}

}  // namespace

Result<std::unique_ptr<RemoteExecutor>> RemoteExecutor::open(RemoteExecutorConfig config) {
  auto impl = std::make_unique<Impl>();
  std::string_view url = config.url;
  if (url.starts_with("unix:")) {
    std::string_view path = url.substr(5);
    if (path.starts_with("//")) path.remove_prefix(2);
    if (path.empty()) return make_error(ErrorKind::InvalidArgument, "remote executor: \"" + config.url + "\": no socket path");
    if (path.size() >= sizeof(sockaddr_un{}.sun_path)) {
      return make_error(ErrorKind::InvalidArgument, "remote executor: \"" + config.url + "\": socket path too long");
    }
    impl->unix_path = std::string(path);
    impl->where = "unix:" + impl->unix_path;
    impl->host_header = "localhost";
  } else if (url.starts_with("http://")) {
    std::string_view rest = url.substr(7);
    std::string_view authority = rest.substr(0, rest.find('/'));
    std::string_view prefix = authority.size() < rest.size() ? rest.substr(authority.size()) : std::string_view();
    while (prefix.ends_with('/')) prefix.remove_suffix(1);
    impl->path_prefix = std::string(prefix);
    std::string host, port = "80";
    if (authority.starts_with('[')) {  // [v6]:port
      auto close = authority.find(']');
      if (close == std::string_view::npos) {
        return make_error(ErrorKind::InvalidArgument, "remote executor: \"" + config.url + "\": bad IPv6 address");
      }
      host = std::string(authority.substr(1, close - 1));
      if (close + 1 < authority.size() && authority[close + 1] == ':') port = std::string(authority.substr(close + 2));
    } else if (auto colon = authority.rfind(':'); colon != std::string_view::npos) {
      host = std::string(authority.substr(0, colon));
      port = std::string(authority.substr(colon + 1));
    } else {
      host = std::string(authority);
    }
    if (host.empty() || port.empty() || !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return make_error(ErrorKind::InvalidArgument,
                        "remote executor: \"" + config.url + "\": expected http://HOST:PORT or unix:/PATH");
    }
    net::io_context ioc;
    net::ip::tcp::resolver resolver(ioc);
    ErrorCode ec;
    auto results = resolver.resolve(host, port, ec);
    if (ec || results.empty()) {
      return make_error(ErrorKind::InvalidArgument,
                        "remote executor: cannot resolve \"" + host + "\": " + (ec ? ec.message() : "no address"));
    }
    for (const auto& entry : results) impl->tcp_endpoints.push_back(entry.endpoint());
    impl->where = std::string(authority);
    impl->host_header = std::string(authority);
  } else if (url.starts_with("https://")) {
    return make_error(ErrorKind::Unsupported,
                      "remote executor: \"" + config.url + "\": https is not supported (use a TLS sidecar, or unix:)");
  } else {
    return make_error(ErrorKind::InvalidArgument,
                      "remote executor: \"" + config.url + "\": expected http://HOST:PORT or unix:/PATH");
  }
  if (config.timeout.count() <= 0) return make_error(ErrorKind::InvalidArgument, "remote executor: timeout must be positive");
  if (std::any_of(config.token.begin(), config.token.end(),
                  [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; })) {
    return make_error(ErrorKind::InvalidArgument, "remote executor: the token has control characters");
  }
  impl->config = std::move(config);
  return std::unique_ptr<RemoteExecutor>(new RemoteExecutor(std::move(impl)));
}

RemoteExecutor::RemoteExecutor(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
RemoteExecutor::~RemoteExecutor() = default;

namespace {

ExecResult execute_on(RemoteExecutor::Impl& im, std::string_view extension_point, std::string_view scope,
                      std::span<const uint8_t> input, base::DataFormat input_format) {
  const auto start = Clock::now();
  const auto deadline = start + im.config.timeout;
  im.calls.fetch_add(1, std::memory_order_relaxed);

  std::string why;
  Admission admission = im.admit(why);
  if (admission == Admission::Refuse) {
    im.short_circuited.fetch_add(1, std::memory_order_relaxed);
    ExecResult r = degraded(extension_point, scope, ErrorKind::Io,
                            "remote executor: " + im.where + ": circuit breaker open (last failure: " + why +
                                ")");
    im.record_stats(r, Clock::now() - start, false);
    return r;
  }
  const bool trial = admission == Admission::Trial;

  // A transport failure or an answer that says the service cannot serve:
  // NotRun, counted against the breaker.
  auto fail = [&](ErrorKind kind, const std::string& what, bool counts,
                  std::chrono::milliseconds retry_after = std::chrono::milliseconds(0)) {
    if (counts) im.failures.fetch_add(1, std::memory_order_relaxed);
    im.record(counts, trial, what, retry_after);
    ExecResult r = degraded(extension_point, scope, kind, "remote executor: " + im.where + ": " + what);
    r.network_time = Clock::now() - start;
    im.record_stats(r, r.network_time, false);
    return r;
  };

  std::string target = im.path_prefix + "/v1/execute/" + percent_encode(extension_point) +
                       "?scope=" + percent_encode(scope);
  Request request{http::verb::post, target, 11};
  request.set(http::field::host, im.host_header);
  if (!im.config.token.empty()) request.set(http::field::authorization, "Bearer " + im.config.token);
  // A MessagePack input goes as it is; the answer is always the JSON result
  // (execute(..., options) converts its output when MessagePack is wanted).
  request.set(http::field::content_type,
              input_format == base::DataFormat::Msgpack ? "application/msgpack" : "application/json");
  request.set(http::field::accept, "application/json");
  request.keep_alive(true);
  request.body().assign(reinterpret_cast<const char*>(input.data()), input.size());
  request.prepare_payload();

  Response response;
  bool reused = false;
  std::unique_ptr<Connection> connection = im.lease(reused);
  im.in_flight.fetch_add(1, std::memory_order_relaxed);
  struct LeaveFlight {
    std::atomic<int>& n;
    ~LeaveFlight() { n.fetch_sub(1, std::memory_order_relaxed); }
  } leave_flight{im.in_flight};
  for (int attempt = 0;; ++attempt) {
    if (!connection->is_open()) {
      if (ErrorCode ec = connection->connect(deadline)) {
        return fail(ErrorKind::Io,
                    ec == net::error::timed_out ? "connect timed out after " + std::to_string(im.config.timeout.count()) + " ms"
                                                : "cannot connect: " + ec.message(),
                    true);
      }
      im.connections_opened.fetch_add(1, std::memory_order_relaxed);
    } else {
      im.connections_reused.fetch_add(1, std::memory_order_relaxed);
    }
    bool got_some = false;
    ErrorCode ec = connection->exchange(request, response, deadline, got_some);
    if (!ec) break;
    // A keep-alive connection the service closed while it sat in the pool:
    // once, on a new connection.
    if (reused && attempt == 0 && !got_some && ec != net::error::timed_out && Clock::now() < deadline) {
      im.stale_retries.fetch_add(1, std::memory_order_relaxed);
      connection = im.new_connection();
      reused = false;
      continue;
    }
    return fail(ErrorKind::Io,
                ec == net::error::timed_out ? "timed out after " + std::to_string(im.config.timeout.count()) + " ms"
                                            : "request failed: " + ec.message(),
                true);
  }
  const auto elapsed = Clock::now() - start;
  if (response.keep_alive()) im.give_back(std::move(connection));

  const unsigned code = response.result_int();
  if (code == 200 || code == 422) {
    auto parsed = exec_result_from_json(response.body());
    if (!parsed) return fail(ErrorKind::Io, "malformed answer (HTTP " + std::to_string(code) + "): " + parsed.error().message, true);
    ExecResult r = std::move(*parsed);
    r.network_time = std::max(std::chrono::nanoseconds(0),
                              std::chrono::duration_cast<std::chrono::nanoseconds>(elapsed) - r.stage(Stage::Total));
    im.record(false, trial, {});
    im.record_stats(r, elapsed, true);
    return r;
  }
  auto [error_code_text, message] = error_body(response.body());
  auto retry_after = [&] {
    auto it = response.find(http::field::retry_after);
    return it == response.end() ? std::string() : ", Retry-After " + std::string(it->value());
  };
  if (code == 429) {  // this scope's share is used up: the service is fine
    return fail(ErrorKind::PoolExhausted, "scope over its concurrency limit (HTTP 429" + retry_after() + ")", false);
  }
  if (code == 503) {
    // Retry-After in seconds (an HTTP date is not read), at most a minute.
    std::chrono::milliseconds wait(0);
    if (auto it = response.find(http::field::retry_after); it != response.end()) {
      std::string_view value(it->value().data(), it->value().size());
      uint64_t seconds = 0;
      bool digits = !value.empty() && value.size() <= 6;
      for (char c : value) digits = digits && c >= '0' && c <= '9';
      if (digits) {
        for (char c : value) seconds = seconds * 10 + static_cast<uint64_t>(c - '0');
        wait = std::chrono::seconds(std::min<uint64_t>(seconds, 60));
      }
    }
    return fail(ErrorKind::PoolExhausted,
                "service overloaded (HTTP 503" + retry_after() + ")" + (message.empty() ? "" : ": " + message), true,
                wait);
  }
  if (code >= 500) {
    // A whole result with status "error" (a module that cannot load, ...):
    // the service ran the pipeline and answered, as in process.
    if (auto parsed = exec_result_from_json(response.body()); parsed && parsed->status == ExecStatus::Error) {
      ExecResult r = std::move(*parsed);
      r.network_time = std::max(std::chrono::nanoseconds(0),
                                std::chrono::duration_cast<std::chrono::nanoseconds>(elapsed) - r.stage(Stage::Total));
      im.record(false, trial, {});
      im.record_stats(r, elapsed, false);
      return r;
    }
    return fail(ErrorKind::Io, "service failed (HTTP " + std::to_string(code) + ")" + (message.empty() ? "" : ": " + message),
                true);
  }
  // Any other answer: the service is up and refused this call. A body that
  // is a whole result (the service's 404 for an unknown extension point
  // may be) is taken as it is.
  im.record(false, trial, {});
  if (code != 401 && code != 403) {
    if (auto parsed = exec_result_from_json(response.body()); parsed && parsed->error) {
      ExecResult r = std::move(*parsed);
      r.network_time = std::max(std::chrono::nanoseconds(0),
                                std::chrono::duration_cast<std::chrono::nanoseconds>(elapsed) - r.stage(Stage::Total));
      im.record_stats(r, elapsed, false);
      return r;
    }
  }
  ExecResult r;
  r.status = ExecStatus::Error;
  r.extension_point = std::string(extension_point);
  r.scope = std::string(scope);
  ErrorKind kind = kind_coded(error_code_text).value_or(ErrorKind::InvalidArgument);
  if (code == 404) kind = ErrorKind::NotFound;
  if (code == 413) kind = ErrorKind::InvalidInput;  // the input over the service's max_body
  if (code == 401 || code == 403) {
    kind = ErrorKind::InvalidArgument;
    message = "the execute token was refused (HTTP " + std::to_string(code) + ")" + (message.empty() ? "" : ": " + message);
  }
  if (kind == ErrorKind::InvalidInput) r.status = ExecStatus::InvalidInput;
  if (message.empty()) message = "the service answered HTTP " + std::to_string(code);
  r.error = make_error(kind, std::move(message));
  r.network_time = elapsed;
  im.record_stats(r, elapsed, false);
  return r;
}

}  // namespace

ExecResult RemoteExecutor::execute(std::string_view extension_point, std::string_view scope,
                                   std::span<const uint8_t> input) {
  static const CallOptions kNone;
  return execute(extension_point, scope, input, kNone);
}

ExecResult RemoteExecutor::execute(std::string_view extension_point, std::string_view scope,
                                   std::span<const uint8_t> input, const CallOptions& options) {
  try {
    ExecResult r = execute_on(*impl_, extension_point, scope, input, options.input_format);
    if (options.output_format == base::DataFormat::Msgpack && r.status == ExecStatus::Ok) {
      auto packed = convert_value(r.output, base::DataFormat::Json, base::DataFormat::Msgpack,
                                  ErrorKind::InvalidOutput, "output");
      if (!packed) {
        r.status = ExecStatus::InvalidOutput;
        r.error = packed.error();
        return r;
      }
      r.output = std::move(*packed);
      r.output_format = base::DataFormat::Msgpack;
    }
    return r;
  } catch (const std::exception& e) {  // out of memory, at worst: never out of execute()
    ExecResult r;
    r.status = ExecStatus::Error;
    r.extension_point = std::string(extension_point);
    r.scope = std::string(scope);
    r.error = make_error(ErrorKind::Internal, std::string("remote executor: ") + e.what());
    return r;
  }
}

std::vector<StageStats> RemoteExecutor::stats() const {
  std::vector<StageStats> out;
  std::shared_lock lock(impl_->stats_mutex);
  for (const auto& [name, s] : impl_->stats_by_ep) {
    StageStats stats;
    stats.extension_point = name;
    for (int i = 0; i < kStageCount; ++i) {
      stats.stages[i] = s->stages[i].percentiles();
      stats.stage_buckets[i] = s->stages[i].latency_buckets();
    }
    stats.overhead = s->overhead.percentiles();
    stats.overhead_buckets = s->overhead.latency_buckets();
    for (int i = 0; i < kExecStatusCount; ++i) stats.by_status[i] = s->by_status[i].load(std::memory_order_relaxed);
    for (int i = 0; i < kErrorKindSlots; ++i) {
      stats.errors_by_kind[i] = s->errors_by_kind[i].load(std::memory_order_relaxed);
    }
    out.push_back(std::move(stats));
  }
  return out;
}

RemoteClientStats RemoteExecutor::client_stats() const {
  const Impl& im = *impl_;
  RemoteClientStats s;
  s.calls = im.calls.load(std::memory_order_relaxed);
  s.connections_opened = im.connections_opened.load(std::memory_order_relaxed);
  s.connections_reused = im.connections_reused.load(std::memory_order_relaxed);
  s.stale_retries = im.stale_retries.load(std::memory_order_relaxed);
  s.failures = im.failures.load(std::memory_order_relaxed);
  s.short_circuited = im.short_circuited.load(std::memory_order_relaxed);
  s.breaker_opened = im.breaker_opened.load(std::memory_order_relaxed);
  {
    std::lock_guard lock(im.breaker_mutex);
    s.breaker_open = im.state != BreakerState::Closed;
  }
  s.network = im.network.percentiles();
  s.round_trip = im.round_trip.percentiles();
  return s;
}

}  // namespace kiln::execute
