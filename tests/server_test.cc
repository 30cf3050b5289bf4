// kiln serve over HTTP (server/, docs/http-api.md): the real binary on an
// ephemeral loopback port and a Unix socket, driven by a Boost.Beast client
// and by raw sockets for the requests a client library would not send.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <atomic>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <future>
#include <sstream>
#include <thread>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <gtest/gtest.h>
#define MSGPACK_NO_BOOST
#include <msgpack.hpp>

#include "platform_process_support.h"
#include "platform_test_support.h"
#include "test_support.h"

namespace kiln::test {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using namespace std::chrono_literals;

const char* const kAdmin = "admin-secret-1";
const char* const kExec = "exec-secret-2";

struct Reply {
  int status = 0;
  std::string body;
  std::map<std::string, std::string> headers;
};

template <class Socket>
Reply exchange(Socket& socket, http::request<http::string_body>& req) {
  req.prepare_payload();
  http::write(socket, req);
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(64 << 20);
  http::read(socket, buffer, parser);
  Reply reply;
  reply.status = static_cast<int>(parser.get().result_int());
  reply.body = parser.get().body();
  for (const auto& field : parser.get()) {
    reply.headers[std::string(field.name_string())] = std::string(field.value());
  }
  return reply;
}

// A raw connection: for trickled, truncated and malformed requests.
int raw_connect(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  return fd;
}

// Everything the server writes until it closes (or 5 s pass).
std::string read_all(int fd) {
  std::string out;
  char buf[4096];
  for (;;) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

std::string raw_exchange(int port, const std::string& bytes) {
  int fd = raw_connect(port);
  if (fd < 0) return "connect failed";
  ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
  ::shutdown(fd, SHUT_WR);
  std::string out = read_all(fd);
  ::close(fd);
  return out;
}

std::string slow_extension_point() {
  return R"({"name": "test.slow", "abi": "wasi-command",
    "input_schema": {"type": "object"}, "output_schema": {"type": "object"},
    "limits": {"fuel": 1000000000000000, "timeout": "1s"}})";
}

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static int counter = 0;
    std::string tag = std::to_string(getpid()) + "-" + std::to_string(counter++);
    dir_ = std::filesystem::temp_directory_path() / ("kiln-srv-" + tag);
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    socket_path_ = (dir_ / "s.sock").string();
  }

  void TearDown() override {
    if (process_.pid > 0) {
      ::kill(process_.pid, SIGTERM);
      auto until = std::chrono::steady_clock::now() + 10s;
      int status = 0;
      while (!process_.ended(status) && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(20ms);
      if (process_.pid > 0) {
        process_.kill_now();
        process_.wait();
      }
    }
    std::filesystem::remove_all(dir_);
  }

  std::string log() const {
    std::ifstream in(dir_ / "serve.log");
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
  }

  // Starts kiln serve with these config options (JSON members) added.
  void start(const std::string& options = "", bool env_tokens = true) {
    std::ofstream config(dir_ / "serve.json");
    config << R"({"listen": "127.0.0.1:0", "unix": ")" << socket_path_ << R"(", "registry": ")"
           << (dir_ / "registry.db").string() << "\"" << (options.empty() ? "" : ", " + options) << "}";
    config.close();
    std::string cache = std::getenv("KILN_CACHE_DIR") ? std::getenv("KILN_CACHE_DIR") : KILN_AOT_TEST_CACHE;
    process_ = spawn_kiln({"serve", "--config", (dir_ / "serve.json").string()},
                          {std::string("KILN_ADMIN_TOKEN=") + (env_tokens ? kAdmin : ""),
                           std::string("KILN_EXEC_TOKEN=") + (env_tokens ? kExec : ""),
                           "KILN_CACHE_DIR=" + cache},
                          (dir_ / "serve.log").string());
    auto until = std::chrono::steady_clock::now() + 20s;
    while (std::chrono::steady_clock::now() < until) {
      std::string text = log();
      auto at = text.find("listening on http://127.0.0.1:");
      if (at != std::string::npos && text.find("listening on unix:") != std::string::npos) {
        port_ = std::stoi(text.substr(at + std::strlen("listening on http://127.0.0.1:")));
        return;
      }
      std::this_thread::sleep_for(20ms);
    }
    FAIL() << "kiln serve did not start: " << log();
  }

  Reply call(http::verb method, const std::string& target, const std::string& body = "",
             const std::string& token = kAdmin, const std::string& content_type = "application/json",
             bool over_unix = false) {
    http::request<http::string_body> req{method, target, 11};
    req.set(http::field::host, "localhost");
    if (!token.empty()) req.set(http::field::authorization, "Bearer " + token);
    if (!body.empty() || method == http::verb::post || method == http::verb::put) {
      req.set(http::field::content_type, content_type);
    }
    req.body() = body;
    net::io_context io;
    try {
      if (over_unix) {
        net::local::stream_protocol::socket socket(io);
        socket.connect(net::local::stream_protocol::endpoint(socket_path_));
        return exchange(socket, req);
      }
      net::ip::tcp::socket socket(io);
      socket.connect({net::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port_)});
      return exchange(socket, req);
    } catch (const std::exception& e) {
      return Reply{-1, e.what(), {}};
    }
  }

  Reply execute(const std::string& ep, const std::string& scope, const std::string& input, bool over_unix = false) {
    return call(http::verb::post, "/v1/execute/" + ep + "?scope=" + scope, input, kExec, "application/json",
                over_unix);
  }

  // Uploads a test guest; its sha256.
  std::string upload(const std::string& guest) { return upload_file(guest_path(guest)); }
  std::string upload_file(const std::string& path) {
    auto bytes = read_file(path);
    Reply r = call(http::verb::post, "/v1/modules", std::string(bytes.begin(), bytes.end()), kAdmin,
                   "application/wasm");
    EXPECT_EQ(r.status, 201) << r.body;
    auto at = r.body.find("\"sha256\":\"");
    if (at == std::string::npos) return "";
    return r.body.substr(at + 10, 64);
  }

  Reply deploy(const std::string& ep, const std::string& scope, const std::string& name, const std::string& sha) {
    return call(http::verb::post, "/v1/extensions",
                R"({"extension_point": ")" + ep + R"(", "scope": ")" + scope + R"(", "name": ")" + name +
                    R"(", "module_sha256": ")" + sha + "\"}");
  }

  void create_ep(const std::string& json) {
    Reply r = call(http::verb::post, "/v1/extension-points", json);
    ASSERT_EQ(r.status, 201) << r.body;
  }

  std::filesystem::path dir_;
  std::string socket_path_;
  int port_ = 0;
  KilnProcess process_;
};

TEST_F(ServerTest, DeployExecuteRollbackOverTcpAndUnix) {
  start();
  EXPECT_EQ(call(http::verb::get, "/healthz", "", "").status, 200);
  EXPECT_EQ(call(http::verb::get, "/readyz", "", "", "", true).status, 200);
  create_ep(behave_extension_point());
  Reply again = call(http::verb::post, "/v1/extension-points", behave_extension_point());
  EXPECT_EQ(again.status, 409) << again.body;
  EXPECT_NE(again.body.find("\"code\":\"already_exists\""), std::string::npos) << again.body;

  // A new version of the extension point; its name must be the path's.
  Reply updated = call(http::verb::put, "/v1/extension-points/test.behave", behave_extension_point());
  EXPECT_EQ(updated.status, 200) << updated.body;
  EXPECT_NE(updated.body.find("\"version\":2"), std::string::npos) << updated.body;
  EXPECT_EQ(call(http::verb::put, "/v1/extension-points/other.name", behave_extension_point()).status, 400);
  EXPECT_EQ(call(http::verb::put, "/v1/extension-points/none.such", behave_extension_point("none.such")).status, 404);

  std::string v1 = upload("platform_v1");
  ASSERT_EQ(v1.size(), 64u);
  Reply deployed = deploy("test.behave", "shop-1", "ext", v1);
  ASSERT_EQ(deployed.status, 201) << deployed.body;
  EXPECT_NE(deployed.body.find("\"version\":1"), std::string::npos) << deployed.body;
  EXPECT_NE(deployed.body.find("\"exports\":["), std::string::npos) << deployed.body;

  Reply r = execute("test.behave", "shop-1", "{}");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.headers["Kiln-Status"], "ok");
  EXPECT_NE(r.body.find("\"output\":{\"result\":1}"), std::string::npos) << r.body;

  std::string v2 = upload("platform_v2");
  ASSERT_EQ(deploy("test.behave", "shop-1", "ext", v2).status, 201);
  r = execute("test.behave", "shop-1", "{}", /*over_unix=*/true);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find("\"output\":{\"result\":2}"), std::string::npos) << r.body;

  Reply rolled = call(http::verb::post, "/v1/extensions/rollback",
                      R"({"extension_point": "test.behave", "scope": "shop-1", "extension": "ext"})");
  ASSERT_EQ(rolled.status, 200) << rolled.body;
  r = execute("test.behave", "shop-1", "{}");
  EXPECT_NE(r.body.find("\"output\":{\"result\":1}"), std::string::npos) << r.body;
  r = execute("test.behave", "shop-1", "{}", true);
  EXPECT_NE(r.body.find("\"output\":{\"result\":1}"), std::string::npos) << r.body;

  Reply disabled = call(http::verb::post, "/v1/extensions/disable",
                        R"({"extension_point": "test.behave", "scope": "shop-1", "extension": "ext"})");
  ASSERT_EQ(disabled.status, 200) << disabled.body;
  r = execute("test.behave", "shop-1", "{}");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.headers["Kiln-Status"], "not run") << r.body;
  ASSERT_EQ(call(http::verb::post, "/v1/extensions/enable",
                 R"({"extension_point": "test.behave", "scope": "shop-1", "extension": "ext"})")
                .status,
            200);

  // Invalid input: 422 with the result; unknown extension point: 404.
  r = execute("test.behave", "shop-1", R"({"cart": {"lines": [{"quantity": 0}]}})");
  EXPECT_EQ(r.status, 422) << r.body;
  EXPECT_EQ(r.headers["Kiln-Status"], "invalid input");
  EXPECT_EQ(execute("no.such", "shop-1", "{}").status, 404);

  Reply list = call(http::verb::get, "/v1/extensions?extension_point=test.behave&scope=shop-1");
  ASSERT_EQ(list.status, 200);
  EXPECT_NE(list.body.find("\"name\":\"ext\""), std::string::npos) << list.body;
  EXPECT_NE(list.body.find("\"version\":1"), std::string::npos) << list.body;
  Reply eps = call(http::verb::get, "/v1/extension-points");
  EXPECT_NE(eps.body.find("\"name\":\"test.behave\""), std::string::npos) << eps.body;
  Reply shown = call(http::verb::get, "/v1/extension-points/test.behave?version=1");
  EXPECT_EQ(shown.status, 200);
  EXPECT_NE(shown.body.find("\"definition\":{"), std::string::npos) << shown.body;
  EXPECT_EQ(call(http::verb::get, "/v1/extension-points/none.such").status, 404);

  // MessagePack in (Content-Type) and out (Accept).
  {
    msgpack::sbuffer input;
    msgpack::packer<msgpack::sbuffer> packer(input);
    packer.pack_map(1);
    packer.pack(std::string("mode"));
    packer.pack(std::string("echo"));
    http::request<http::string_body> req{http::verb::post, "/v1/execute/test.behave?scope=shop-1", 11};
    req.set(http::field::authorization, std::string("Bearer ") + kExec);
    req.set(http::field::content_type, "application/msgpack");
    req.set(http::field::accept, "application/msgpack");
    req.body().assign(input.data(), input.size());
    net::io_context io;
    net::ip::tcp::socket socket(io);
    socket.connect({net::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port_)});
    Reply packed = exchange(socket, req);
    ASSERT_EQ(packed.status, 200) << packed.body;
    EXPECT_EQ(packed.headers["Content-Type"], "application/msgpack");
    msgpack::object_handle handle = msgpack::unpack(packed.body.data(), packed.body.size());
    auto map = handle.get().as<std::map<std::string, msgpack::object>>();
    EXPECT_EQ(map.at("status").as<std::string>(), "ok");
    // platform_v1 is live: {"result":1}, whatever the input.
    using Output = std::map<std::string, int>;
    Output output = map.at("output").as<Output>();
    EXPECT_EQ(output["result"], 1);
    // Not MessagePack: the executor refuses it as input.
    req.body() = "\xc1";
    req.set(http::field::content_type, "application/msgpack");
    EXPECT_EQ(exchange(socket, req).status, 422);  // invalid input, as a JSON body that is not JSON
  }

  // The metrics page, no token needed: the executions above counted.
  Reply metrics = call(http::verb::get, "/metrics", "", "");
  EXPECT_EQ(metrics.status, 200);
  EXPECT_EQ(metrics.headers["Content-Type"].rfind("text/plain; version=0.0.4", 0), 0u);
  EXPECT_NE(metrics.body.find("kiln_queue_depth"), std::string::npos) << metrics.body;
  EXPECT_NE(metrics.body.find("kiln_executions_total{extension_point=\"test.behave\""), std::string::npos)
      << metrics.body;

  // Keep-alive: two requests on one connection.
  net::io_context io;
  net::ip::tcp::socket socket(io);
  socket.connect({net::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port_)});
  for (int i = 0; i < 2; ++i) {
    http::request<http::string_body> req{http::verb::get, "/healthz", 11};
    EXPECT_EQ(exchange(socket, req).status, 200);
  }
}

std::string hex(const std::string& bytes) {
  std::string out;
  char two[4];
  for (unsigned char c : bytes) {
    std::snprintf(two, sizeof two, "%02x ", c);
    out += two;
  }
  return out;
}

// A MessagePack body reaches a MessagePack guest as it is, and its output
// comes back as it is, the last member of the MessagePack result: no JSON
// between (a conversion would have rewritten the headers).
TEST_F(ServerTest, MessagePackPassesThroughToAMessagePackGuest) {
  start();
  create_ep(R"({"name": "test.echo", "abi": "kiln-reactor", "entry": "echo", "format": "msgpack",
                "input_schema": {"type": "object"}, "output_schema": {"type": "object"},
                "limits": {"fuel": 5000000, "timeout": "5s", "memory": "16MiB"}})");
  ASSERT_EQ(deploy("test.echo", "*", "echo", upload("reactor_lies")).status, 201);
  http::request<http::string_body> req{http::verb::post, "/v1/execute/test.echo?scope=shop-1", 11};
  req.set(http::field::authorization, std::string("Bearer ") + kExec);
  req.set(http::field::content_type, "application/msgpack");
  req.set(http::field::accept, "application/msgpack");
  req.body() = std::string("\x81\xa1n\x05", 4);  // {"n": 5}
  net::io_context io;
  net::ip::tcp::socket socket(io);
  socket.connect({net::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port_)});
  Reply packed = exchange(socket, req);
  ASSERT_EQ(packed.status, 200) << packed.body;
  EXPECT_EQ(packed.headers["Content-Type"], "application/msgpack");
  // {"n": 5, "config": {}}: the input's bytes, its count one more, the config after.
  const std::string output("\x82\xa1n\x05\xa6" "config\x80", 12);
  EXPECT_TRUE(packed.body.ends_with(std::string("\xa6" "output", 7) + output)) << hex(packed.body);
  // Accept JSON: the output converted once, shown inline.
  req.set(http::field::accept, "application/json");
  Reply json = exchange(socket, req);
  ASSERT_EQ(json.status, 200) << json.body;
  EXPECT_NE(json.body.find(R"("output":{"n":5,"config":{}})"), std::string::npos) << json.body;
  // Bytes after the value: 422, with where.
  req.body() = std::string("\x81\xa1n\x05\x00", 5);
  Reply refused = exchange(socket, req);
  EXPECT_EQ(refused.status, 422) << refused.body;
  EXPECT_NE(refused.body.find("bytes after the MessagePack value"), std::string::npos) << refused.body;
}

TEST_F(ServerTest, TokensPerEndpointClass) {
  start();
  EXPECT_EQ(call(http::verb::get, "/v1/extension-points", "", "").status, 401);
  EXPECT_EQ(call(http::verb::get, "/v1/extension-points", "", "wrong").status, 403);
  EXPECT_EQ(call(http::verb::get, "/v1/extension-points", "", kExec).status, 403);
  EXPECT_EQ(call(http::verb::get, "/v1/extension-points", "", kAdmin).status, 200);
  EXPECT_EQ(call(http::verb::post, "/v1/execute/x?scope=s", "{}", "").status, 401);
  EXPECT_EQ(call(http::verb::post, "/v1/execute/x?scope=s", "{}", "wrong").status, 403);
  EXPECT_EQ(call(http::verb::post, "/v1/execute/x?scope=s", "{}", kAdmin).status, 403);
  Reply r = call(http::verb::post, "/v1/execute/x?scope=s", "{}", kExec);
  EXPECT_EQ(r.status, 404) << r.body;
  // The tokens are never logged.
  EXPECT_EQ(log().find(kAdmin), std::string::npos);
  EXPECT_EQ(log().find(kExec), std::string::npos);
}

TEST_F(ServerTest, OversizedTruncatedAndMalformedRequests) {
  start(R"("max_body": 1024, "max_module_body": 4096, "max_header": 2048)");
  create_ep(behave_extension_point());
  Reply r = execute("test.behave", "s", "{\"pad\": \"" + std::string(4000, 'x') + "\"}");
  EXPECT_EQ(r.status, 413) << r.body;
  EXPECT_NE(r.body.find("\"code\":\"too_large\""), std::string::npos);
  // The module limit is larger than the body limit, and enforced too.
  r = call(http::verb::post, "/v1/modules", std::string(3000, 'x'), kAdmin, "application/wasm");
  EXPECT_EQ(r.status, 422) << r.body;  // within the limit, not wasm
  EXPECT_NE(r.body.find("\"code\":\"invalid_module\""), std::string::npos) << r.body;
  r = call(http::verb::post, "/v1/modules", std::string(5000, 'x'), kAdmin, "application/wasm");
  EXPECT_EQ(r.status, 413) << r.body;

  std::string big_header = "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Pad: " + std::string(4000, 'p') + "\r\n\r\n";
  EXPECT_EQ(raw_exchange(port_, big_header).rfind("HTTP/1.1 431", 0), 0u);
  EXPECT_EQ(raw_exchange(port_, "GARBAGE\r\n\r\n").rfind("HTTP/1.1 400", 0), 0u);
  // Truncated: the body is shorter than Content-Length and the client stops.
  std::string truncated = "POST /v1/execute/test.behave?scope=s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
                          std::string(kExec) + "\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"a\":";
  EXPECT_EQ(raw_exchange(port_, truncated).find("HTTP/1.1 200"), std::string::npos);

  r = call(http::verb::post, "/v1/extensions", "{not json", kAdmin);
  EXPECT_EQ(r.status, 400) << r.body;
  r = call(http::verb::post, "/v1/extensions", R"({"scope": "s"})", kAdmin);
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_NE(r.body.find("\"pointer\":\"/extension_point\""), std::string::npos) << r.body;
  r = call(http::verb::post, "/v1/extensions", "{}", kAdmin, "text/plain");
  EXPECT_EQ(r.status, 415) << r.body;
  r = call(http::verb::post, "/v1/execute/test.behave?scope=s", "{}", kExec, "text/plain");
  EXPECT_EQ(r.status, 415) << r.body;
  r = call(http::verb::post, "/v1/execute/test.behave", "{}", kExec);
  EXPECT_EQ(r.status, 400) << r.body;
  r = call(http::verb::post, "/v1/extension-points", R"({"name": "x.y", "abi": "wasi-command", "bogus": 1})");
  EXPECT_EQ(r.status, 422) << r.body;
  EXPECT_NE(r.body.find("\"code\":\"invalid_definition\""), std::string::npos) << r.body;
  r = call(http::verb::post, "/v1/extensions",
           R"({"extension_point": "test.behave", "scope": "s", "name": "n", "module_sha256": "00"})");
  EXPECT_EQ(r.status, 404) << r.body;
  // Still serving.
  EXPECT_EQ(call(http::verb::get, "/healthz", "", "").status, 200);
}

TEST_F(ServerTest, SlowClientIsDroppedWhileOthersAreServed) {
  start(R"("read_timeout": "500ms", "workers": 1)");
  int fd = raw_connect(port_);
  ASSERT_GE(fd, 0);
  std::atomic<bool> dropped{false};
  std::thread slow([&] {
    std::string request = "GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Slow: 12345678901234567890\r\n\r\n";
    for (char c : request) {
      if (::send(fd, &c, 1, MSG_NOSIGNAL) != 1) {
        dropped = true;
        return;
      }
      std::this_thread::sleep_for(60ms);
    }
  });
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(call(http::verb::get, "/healthz", "", "").status, 200);  // while the slow one trickles
  slow.join();
  // Dropped at the deadline: the rest of the bytes fail, or the server's
  // side is closed with no answer.
  std::string answer = read_all(fd);
  ::close(fd);
  EXPECT_TRUE(dropped || answer.empty()) << answer;
  EXPECT_EQ(answer.find("200 OK"), std::string::npos);
}

TEST_F(ServerTest, OverloadIsAnswered503) {
  start(R"("workers": 1, "queue": 1, "per_scope_limit": 100)");
  create_ep(slow_extension_point());
  ASSERT_EQ(deploy("test.slow", "*", "spin", upload("platform_behave")).status, 201);
  std::vector<std::future<Reply>> calls;
  for (int i = 0; i < 5; ++i) {
    calls.push_back(std::async(std::launch::async, [this, i] {
      return execute("test.slow", "shop-" + std::to_string(i), R"({"mode":"spin"})");
    }));
    std::this_thread::sleep_for(30ms);
  }
  int ok = 0, overloaded = 0;
  for (auto& call : calls) {
    Reply r = call.get();
    if (r.status == 200) {
      ++ok;
      EXPECT_EQ(r.headers["Kiln-Status"], "deadline") << r.body;
    }
    if (r.status == 503) {
      ++overloaded;
      EXPECT_EQ(r.headers["Retry-After"], "1");
      EXPECT_NE(r.body.find("\"code\":\"overloaded\""), std::string::npos) << r.body;
    }
  }
  // One running and one queued (two, when the worker had not yet taken
  // the first): the rest refused at once.
  EXPECT_GE(ok, 1);
  EXPECT_GE(overloaded, 2);
  EXPECT_EQ(ok + overloaded, 5);
}

// A Shopify function deployed over HTTP: the provider comes from the
// configuration's folder (never from the request) and is stored with it.
TEST_F(ServerTest, AShopifyFunctionDeploysWithItsProviderFromTheConfiguredFolder) {
  const std::string shopify = shopify_functions_dir();
  if (!std::filesystem::is_directory(shopify + "/fixtures")) GTEST_SKIP() << "no Shopify fixtures at " << shopify;
  start(R"("providers": ")" + shopify + R"(/providers")");
  create_ep(R"({"name": "shopify.functions", "abi": "wasi-command", "input_schema": {"type": "object"},
               "output_schema": {"type": "object"}, "limits": {"fuel": 50000000, "timeout": "20s", "memory": "64MiB"}})");
  std::string sha = upload_file(shopify + "/fixtures/wasm_api_v1.wasm");
  Reply deployed = deploy("shopify.functions", "*", "api", sha);
  ASSERT_EQ(deployed.status, 201) << deployed.body;
  EXPECT_NE(deployed.body.find(R"("provider":{"name":"shopify_function_v1")"), std::string::npos) << deployed.body;
  Reply r = execute("shopify.functions", "shop-1", R"({"hello": "world"})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find(R"("output":{"bye":"world"})"), std::string::npos) << r.body;
}

// access_log: one line per answer — peer, request line, status, bytes,
// time — and never a token or a body; a hostile target stays one line.
TEST_F(ServerTest, TheAccessLogHasALinePerAnswerAndNoSecrets) {
  start(R"("access_log": true)");
  EXPECT_EQ(call(http::verb::get, "/healthz", "", "").status, 200);
  EXPECT_EQ(execute("no.such.point", "shop-1", R"({"secret_input": 1})").status, 404);
  std::string quoted = raw_exchange(port_, "GET /he\"al\\thz HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(quoted.rfind("HTTP/1.1 404", 0), 0u) << quoted;
  std::string text;
  for (int attempt = 0; attempt < 100 && text.find("%22al%5Cthz") == std::string::npos; ++attempt) {
    std::this_thread::sleep_for(20ms);
    text = log();
  }
  EXPECT_NE(text.find("\"GET /healthz\" 200 "), std::string::npos) << text;
  EXPECT_NE(text.find("\"POST /v1/execute/no.such.point?scope=shop-1\" 404 "), std::string::npos) << text;
  EXPECT_NE(text.find("\"GET /he%22al%5Cthz\" 404 "), std::string::npos) << text;
  EXPECT_NE(text.find(" 127.0.0.1:"), std::string::npos) << text;
  EXPECT_EQ(text.find(kExec), std::string::npos) << "a token reached the log";
  EXPECT_EQ(text.find("secret_input"), std::string::npos) << "a body reached the log";
}

// Connections past max_connections are answered 503 and closed; the ones
// open keep working, and a place that comes free is taken again.
TEST_F(ServerTest, ConnectionsPastTheLimitAreRefused) {
  start(R"("max_connections": 2)");
  int first = raw_connect(port_), second = raw_connect(port_);
  ASSERT_GE(first, 0);
  ASSERT_GE(second, 0);
  const std::string healthz = "GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n";
  // The two are accepted (served) before the third is tried.
  for (int fd : {first, second}) {
    ASSERT_EQ(::send(fd, healthz.data(), healthz.size(), MSG_NOSIGNAL), static_cast<ssize_t>(healthz.size()));
    char buf[512];
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    ASSERT_GT(n, 0);
    EXPECT_EQ(std::string(buf, static_cast<size_t>(n)).rfind("HTTP/1.1 200", 0), 0u);
  }
  std::string refused = raw_exchange(port_, healthz);
  EXPECT_EQ(refused.rfind("HTTP/1.1 503", 0), 0u) << refused;
  EXPECT_NE(refused.find("Retry-After: 1"), std::string::npos) << refused;
  EXPECT_NE(refused.find("\"code\":\"overloaded\""), std::string::npos) << refused;
  EXPECT_NE(refused.find("too many connections"), std::string::npos) << refused;
  ::close(first);
  // The server sees the close when it next reads; a new connection gets the place.
  std::string served;
  for (int attempt = 0; attempt < 50 && served.rfind("HTTP/1.1 200", 0) != 0; ++attempt) {
    std::this_thread::sleep_for(20ms);
    served = raw_exchange(port_, healthz);
  }
  EXPECT_EQ(served.rfind("HTTP/1.1 200", 0), 0u) << served;
  ::close(second);
}

TEST_F(ServerTest, OneScopeFloodingLeavesOthersServed) {
  start(R"("workers": 2, "queue": 16, "per_scope_limit": 1)");
  create_ep(slow_extension_point());
  ASSERT_EQ(deploy("test.slow", "*", "behave", upload("platform_behave")).status, 201);
  std::vector<std::future<Reply>> flood;
  for (int i = 0; i < 4; ++i) {
    flood.push_back(std::async(std::launch::async, [this] { return execute("test.slow", "flood", R"({"mode":"spin"})"); }));
  }
  std::this_thread::sleep_for(150ms);
  for (int i = 0; i < 3; ++i) {
    auto before = std::chrono::steady_clock::now();
    Reply r = execute("test.slow", "calm", "{}");
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.headers["Kiln-Status"], "ok") << r.body;
    // Behind the flood it would wait for a 1 s spin.
    EXPECT_LT(std::chrono::steady_clock::now() - before, 700ms);
  }
  int limited = 0, ran = 0;
  for (auto& call : flood) {
    Reply r = call.get();
    if (r.status == 429) {
      ++limited;
      EXPECT_EQ(r.headers["Retry-After"], "1");
    }
    if (r.status == 200) ++ran;
  }
  EXPECT_EQ(ran, 1);
  EXPECT_EQ(limited, 3);
}

TEST_F(ServerTest, AReplayFolderKeepsTheFailedCalls) {
  const std::string replays = (dir_ / "replays").string();
  start(R"("replay_dir": ")" + replays + R"(", "replay_max_files": 5)");
  create_ep(behave_extension_point());
  ASSERT_EQ(deploy("test.behave", "*", "behave", upload("platform_behave")).status, 201);
  EXPECT_EQ(execute("test.behave", "shop-1", "{}").headers["Kiln-Status"], "ok");
  EXPECT_EQ(execute("test.behave", "shop-1", R"({"mode":"trap"})").headers["Kiln-Status"], "trap");
  std::vector<std::string> kept;
  for (const auto& entry : std::filesystem::directory_iterator(replays)) kept.push_back(entry.path().string());
  ASSERT_EQ(kept.size(), 1u);
  EXPECT_NE(kept[0].find("-trap-"), std::string::npos) << kept[0];
  ProcessResult replayed = run_kiln({"replay", kept[0]});
  EXPECT_EQ(replayed.exit_code, 0) << replayed.out << replayed.err;
}

TEST_F(ServerTest, SigtermDrainsTheCallInFlight) {
  start();
  create_ep(slow_extension_point());
  ASSERT_EQ(deploy("test.slow", "*", "behave", upload("platform_behave")).status, 201);
  auto in_flight = std::async(std::launch::async, [this] { return execute("test.slow", "s", R"({"mode":"spin"})"); });
  std::this_thread::sleep_for(300ms);
  ASSERT_EQ(::kill(process_.pid, SIGTERM), 0);
  Reply r = in_flight.get();
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.headers["Kiln-Status"], "deadline") << r.body;
  int status = process_.wait();
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << log();
  EXPECT_NE(log().find("stopped"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(socket_path_));
}

TEST_F(ServerTest, TokensFromTheTokensFile) {
  std::string tokens = (dir_ / "tokens.json").string();
  std::ofstream(tokens) << R"({"admin": "file-admin", "execute": "file-exec"})";
  start("\"tokens_file\": \"" + tokens + "\"", /*env_tokens=*/false);
  EXPECT_EQ(call(http::verb::get, "/v1/extension-points", "", "file-admin").status, 200);
  EXPECT_EQ(call(http::verb::get, "/v1/extension-points", "", kAdmin).status, 403);
  EXPECT_EQ(call(http::verb::post, "/v1/execute/x?scope=s", "{}", "file-exec").status, 404);
  EXPECT_EQ(call(http::verb::post, "/v1/execute/x?scope=s", "{}", "file-admin").status, 403);
}

TEST_F(ServerTest, ConfigurationIsCheckedAtStart) {
  std::string config = (dir_ / "bad.json").string();
  std::ofstream(config) << R"({"listen": "127.0.0.1:0", "wokers": 2})";
  auto r = run_kiln_env({"serve", "--config", config}, {"KILN_ADMIN_TOKEN=a", "KILN_EXEC_TOKEN=b"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("wokers: unknown option"), std::string::npos) << r.err;
  std::ofstream(config) << R"({"listen": "127.0.0.1:0", "workers": 0})";
  r = run_kiln_env({"serve", "--config", config}, {"KILN_ADMIN_TOKEN=a", "KILN_EXEC_TOKEN=b"});
  EXPECT_NE(r.err.find("workers: expected an integer"), std::string::npos) << r.err;
  r = run_kiln_env({"serve", "--listen", "127.0.0.1:0"}, {"KILN_ADMIN_TOKEN=", "KILN_EXEC_TOKEN="});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("no admin token"), std::string::npos) << r.err;
  r = run_kiln_env({"serve", "--listen", "nonsense"}, {"KILN_ADMIN_TOKEN=a", "KILN_EXEC_TOKEN=b"});
  EXPECT_NE(r.err.find("listen: \"nonsense\" is not HOST:PORT"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace kiln::test
