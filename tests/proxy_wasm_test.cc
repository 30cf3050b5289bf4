// The proxy-wasm host (issue 15, item 1) driven without a proxy, on both
// backends, with the C filters of item 3 (tests/guests/proxy_*.c, built
// against include/kiln/guest/proxy_wasm.h): header reads and edits, a
// response rewrite, a deny list answering 403 locally, a counter in shared
// data that two VMs update with compare-and-swap, a trapping filter, and
// pointers outside the filter's memory.
#include <gtest/gtest.h>

#include <algorithm>

#include "embedding_test_support.h"
#include "host/proxy_wasm/proxy_wasm_vm.h"

namespace kiln::test {
namespace {

using host::proxy_wasm::Action;
using host::proxy_wasm::HeaderMap;
using host::proxy_wasm::ProxyWasmConfig;
using host::proxy_wasm::ProxyWasmVm;
using host::proxy_wasm::SharedData;

std::optional<std::string> header(const HeaderMap& map, const std::string& name) {
  for (const auto& [key, value] : map) {
    if (key == name) return value;
  }
  return std::nullopt;
}

class ProxyWasm : public OnEachBackend {
 protected:
  std::unique_ptr<ProxyWasmVm> start(const std::string& filter, ProxyWasmConfig config = {}) {
    auto vm = ProxyWasmVm::start(load_guest(filter), std::move(config));
    if (!vm) throw std::runtime_error(vm.error().message);
    return std::move(*vm);
  }

  // One request's headers through `vm`'s filter.
  static HeaderMap request(ProxyWasmVm& vm, HeaderMap headers, Action expected = Action::Continue) {
    auto stream = vm.new_stream();
    EXPECT_TRUE(stream) << stream.error().message;
    (*stream)->request_headers = std::move(headers);
    auto action = (*stream)->on_request_headers(true);
    EXPECT_TRUE(action) << action.error().message;
    if (action) EXPECT_EQ(*action, expected);
    EXPECT_TRUE((*stream)->finish());
    return (*stream)->request_headers;
  }
};

TEST_P(ProxyWasm, TheSeedsFilterReadsARequestHeaderAndAddsOne) {
  auto vm = start("proxy_add_header");
  HeaderMap out = request(*vm, {{":method", "GET"}, {":path", "/"}, {"User-Agent", "curl/8.1"}});
  EXPECT_EQ(header(out, "x-kiln-agent"), "curl/8.1");  // found whatever its case
  EXPECT_EQ(out.size(), 4u);
  EXPECT_EQ(out[2].first, "User-Agent");  // the others untouched, in order
  HeaderMap bare = request(*vm, {{":path", "/"}});
  EXPECT_EQ(header(bare, "x-kiln-agent"), "none");
  ASSERT_EQ(vm->logs().size(), 2u);
  EXPECT_EQ(vm->logs()[0].message, "request from curl/8.1");
  EXPECT_EQ(vm->logs()[1].message, "request from nobody");
}

TEST_P(ProxyWasm, LogLinesBelowTheLevelAreDropped) {
  ProxyWasmConfig config;
  config.log_level = host::proxy_wasm::LogLevel::Warn;
  auto vm = start("proxy_add_header", config);
  request(*vm, {{"user-agent", "x"}});
  EXPECT_TRUE(vm->logs().empty());
}

TEST_P(ProxyWasm, AResponseHeaderRewrite) {
  auto vm = start("proxy_response_rewrite");
  auto stream = vm->new_stream();
  ASSERT_TRUE(stream);
  (*stream)->response_headers = {{":status", "200"}, {"Server", "nginx"}, {"X-Powered-By", "php"},
                                 {"content-type", "text/plain"}, {"server", "again"}};
  auto action = (*stream)->on_response_headers(false);
  ASSERT_TRUE(action) << action.error().message;
  EXPECT_EQ(*action, Action::Continue);
  const HeaderMap want = {{":status", "200"}, {"Server", "kiln"}, {"content-type", "text/plain"},
                          {"x-frame-options", "DENY"}};
  EXPECT_EQ((*stream)->response_headers, want);
}

TEST_P(ProxyWasm, TicksBodiesPropertiesAndTheLogCallback) {
  ProxyWasmConfig config;
  config.properties["plugin_name"] = "lifecycle";
  auto vm = start("proxy_lifecycle", config);
  EXPECT_EQ(vm->tick_period_ms(), 1000u);  // asked for in vm start
  ASSERT_TRUE(vm->tick());
  ASSERT_TRUE(vm->tick());
  EXPECT_EQ(vm->shared()->get("ticks")->value, "2");

  auto stream = vm->new_stream();
  ASSERT_TRUE(stream);
  (*stream)->request_headers = {{":method", "POST"}, {":path", "/form"}};
  ASSERT_TRUE((*stream)->on_request_headers(false));
  EXPECT_EQ(header((*stream)->request_headers, "x-plugin"), "lifecycle");
  EXPECT_EQ(header((*stream)->request_headers, "x-method"), "POST");  // request.method
  (*stream)->request_body = "user=ann&password=secret&x=1";
  auto partial = (*stream)->on_request_body(false);
  ASSERT_TRUE(partial);
  EXPECT_EQ(*partial, Action::Pause);  // it waits for the whole body
  auto whole = (*stream)->on_request_body(true);
  ASSERT_TRUE(whole);
  EXPECT_EQ(*whole, Action::Continue);
  EXPECT_EQ((*stream)->request_body, "user=ann&password=[redacted]&x=1");
  (*stream)->response_body = "<p>hello</p>";
  ASSERT_TRUE((*stream)->on_response_body(true));
  EXPECT_EQ((*stream)->response_body, "<p>hello</p>\n<!-- kiln -->");
  const uint32_t id = (*stream)->id();
  ASSERT_TRUE((*stream)->finish());
  ASSERT_FALSE(vm->logs().empty());
  EXPECT_EQ(vm->logs().back().message, "stream " + std::to_string(id) + " ended");
}

TEST_P(ProxyWasm, ADenyListAnswers403ItselfAndCountsIt) {
  ProxyWasmConfig config;
  config.plugin_configuration = "/admin\n/private\n";
  auto vm = start("proxy_deny_list", config);
  for (const char* path : {"/admin/users", "/public", "/private", "/"}) {
    auto stream = vm->new_stream();
    ASSERT_TRUE(stream);
    (*stream)->request_headers = {{":path", path}};
    auto action = (*stream)->on_request_headers(true);
    ASSERT_TRUE(action) << action.error().message;
    const bool denied = std::string(path) == "/admin/users" || std::string(path) == "/private";
    EXPECT_EQ(*action, denied ? Action::Pause : Action::Continue) << path;
    ASSERT_EQ((*stream)->local_response.has_value(), denied) << path;
    if (denied) {
      EXPECT_EQ((*stream)->local_response->status, 403u);
      EXPECT_EQ((*stream)->local_response->body, "denied by kiln\n");
    }
  }
  EXPECT_EQ(vm->metrics()->get("denied_requests"), 2u);
}

TEST_P(ProxyWasm, AFilterThatRefusesItsConfigurationDoesNotStart) {
  auto vm = ProxyWasmVm::start(load_guest("proxy_deny_list"), ProxyWasmConfig{});  // no list
  ASSERT_FALSE(vm);
  EXPECT_EQ(vm.error().kind, ErrorKind::Contract);
  EXPECT_NE(vm.error().message.find("proxy_on_configure refused"), std::string::npos) << vm.error().message;
}

TEST_P(ProxyWasm, TwoVmsCountInSharedDataWithCompareAndSwap) {
  ProxyWasmConfig config;
  config.shared = std::make_shared<SharedData>();
  auto first = start("proxy_shared_counter", config);
  auto second = start("proxy_shared_counter", config);
  std::vector<std::string> counts;
  for (ProxyWasmVm* vm : {first.get(), second.get(), second.get(), first.get(), second.get()}) {
    counts.push_back(header(request(*vm, {{":path", "/"}}), "x-request-count").value_or("missing"));
  }
  EXPECT_EQ(counts, (std::vector<std::string>{"1", "2", "3", "4", "5"}));
  EXPECT_EQ(config.shared->get("requests")->value, "5");
  // A stale token is refused; a fresh one (or none) writes.
  const uint32_t cas = config.shared->get("requests")->cas;
  EXPECT_EQ(config.shared->set("requests", "9", cas + 1), host::proxy_wasm::Status::CasMismatch);
  EXPECT_EQ(config.shared->set("requests", "9", cas), host::proxy_wasm::Status::Ok);
  EXPECT_EQ(header(request(*first, {{":path", "/"}}), "x-request-count"), "10");
}

TEST_P(ProxyWasm, ATrapFailsThatCallAndMarksTheVmBroken) {
  auto vm = start("proxy_trap");
  EXPECT_EQ(header(request(*vm, {{":path", "/"}}), "x-survived"), "yes");
  auto stream = vm->new_stream();
  ASSERT_TRUE(stream);
  (*stream)->request_headers = {{"x-crash", "1"}};
  auto action = (*stream)->on_request_headers(true);
  ASSERT_FALSE(action);
  EXPECT_NE(action.error().message.find("proxy_on_request_headers"), std::string::npos) << action.error().message;
  EXPECT_TRUE(vm->broken());
  stream->reset();  // an abandoned stream on a broken VM runs nothing more
  // The proxy replaces the VM; the next request goes through.
  auto fresh = start("proxy_trap");
  EXPECT_EQ(header(request(*fresh, {{":path", "/"}}), "x-survived"), "yes");
}

TEST_P(ProxyWasm, APointerOutsideTheFiltersMemoryIsInvalidMemoryAccess) {
  auto vm = start("proxy_bad_pointer");
  EXPECT_EQ(header(request(*vm, {{":path", "/"}}), "x-status"), "invalid-memory");
  EXPECT_FALSE(vm->broken());
}

TEST_P(ProxyWasm, AModuleThatIsNotAFilterIsRefused) {
  auto vm = ProxyWasmVm::start(load_guest("pool_tenant"), ProxyWasmConfig{});
  ASSERT_FALSE(vm);
  EXPECT_NE(vm.error().message.find("proxy_abi_version_0_2_1"), std::string::npos) << vm.error().message;
}

TEST_P(ProxyWasm, ACallbackExportedWithTheWrongTypeIsRefusedAtStart) {
  auto vm = ProxyWasmVm::start(load_guest("proxy_bad_callback_type"), ProxyWasmConfig{});
  ASSERT_FALSE(vm);
  EXPECT_EQ(vm.error().kind, kiln::ErrorKind::Contract);
  EXPECT_NE(vm.error().message.find("proxy_on_request_headers"), std::string::npos) << vm.error().message;
  EXPECT_NE(vm.error().message.find("3 i32 parameter"), std::string::npos) << vm.error().message;
}

TEST_P(ProxyWasm, EachCallbackRunsWithinTheConfiguredFuel) {
  ProxyWasmConfig config;
  config.limits.fuel = 1'000'000;
  auto vm = start("proxy_add_header", config);  // a request fits easily
  EXPECT_EQ(header(request(*vm, {{"user-agent", "a"}}), "x-kiln-agent"), "a");
  // 50 units start it (no start-up callbacks to run) but cannot read a
  // header: that callback fails, out of fuel, and the VM is broken.
  config.limits.fuel = 50;
  auto starved = start("proxy_add_header", config);
  auto stream = starved->new_stream();
  ASSERT_TRUE(stream);
  (*stream)->request_headers = {{"user-agent", "a"}};
  auto action = (*stream)->on_request_headers(true);
  ASSERT_FALSE(action);
  EXPECT_EQ(action.error().kind, ErrorKind::OutOfFuel) << action.error().message;
  EXPECT_TRUE(starved->broken());
}

INSTANTIATE_TEST_SUITE_P(Backends, ProxyWasm, ::testing::Values(BackendKind::Interp, BackendKind::Aot), backend_name);

TEST(ProxyWasmPairs, SerializeAndParseRoundTrip) {
  const HeaderMap map = {{":path", "/a"}, {"empty", ""}, {"x", "y z"}};
  std::string bytes = host::proxy_wasm::serialize_pairs(map);
  EXPECT_EQ(bytes.size(), 4u + 3 * 8 + (5 + 2 + 2) + (5 + 0 + 2) + (1 + 3 + 2));  // each name and value NUL-ended
  EXPECT_EQ(host::proxy_wasm::parse_pairs(bytes), map);
  EXPECT_FALSE(host::proxy_wasm::parse_pairs(bytes.substr(0, bytes.size() - 1)));  // truncated
  std::string no_nul = bytes;
  no_nul[4 + 3 * 8 + 5] = 'x';  // the NUL after ":path"
  EXPECT_FALSE(host::proxy_wasm::parse_pairs(no_nul));
  std::string huge = bytes;
  huge[0] = '\xff';  // a count the bytes cannot hold
  EXPECT_FALSE(host::proxy_wasm::parse_pairs(huge));
}

}  // namespace
}  // namespace kiln::test
