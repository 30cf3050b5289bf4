// RemoteExecutor against a real HTTP server on a real socket: a small
// Boost.Beast server started inside the test, on loopback TCP or a Unix
// socket, answering with canned bodies made by execute::to_json (the
// service's contract), and counting connections and requests.
#include "execute/remote_executor.h"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include "execute/exec_result_json.h"
#include "tests/platform_process_support.h"
#include "tests/test_support.h"

namespace kiln::execute {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using ErrorCode = boost::system::error_code;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

struct Reply {
  unsigned status = 200;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  bool hang = false;  // read the request, never answer
};

using Handler = std::function<Reply(const http::request<http::string_body>&)>;

class TestServer {
 public:
  static std::unique_ptr<TestServer> tcp(Handler handler, uint16_t port = 0) {
    auto server = std::unique_ptr<TestServer>(new TestServer(std::move(handler)));
    server->tcp_acceptor_.emplace(server->ioc_, net::ip::tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
    server->port_ = server->tcp_acceptor_->local_endpoint().port();
    server->accept(*server->tcp_acceptor_);
    server->start();
    return server;
  }
  static std::unique_ptr<TestServer> unix_socket(Handler handler, const std::string& path) {
    auto server = std::unique_ptr<TestServer>(new TestServer(std::move(handler)));
    ::unlink(path.c_str());
    server->unix_acceptor_.emplace(server->ioc_, net::local::stream_protocol::endpoint(path));
    server->accept(*server->unix_acceptor_);
    server->start();
    return server;
  }

  ~TestServer() { stop(); }

  uint16_t port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int connections() const { return connections_.load(); }
  int requests() const { return requests_.load(); }
  http::request<http::string_body> last_request() {
    std::lock_guard lock(mutex_);
    return last_request_;
  }

  // Closes the listener and every connection: the port refuses from now on.
  void stop() {
    if (stopped_) return;
    stopped_ = true;
    ioc_.stop();
    if (thread_.joinable()) thread_.join();
    ErrorCode ignored;
    if (tcp_acceptor_) tcp_acceptor_->close(ignored);
    if (unix_acceptor_) unix_acceptor_->close(ignored);
    for (auto& close : closers_) close();
    closers_.clear();
  }

 private:
  explicit TestServer(Handler handler) : handler_(std::move(handler)) {}

  void start() {
    thread_ = std::thread([this] { ioc_.run(); });
  }

  template <class Protocol>
  struct Session : std::enable_shared_from_this<Session<Protocol>> {
    Session(TestServer* server, typename Protocol::socket socket) : server(server), socket(std::move(socket)) {}
    TestServer* server;
    typename Protocol::socket socket;
    beast::flat_buffer buffer;
    http::request<http::string_body> request;
    http::response<http::string_body> response;

    void read() {
      request = {};
      http::async_read(socket, buffer, request, [self = this->shared_from_this()](ErrorCode ec, std::size_t) {
        if (!ec) self->answer();
      });
    }
    void answer() {
      server->requests_.fetch_add(1);
      {
        std::lock_guard lock(server->mutex_);
        server->last_request_ = request;
      }
      Reply reply = server->handler_(request);
      if (reply.hang) return;  // the socket stays open (the server holds it) and silent
      response = {};
      response.result(reply.status);
      response.version(11);
      response.set(http::field::content_type, "application/json");
      for (const auto& [name, value] : reply.headers) response.set(name, value);
      response.body() = reply.body;
      response.keep_alive(request.keep_alive());
      response.prepare_payload();
      http::async_write(socket, response, [self = this->shared_from_this()](ErrorCode ec, std::size_t) {
        if (!ec && self->response.keep_alive()) self->read();
      });
    }
  };

  template <class Acceptor>
  void accept(Acceptor& acceptor) {
    using Protocol = typename Acceptor::protocol_type;
    acceptor.async_accept([this, &acceptor](ErrorCode ec, typename Protocol::socket socket) {
      if (ec) return;
      connections_.fetch_add(1);
      auto session = std::make_shared<Session<Protocol>>(this, std::move(socket));
      closers_.push_back([session] {
        ErrorCode ignored;
        session->socket.close(ignored);
      });
      session->read();
      accept(acceptor);
    });
  }

  Handler handler_;
  net::io_context ioc_{1};
  std::optional<net::ip::tcp::acceptor> tcp_acceptor_;
  std::optional<net::local::stream_protocol::acceptor> unix_acceptor_;
  std::vector<std::function<void()>> closers_;  // touched by the server thread, then by stop() after the join
  std::thread thread_;
  uint16_t port_ = 0;
  std::atomic<int> connections_{0}, requests_{0};
  std::mutex mutex_;
  http::request<http::string_body> last_request_;
  bool stopped_ = false;
};

// A result with every field set, as the service would answer.
ExecResult full_result(std::string scope = "shop-1") {
  ExecResult r;
  r.status = ExecStatus::Ok;
  r.output = R"({"discounts":[{"value":5}]})";
  r.log = "line one\nline two";
  r.log_truncated = true;
  r.exit_code = 0;
  r.fuel_used = 12345;
  r.fuel_limit = 11000000;
  r.memory_peak_bytes = 131072;
  r.memory_limit_bytes = 10 << 20;
  r.run_time = 40000ns;
  r.time_limit = 100ms;
  r.module_size = 2048;
  r.input_bytes = 17;
  r.input_validated = true;
  r.extension_point = "checkout.discount";
  r.scope = scope;
  r.matched_scope = "*";
  r.extension = "ten-percent";
  r.version = 3;
  r.module_sha256 = std::string(64, 'a');
  r.backend = "aot";
  for (int s = 0; s < kStageCount; ++s) r.stages[s] = std::chrono::nanoseconds(1000 * (s + 1));
  r.stages[static_cast<int>(Stage::Total)] = 50000ns;
  return r;
}

Reply ok_reply(const http::request<http::string_body>&) { return {200, to_json(full_result()), {}}; }

// Echoes the scope (from the query) and the body back in the result.
Reply echo_reply(const http::request<http::string_body>& request) {
  ExecResult r = full_result();
  std::string target(request.target());
  r.scope = target.substr(target.find("scope=") + 6);
  r.output = request.body();
  return {200, to_json(r), {}};
}

std::span<const uint8_t> bytes(const std::string& text) {
  return {reinterpret_cast<const uint8_t*>(text.data()), text.size()};
}

RemoteExecutorConfig config_for(const std::string& url) {
  RemoteExecutorConfig config;
  config.url = url;
  config.token = "exec-token-1";
  config.timeout = 2000ms;
  return config;
}

std::unique_ptr<RemoteExecutor> open_or_die(RemoteExecutorConfig config) {
  auto executor = RemoteExecutor::open(std::move(config));
  if (!executor) {
    ADD_FAILURE() << executor.error().message;
    return nullptr;
  }
  return std::move(*executor);
}

TEST(RemoteExecutor, ResultRoundTripsEveryField) {
  auto server = TestServer::tcp(ok_reply);
  auto executor = open_or_die(config_for(server->url()));
  ASSERT_TRUE(executor);
  std::string input = R"({"cart":{"lines":3}})";
  auto start = Clock::now();
  ExecResult r = executor->execute("checkout.discount", "shop 1/ü&x=y", bytes(input));
  auto round_trip = Clock::now() - start;
  ExecResult want = full_result();
  ASSERT_EQ(r.status, ExecStatus::Ok) << (r.error ? r.error->message : "");
  EXPECT_FALSE(r.error);
  EXPECT_EQ(r.output, want.output);
  EXPECT_EQ(r.log, want.log);
  EXPECT_EQ(r.log_truncated, want.log_truncated);
  EXPECT_EQ(r.exit_code, want.exit_code);
  EXPECT_EQ(r.fuel_used, want.fuel_used);
  EXPECT_EQ(r.fuel_limit, want.fuel_limit);
  EXPECT_EQ(r.memory_peak_bytes, want.memory_peak_bytes);
  EXPECT_EQ(r.memory_limit_bytes, want.memory_limit_bytes);
  EXPECT_EQ(r.run_time, want.run_time);
  EXPECT_EQ(r.time_limit, want.time_limit);
  EXPECT_EQ(r.module_size, want.module_size);
  EXPECT_EQ(r.input_bytes, want.input_bytes);
  EXPECT_EQ(r.input_validated, want.input_validated);
  EXPECT_EQ(r.extension_point, want.extension_point);
  EXPECT_EQ(r.scope, want.scope);
  EXPECT_EQ(r.matched_scope, want.matched_scope);
  EXPECT_EQ(r.extension, want.extension);
  EXPECT_EQ(r.version, want.version);
  EXPECT_EQ(r.module_sha256, want.module_sha256);
  EXPECT_EQ(r.backend, want.backend);
  EXPECT_EQ(r.stages, want.stages);
  // Network time: the round trip minus the service's own total.
  EXPECT_GT(r.network_time.count(), 0);
  EXPECT_LE(r.network_time, round_trip - r.stage(Stage::Total));

  // The request as the contract has it.
  auto request = server->last_request();
  EXPECT_EQ(request.method(), http::verb::post);
  EXPECT_EQ(std::string(request.target()), "/v1/execute/checkout.discount?scope=shop%201%2F%C3%BC%26x%3Dy");
  EXPECT_EQ(std::string(request[http::field::authorization]), "Bearer exec-token-1");
  EXPECT_EQ(std::string(request[http::field::content_type]), "application/json");
  EXPECT_EQ(request.body(), input);
  EXPECT_TRUE(request.keep_alive());

  auto stats = executor->stats();
  ASSERT_EQ(stats.size(), 1u);
  EXPECT_EQ(stats[0].extension_point, "checkout.discount");
  EXPECT_EQ(stats[0].by_status[static_cast<int>(ExecStatus::Ok)], 1u);
  EXPECT_EQ(stats[0].stages[static_cast<int>(Stage::Total)].count, 1u);
}

TEST(RemoteExecutor, KeepAliveReusesOneConnection) {
  auto server = TestServer::tcp(echo_reply);
  auto executor = open_or_die(config_for(server->url()));
  ASSERT_TRUE(executor);
  for (int i = 0; i < 100; ++i) {
    std::string input = R"({"i":)" + std::to_string(i) + "}";
    ExecResult r = executor->execute("checkout.discount", "s", bytes(input));
    ASSERT_EQ(r.status, ExecStatus::Ok) << i << ": " << (r.error ? r.error->message : "");
    ASSERT_EQ(r.output, input);
  }
  EXPECT_EQ(server->requests(), 100);
  EXPECT_EQ(server->connections(), 1);
  auto stats = executor->client_stats();
  EXPECT_EQ(stats.connections_opened, 1u);
  EXPECT_EQ(stats.connections_reused, 99u);
}

TEST(RemoteExecutor, ReconnectsOnceOnAStaleConnection) {
  // The server closes after each answer without saying so (no
  // "Connection: close"): the pooled connection is stale on the next call.
  std::unique_ptr<TestServer> server;
  auto first = TestServer::tcp(ok_reply);
  auto executor = open_or_die(config_for(first->url()));
  ASSERT_TRUE(executor);
  EXPECT_EQ(executor->execute("checkout.discount", "s", bytes("{}")).status, ExecStatus::Ok);
  uint16_t port = first->port();
  first->stop();  // closes the pooled connection from the server side
  first.reset();
  server = TestServer::tcp(ok_reply, port);
  ExecResult r = executor->execute("checkout.discount", "s", bytes("{}"));
  EXPECT_EQ(r.status, ExecStatus::Ok) << (r.error ? r.error->message : "");
  EXPECT_EQ(executor->client_stats().stale_retries, 1u);
  EXPECT_EQ(server->connections(), 1);
}

TEST(RemoteExecutor, TimesOutAgainstAServerThatNeverAnswers) {
  auto server = TestServer::tcp([](const auto&) { return Reply{.hang = true}; });
  auto config = config_for(server->url());
  config.timeout = 100ms;
  auto executor = open_or_die(config);
  ASSERT_TRUE(executor);
  auto start = Clock::now();
  ExecResult r = executor->execute("checkout.discount", "s", bytes("{}"));
  auto elapsed = Clock::now() - start;
  EXPECT_EQ(r.status, ExecStatus::NotRun);
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->kind, ErrorKind::Io);
  EXPECT_NE(r.error->message.find("timed out"), std::string::npos) << r.error->message;
  EXPECT_GE(elapsed, 100ms);
  EXPECT_LT(elapsed, 100ms + 3s);  // the timeout plus generous slack
  EXPECT_EQ(server->requests(), 1);
}

TEST(RemoteExecutor, BreakerOpensOn5xxAndFailsFastWithoutTheNetwork) {
  auto server = TestServer::tcp([](const auto&) {
    return Reply{503, R"({"code":"overloaded","message":"queue full"})", {{"Retry-After", "1"}}};
  });
  auto config = config_for(server->url());
  config.breaker_failures = 3;
  config.breaker_cool_down = 60s;
  auto executor = open_or_die(config);
  ASSERT_TRUE(executor);
  for (int i = 0; i < 3; ++i) {
    ExecResult r = executor->execute("checkout.discount", "s", bytes("{}"));
    EXPECT_EQ(r.status, ExecStatus::NotRun);
    ASSERT_TRUE(r.error);
    EXPECT_EQ(r.error->kind, ErrorKind::PoolExhausted);
    EXPECT_NE(r.error->message.find("503"), std::string::npos) << r.error->message;
    EXPECT_NE(r.error->message.find("Retry-After 1"), std::string::npos) << r.error->message;
  }
  EXPECT_EQ(server->requests(), 3);
  EXPECT_TRUE(executor->client_stats().breaker_open);
  int connections = server->connections();
  for (int i = 0; i < 50; ++i) {
    ExecResult r = executor->execute("checkout.discount", "s", bytes("{}"));
    EXPECT_EQ(r.status, ExecStatus::NotRun);
    ASSERT_TRUE(r.error);
    EXPECT_EQ(r.error->kind, ErrorKind::Io);
    EXPECT_NE(r.error->message.find("circuit breaker open"), std::string::npos) << r.error->message;
  }
  EXPECT_EQ(server->requests(), 3);  // the open breaker never touched the network
  EXPECT_EQ(server->connections(), connections);
  EXPECT_EQ(executor->client_stats().short_circuited, 50u);
}

TEST(RemoteExecutor, RetryAfterLengthensTheCoolDown) {
  std::atomic<bool> overloaded{true};
  auto server = TestServer::tcp([&](const http::request<http::string_body>& request) {
    if (overloaded.load()) return Reply{503, R"({"code":"overloaded","message":"queue full"})", {{"Retry-After", "1"}}};
    return ok_reply(request);
  });
  auto config = config_for(server->url());
  config.breaker_failures = 1;
  config.breaker_cool_down = 50ms;
  auto executor = open_or_die(config);
  ASSERT_TRUE(executor);
  EXPECT_EQ(executor->execute("checkout.discount", "s", bytes("{}")).status, ExecStatus::NotRun);
  overloaded = false;
  std::this_thread::sleep_for(200ms);  // past the configured cool-down, inside Retry-After's second
  ExecResult still = executor->execute("checkout.discount", "s", bytes("{}"));
  EXPECT_EQ(still.status, ExecStatus::NotRun);
  EXPECT_EQ(server->requests(), 1);
  std::this_thread::sleep_for(1000ms);
  ExecResult back = executor->execute("checkout.discount", "s", bytes("{}"));
  EXPECT_EQ(back.status, ExecStatus::Ok) << (back.error ? back.error->message : "");
  EXPECT_EQ(server->requests(), 2);
}

TEST(RemoteExecutor, BreakerOpensWhenTheServerStopsAndClosesWhenItComesBack) {
  auto server = TestServer::tcp(ok_reply);
  uint16_t port = server->port();
  auto config = config_for(server->url());
  config.timeout = 500ms;
  config.breaker_failures = 3;
  config.breaker_cool_down = 300ms;
  auto executor = open_or_die(config);
  ASSERT_TRUE(executor);
  ASSERT_EQ(executor->execute("checkout.discount", "s", bytes("{}")).status, ExecStatus::Ok);

  server->stop();  // refused from now on
  for (int i = 0; i < 3; ++i) {
    ExecResult r = executor->execute("checkout.discount", "s", bytes("{}"));
    EXPECT_EQ(r.status, ExecStatus::NotRun);
    ASSERT_TRUE(r.error);
    EXPECT_EQ(r.error->kind, ErrorKind::Io);
  }
  auto stats = executor->client_stats();
  EXPECT_TRUE(stats.breaker_open);
  EXPECT_EQ(stats.breaker_opened, 1u);
  uint64_t opened = stats.connections_opened;
  auto start = Clock::now();
  for (int i = 0; i < 100; ++i) {
    ExecResult r = executor->execute("checkout.discount", "s", bytes("{}"));
    EXPECT_EQ(r.status, ExecStatus::NotRun);
    ASSERT_TRUE(r.error);
    EXPECT_NE(r.error->message.find("circuit breaker open"), std::string::npos) << r.error->message;
  }
  EXPECT_LT(Clock::now() - start, 300ms);  // fast: 100 calls well inside one cool-down
  EXPECT_EQ(executor->client_stats().short_circuited, 100u);
  EXPECT_EQ(executor->client_stats().connections_opened, opened);

  // Still down after the cool-down: the one trial call fails, it opens again.
  std::this_thread::sleep_for(350ms);
  EXPECT_EQ(executor->execute("checkout.discount", "s", bytes("{}")).status, ExecStatus::NotRun);
  EXPECT_EQ(executor->client_stats().breaker_opened, 2u);
  EXPECT_TRUE(executor->client_stats().breaker_open);

  // Back: after the cool-down the trial call goes through and closes it.
  auto back = TestServer::tcp(ok_reply, port);
  ExecResult refused = executor->execute("checkout.discount", "s", bytes("{}"));
  EXPECT_EQ(refused.status, ExecStatus::NotRun);  // still inside the cool-down
  EXPECT_EQ(back->requests(), 0);
  std::this_thread::sleep_for(350ms);
  ExecResult trial = executor->execute("checkout.discount", "s", bytes("{}"));
  EXPECT_EQ(trial.status, ExecStatus::Ok) << (trial.error ? trial.error->message : "");
  EXPECT_FALSE(executor->client_stats().breaker_open);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(executor->execute("checkout.discount", "s", bytes("{}")).status, ExecStatus::Ok);
  EXPECT_EQ(back->requests(), 11);
}

TEST(RemoteExecutor, MapsNotFoundInvalidInputAndUnauthorized) {
  auto server = TestServer::tcp([](const http::request<http::string_body>& request) {
    std::string target(request.target());
    if (target.starts_with("/v1/execute/gone")) {  // a 404 whose body is a whole result
      ExecResult r;
      r.status = ExecStatus::Error;
      r.extension_point = "gone";
      r.scope = "s";
      r.error = make_error(ErrorKind::NotFound, "no extension point gone");
      return Reply{404, to_json(r), {}};
    }
    if (target.starts_with("/v1/execute/missing")) {
      return Reply{404, R"({"code":"not_found","message":"no extension point \"missing\""})", {}};
    }
    if (request[http::field::authorization] != "Bearer exec-token-1") {
      return Reply{401, R"({"code":"unauthorized","message":"missing or wrong token"})", {}};
    }
    if (target.find("scope=busy") != std::string::npos) {
      return Reply{429, R"({"code":"scope_limit","message":"too many"})", {{"Retry-After", "2"}}};
    }
    if (target.find("scope=boom") != std::string::npos) return Reply{500, R"({"code":"internal","message":"bug"})", {}};
    if (target.find("scope=broken") != std::string::npos) {  // a 500 whose body is a result: status "error"
      ExecResult r;
      r.status = ExecStatus::Error;
      r.extension_point = "checkout.discount";
      r.scope = "broken";
      r.error = make_error(ErrorKind::InvalidModule, "the module cannot load");
      return Reply{500, to_json(r), {}};
    }
    if (target.find("scope=huge") != std::string::npos) {
      return Reply{413, R"({"code":"too_large","message":"the body is over max_body"})", {}};
    }
    ExecResult r;
    r.status = ExecStatus::InvalidInput;
    r.extension_point = "checkout.discount";
    r.scope = "s";
    r.input_bytes = 2;
    r.stages[static_cast<int>(Stage::Total)] = 3000ns;
    Error e = make_error(ErrorKind::InvalidInput, "input: /cart is required");
    e.where.json_pointer = "/cart";
    e.where.has_json_pointer = true;
    r.error = e;
    return Reply{422, to_json(r), {}};
  });
  auto config = config_for(server->url());
  config.breaker_failures = 2;
  auto executor = open_or_die(config);
  ASSERT_TRUE(executor);

  ExecResult missing = executor->execute("missing", "s", bytes("{}"));
  EXPECT_EQ(missing.status, ExecStatus::Error);
  ASSERT_TRUE(missing.error);
  EXPECT_EQ(missing.error->kind, ErrorKind::NotFound);
  EXPECT_EQ(missing.error->message, "no extension point \"missing\"");
  EXPECT_EQ(missing.extension_point, "missing");

  ExecResult gone = executor->execute("gone", "s", bytes("{}"));
  EXPECT_EQ(gone.status, ExecStatus::Error);
  ASSERT_TRUE(gone.error);
  EXPECT_EQ(gone.error->kind, ErrorKind::NotFound);
  EXPECT_EQ(gone.error->message, "no extension point gone");

  ExecResult invalid = executor->execute("checkout.discount", "s", bytes("{}"));
  EXPECT_EQ(invalid.status, ExecStatus::InvalidInput);
  ASSERT_TRUE(invalid.error);
  EXPECT_EQ(invalid.error->kind, ErrorKind::InvalidInput);
  EXPECT_EQ(invalid.error->where.json_pointer, "/cart");
  EXPECT_EQ(invalid.input_bytes, 2u);

  ExecResult busy = executor->execute("checkout.discount", "busy", bytes("{}"));
  EXPECT_EQ(busy.status, ExecStatus::NotRun);
  ASSERT_TRUE(busy.error);
  EXPECT_EQ(busy.error->kind, ErrorKind::PoolExhausted);
  EXPECT_NE(busy.error->message.find("Retry-After 2"), std::string::npos);

  ExecResult boom = executor->execute("checkout.discount", "boom", bytes("{}"));
  EXPECT_EQ(boom.status, ExecStatus::NotRun);
  ASSERT_TRUE(boom.error);
  EXPECT_EQ(boom.error->kind, ErrorKind::Io);
  EXPECT_NE(boom.error->message.find("HTTP 500"), std::string::npos);
  // 404, 422, 429 are answers of a working service: one 500 does not open a
  // breaker of two.
  EXPECT_FALSE(executor->client_stats().breaker_open);

  ExecResult broken = executor->execute("checkout.discount", "broken", bytes("{}"));
  EXPECT_EQ(broken.status, ExecStatus::Error);
  ASSERT_TRUE(broken.error);
  EXPECT_EQ(broken.error->kind, ErrorKind::InvalidModule);
  EXPECT_EQ(broken.error->message, "the module cannot load");
  ExecResult huge = executor->execute("checkout.discount", "huge", bytes("{}"));
  EXPECT_EQ(huge.status, ExecStatus::InvalidInput);
  ASSERT_TRUE(huge.error);
  EXPECT_EQ(huge.error->kind, ErrorKind::InvalidInput);
  // A 500 with a result is the service's answer, not a failure of it.
  EXPECT_FALSE(executor->client_stats().breaker_open);
  EXPECT_EQ(executor->client_stats().failures, 1u);

  config.token = "wrong";
  auto wrong = open_or_die(config);
  ASSERT_TRUE(wrong);
  ExecResult refused = wrong->execute("checkout.discount", "s", bytes("{}"));
  EXPECT_EQ(refused.status, ExecStatus::Error);
  ASSERT_TRUE(refused.error);
  EXPECT_EQ(refused.error->kind, ErrorKind::InvalidArgument);
  EXPECT_NE(refused.error->message.find("token was refused"), std::string::npos);
  EXPECT_EQ(refused.error->message.find("wrong\""), std::string::npos);  // the token is never in a message
}

// Polling for the answer (config.spin) ends at the call's deadline like the
// sleep it stands in for.
TEST(RemoteExecutor, PollingLongerThanTheTimeoutStillEndsAtTheTimeout) {
  auto server = TestServer::tcp([](const auto&) { return Reply{.hang = true}; });
  auto config = config_for(server->url());
  config.timeout = 100ms;
  config.spin = std::chrono::duration_cast<std::chrono::microseconds>(10s);
  auto executor = open_or_die(config);
  ASSERT_TRUE(executor);
  auto start = Clock::now();
  ExecResult r = executor->execute("checkout.discount", "s", bytes("{}"));
  auto elapsed = Clock::now() - start;
  EXPECT_EQ(r.status, ExecStatus::NotRun);
  ASSERT_TRUE(r.error);
  EXPECT_NE(r.error->message.find("timed out after 100 ms"), std::string::npos) << r.error->message;
  EXPECT_LT(elapsed, 100ms + 3s);  // not the 10 s of polling
}

TEST(RemoteExecutor, AnswersAlikeWithAndWithoutPolling) {
  auto server = TestServer::tcp(echo_reply);
  for (auto spin : {0us, 200us, 50000us}) {
    auto config = config_for(server->url());
    config.spin = spin;
    auto executor = open_or_die(config);
    ASSERT_TRUE(executor);
    for (int i = 0; i < 50; ++i) {
      std::string input = R"({"i":)" + std::to_string(i) + "}";
      ExecResult r = executor->execute("checkout.discount", "s", bytes(input));
      ASSERT_EQ(r.status, ExecStatus::Ok) << spin.count() << " µs, call " << i;
      ASSERT_EQ(r.output, input);
    }
  }
  EXPECT_EQ(server->requests(), 150);
}

TEST(RemoteExecutor, ConcurrentCallsFromFourThreads) {
  auto server = TestServer::tcp(echo_reply);
  auto executor = open_or_die(config_for(server->url()));
  ASSERT_TRUE(executor);
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        std::string scope = "scope-" + std::to_string(t);
        std::string input = R"({"t":)" + std::to_string(t) + R"(,"i":)" + std::to_string(i) + "}";
        ExecResult r = executor->execute("checkout.discount", scope, bytes(input));
        if (r.status != ExecStatus::Ok || r.output != input || r.scope != scope) wrong.fetch_add(1);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_EQ(server->requests(), 800);
  EXPECT_LE(server->connections(), 4);  // never more connections than calls at once
  auto stats = executor->stats();
  ASSERT_EQ(stats.size(), 1u);
  EXPECT_EQ(stats[0].by_status[static_cast<int>(ExecStatus::Ok)], 800u);
}

TEST(RemoteExecutor, UnixSocket) {
  std::string path = (std::filesystem::temp_directory_path() / ("kiln-remote-" + std::to_string(::getpid()) + ".sock")).string();
  auto server = TestServer::unix_socket(echo_reply, path);
  auto executor = open_or_die(config_for("unix:" + path));
  ASSERT_TRUE(executor);
  for (int i = 0; i < 20; ++i) {
    ExecResult r = executor->execute("checkout.discount", "s", bytes(R"({"x":1})"));
    ASSERT_EQ(r.status, ExecStatus::Ok) << (r.error ? r.error->message : "");
    EXPECT_EQ(r.output, R"({"x":1})");
  }
  EXPECT_EQ(server->connections(), 1);
  EXPECT_EQ(std::string(server->last_request()[http::field::host]), "localhost");
  server->stop();
  ::unlink(path.c_str());
  ExecResult down = executor->execute("checkout.discount", "s", bytes("{}"));
  EXPECT_EQ(down.status, ExecStatus::NotRun);
}

TEST(RemoteExecutor, OpenChecksTheUrl) {
  for (const char* url : {"", "ftp://x", "http://", "http://host:port", "unix:", "127.0.0.1:80"}) {
    auto executor = RemoteExecutor::open({.url = url});
    ASSERT_FALSE(executor) << url;
    EXPECT_EQ(executor.error().kind, ErrorKind::InvalidArgument) << url;
  }
  auto injected = RemoteExecutor::open({.url = "http://127.0.0.1:1", .token = "t\r\nX-Evil: 1"});
  ASSERT_FALSE(injected);
  EXPECT_EQ(injected.error().kind, ErrorKind::InvalidArgument);
  EXPECT_EQ(injected.error().message.find("Evil"), std::string::npos);
  auto tls = RemoteExecutor::open({.url = "https://example.com"});
  ASSERT_FALSE(tls);
  EXPECT_EQ(tls.error().kind, ErrorKind::Unsupported);
  // Opening does not connect: a service that is down opens fine.
  auto lazy = RemoteExecutor::open({.url = "http://127.0.0.1:1"});
  EXPECT_TRUE(lazy);
}


// The whole flow against the real service: `kiln serve` on loopback, an
// example deployed, executed through RemoteExecutor and `kiln exec
// --remote`; the service killed (the breaker opens) and started again on
// the same port (it closes).
std::string slurp(const std::string& path) {
  auto data = kiln::test::read_file(path);
  return std::string(data.begin(), data.end());
}

// Waits for the "listening on http://..." line in the log; the URL.
std::string wait_for_listener(const std::string& log_path, kiln::test::KilnProcess& process) {
  const std::string marker = "listening on ";
  for (int i = 0; i < 600; ++i) {
    std::string log = std::filesystem::exists(log_path) ? slurp(log_path) : "";
    if (auto at = log.find(marker); at != std::string::npos) {
      auto end = log.find('\n', at);
      if (end != std::string::npos) return log.substr(at + marker.size(), end - at - marker.size());
    }
    int status = 0;
    if (process.ended(status)) {
      ADD_FAILURE() << "kiln serve ended: " << log;
      return {};
    }
    std::this_thread::sleep_for(20ms);
  }
  ADD_FAILURE() << "kiln serve did not listen: " << slurp(log_path);
  return {};
}

TEST(RemoteExecutor, AgainstKilnServe) {
  const std::string module = std::string(KILN_EXAMPLES_DIR) + "/product_discount.wasm";
  if (!std::filesystem::exists(module)) GTEST_SKIP() << module << " is not built (ninja kiln_platform_examples)";
  if (!std::filesystem::exists(KILN_BINARY)) GTEST_SKIP() << KILN_BINARY << " is not built (ninja kiln)";
  const std::string source = std::string(KILN_SOURCE_DIR) + "/examples/product_discount";
  auto dir = std::filesystem::temp_directory_path() / ("kiln-remote-e2e-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const std::string registry = (dir / "registry.db").string();
  const std::vector<std::string> env = {"KILN_CACHE_DIR=" + (dir / "cache").string(), "KILN_ADMIN_TOKEN=admin-secret",
                                        "KILN_EXEC_TOKEN=exec-secret"};
  auto created = kiln::test::run_kiln_env({"ep", "create", source + "/extension_point.json", "--registry", registry}, env);
  ASSERT_EQ(created.exit_code, 0) << created.err;
  auto deployed = kiln::test::run_kiln_env({"deploy", module, "--ep", "checkout.product_discounts", "--scope", "shop-1",
                                            "--config", "@" + source + "/config.json", "--registry", registry},
                                           env);
  ASSERT_EQ(deployed.exit_code, 0) << deployed.err;

  const std::string log1 = (dir / "serve1.log").string();
  auto serve = kiln::test::spawn_kiln({"serve", "--registry", registry, "--listen", "127.0.0.1:0"}, env, log1);
  std::string url = wait_for_listener(log1, serve);
  ASSERT_FALSE(url.empty());
  const std::string port = url.substr(url.rfind(':') + 1);

  RemoteExecutorConfig config;
  config.url = url;
  config.token = "exec-secret";
  config.timeout = 5000ms;  // the first call may load the module
  config.breaker_failures = 2;
  config.breaker_cool_down = 300ms;
  auto executor = open_or_die(config);
  ASSERT_TRUE(executor);
  const std::string input = slurp(source + "/input.json");
  rapidjson::Document expected;
  expected.Parse(slurp(source + "/expected_output.json").c_str());

  ExecResult r = executor->execute("checkout.product_discounts", "shop-1", bytes(input));
  ASSERT_EQ(r.status, ExecStatus::Ok) << (r.error ? r.error->message : "") << "\n" << slurp(log1);
  rapidjson::Document got;
  got.Parse(r.output.c_str());
  EXPECT_TRUE(got == expected) << r.output;
  EXPECT_EQ(r.extension_point, "checkout.product_discounts");
  EXPECT_EQ(r.scope, "shop-1");
  EXPECT_EQ(r.version, 1);
  EXPECT_GT(r.stage(Stage::Total).count(), 0);
  EXPECT_GT(r.network_time.count(), 0);
  // Nothing bound for another scope: the service's own "not run", no error.
  ExecResult other = executor->execute("checkout.product_discounts", "shop-2", bytes(input));
  EXPECT_EQ(other.status, ExecStatus::NotRun);
  EXPECT_FALSE(other.error);
  ExecResult missing = executor->execute("no.such.point", "shop-1", bytes(input));
  EXPECT_EQ(missing.status, ExecStatus::Error);
  ASSERT_TRUE(missing.error);
  EXPECT_EQ(missing.error->kind, ErrorKind::NotFound);
  ExecResult invalid = executor->execute("checkout.product_discounts", "shop-1", bytes("{\"nope\": 1}"));
  EXPECT_EQ(invalid.status, ExecStatus::InvalidInput) << to_json(invalid);
  config.token = "wrong";
  auto wrong = open_or_die(config);
  ExecResult refused = wrong->execute("checkout.product_discounts", "shop-1", bytes(input));
  EXPECT_EQ(refused.status, ExecStatus::Error);
  ASSERT_TRUE(refused.error);
  EXPECT_EQ(refused.error->kind, ErrorKind::InvalidArgument) << refused.error->message;

  // kiln exec --remote: the same output and exit codes as in process.
  auto exec = kiln::test::run_kiln_env({"exec", "checkout.product_discounts", "--scope", "shop-1", "--remote", url},
                                       env, input);
  EXPECT_EQ(exec.exit_code, 0) << exec.err;
  rapidjson::Document exec_out;
  exec_out.Parse(exec.out.c_str());
  EXPECT_TRUE(exec_out == expected) << exec.out;
  auto exec_json = kiln::test::run_kiln_env(
      {"exec", "checkout.product_discounts", "--scope", "shop-1", "--remote", url, "--json"}, env, input);
  EXPECT_EQ(exec_json.exit_code, 0) << exec_json.err;
  EXPECT_NE(exec_json.out.find("\"network_ns\""), std::string::npos) << exec_json.out;
  auto exec_other = kiln::test::run_kiln_env(
      {"exec", "checkout.product_discounts", "--scope", "shop-2", "--remote", url}, env, input);
  EXPECT_EQ(exec_other.exit_code, 20) << exec_other.err;
  auto no_token = kiln::test::run_kiln_env({"exec", "checkout.product_discounts", "--scope", "shop-1", "--remote", url},
                                           {"KILN_EXEC_TOKEN="}, input);
  EXPECT_NE(no_token.exit_code, 0);
  EXPECT_NE(no_token.exit_code, 20);

  // Killed: calls degrade to NotRun, the breaker opens.
  serve.kill_now();
  serve.wait();
  for (int i = 0; i < 2; ++i) {
    ExecResult down = executor->execute("checkout.product_discounts", "shop-1", bytes(input));
    EXPECT_EQ(down.status, ExecStatus::NotRun);
    EXPECT_TRUE(down.error);
  }
  EXPECT_TRUE(executor->client_stats().breaker_open);
  auto exec_down = kiln::test::run_kiln_env(
      {"exec", "checkout.product_discounts", "--scope", "shop-1", "--remote", url}, env, input);
  EXPECT_EQ(exec_down.exit_code, 20) << exec_down.err;
  EXPECT_NE(exec_down.err.find("not run"), std::string::npos) << exec_down.err;

  // Back on the same port: after the cool-down the breaker closes.
  const std::string log2 = (dir / "serve2.log").string();
  auto again = kiln::test::spawn_kiln({"serve", "--registry", registry, "--listen", "127.0.0.1:" + port}, env, log2);
  ASSERT_FALSE(wait_for_listener(log2, again).empty());
  std::this_thread::sleep_for(350ms);
  ExecResult back = executor->execute("checkout.product_discounts", "shop-1", bytes(input));
  EXPECT_EQ(back.status, ExecStatus::Ok) << (back.error ? back.error->message : "");
  EXPECT_FALSE(executor->client_stats().breaker_open);
  ::kill(again.pid, SIGTERM);
  int status = 0;
  for (int i = 0; i < 500 && !again.ended(status); ++i) std::this_thread::sleep_for(20ms);
  if (again.pid > 0) {
    again.kill_now();
    again.wait();
    ADD_FAILURE() << "kiln serve did not stop on SIGTERM";
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace kiln::execute
