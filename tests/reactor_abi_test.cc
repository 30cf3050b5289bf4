// The kiln-reactor ABI (docs/abi.md) end to end: deploy-time contract
// checks, the round trip through guest memory, every bad pointer and length
// a guest can return, traps and limits inside a reactor call, and the pool
// that runs `_initialize` once per instance and resets the rest.
#include <gtest/gtest.h>

#include <rapidjson/document.h>

#include "aot_test_support.h"
#include "kiln/instance_pool.h"
#include "kiln/instance_pre.h"
#include "kiln/linker.h"
#include "kiln/store.h"
#include "platform_test_support.h"

namespace kiln::test {
namespace {

using execute::ExecResult;
using execute::ExecStatus;

const char* kDefaultLimits = R"("fuel": 5000000, "timeout": "5s", "max_log": 1000, "max_output": 20000,
                                "memory": "16MiB")";

std::string reactor_ep(const std::string& name, const std::string& entry, const std::string& limits = kDefaultLimits) {
  return R"({"name": ")" + name + R"(", "abi": "kiln-reactor", "entry": ")" + entry + R"(",
    "input_schema": {"type": "object"}, "output_schema": {"type": "object"},
    "config_schema": {"type": "object"}, "limits": {)" + limits + "}}";
}

rapidjson::Document parse_json(const std::string& text) {
  rapidjson::Document doc;
  doc.Parse(text.c_str(), text.size());
  EXPECT_FALSE(doc.HasParseError()) << text;
  return doc;
}

class ReactorAbiTest : public PlatformTest {
 protected:
  // An extension point running `entry` of `guest`, deployed for "*".
  void bind(const std::string& ep, const std::string& guest, const std::string& entry,
            const std::string& limits = kDefaultLimits, const std::string& config = "") {
    create_ep(reactor_ep(ep, entry, limits));
    auto deployed = deploy(guest, "*", "ext", config, ep);
    ASSERT_TRUE(deployed) << deployed.error().message;
  }

  Error refused_deploy(const std::string& guest, const std::string& ep) {
    auto deployed = deploy(guest, "*", "ext", "", ep);
    EXPECT_FALSE(deployed) << guest << " deployed to " << ep;
    return deployed ? Error{} : deployed.error();
  }

  void expect_failure(const ExecResult& r, ExecStatus status, ErrorKind kind, const std::string& says) {
    EXPECT_EQ(r.status, status) << to_string(r.status) << ": " << (r.error ? r.error->message : "");
    ASSERT_TRUE(r.error.has_value());
    EXPECT_EQ(r.error->kind, kind) << r.error->message;
    EXPECT_NE(r.error->message.find(says), std::string::npos) << r.error->message;
  }
};

// ---- the round trip -----------------------------------------------------------

TEST_F(ReactorAbiTest, InputGoesInWithItsConfigAndOutputComesBack) {
  bind("test.reactor", "reactor_abi", "run", kDefaultLimits, R"({"greeting": "hi"})");
  for (int i = 0; i < 3; ++i) {
    ExecResult r = exec(R"({"cart": {"lines": [{"quantity": 2}]}})", "shop-1", "test.reactor");
    ASSERT_EQ(r.status, ExecStatus::Ok) << (r.error ? r.error->message : "");
    rapidjson::Document out = parse_json(r.output);
    EXPECT_EQ(out["input"]["cart"]["lines"][0]["quantity"].GetInt(), 2);
    EXPECT_STREQ(out["input"]["config"]["greeting"].GetString(), "hi");
    // _initialize's work is there on every call, heap included; the
    // previous call's is not.
    EXPECT_EQ(out["init_runs"].GetInt(), 1);
    EXPECT_STREQ(out["init_heap"].GetString(), "made by _initialize");
    EXPECT_EQ(out["calls"].GetInt(), 1) << "call " << i;
    EXPECT_EQ(r.log, "reported\n");
    EXPECT_GT(r.fuel_used, 0u);
    EXPECT_LT(r.fuel_used, r.fuel_limit);
    EXPECT_GT(r.memory_peak_bytes, 0u);
    EXPECT_EQ(r.backend, "aot");
  }
}

TEST_F(ReactorAbiTest, TheGuestReadsExactlyTheSplicedBytes) {
  bind("test.echo", "reactor_lies", "echo", kDefaultLimits, R"({"k": [1, 2]})");
  ExecResult r = exec(R"({"a": "x"})", "shop-1", "test.echo");
  ASSERT_EQ(r.status, ExecStatus::Ok) << (r.error ? r.error->message : "");
  EXPECT_EQ(r.output, R"({"a": "x","config":{"k":[1,2]}})");
  ExecResult empty = exec("{ }", "shop-1", "test.echo");
  ASSERT_EQ(empty.status, ExecStatus::Ok);
  EXPECT_EQ(empty.output, R"({ "config":{"k":[1,2]}})");
}

TEST_F(ReactorAbiTest, ScopesSharingAPoolNeverSeeEachOthersCalls) {
  create_ep(reactor_ep("test.reactor", "run"));
  ASSERT_TRUE(deploy("reactor_abi", "shop-1", "ext", R"({"who": "one"})", "test.reactor"));
  ASSERT_TRUE(deploy("reactor_abi", "shop-2", "ext", R"({"who": "two"})", "test.reactor"));
  for (int i = 0; i < 4; ++i) {
    const char* scope = i % 2 ? "shop-2" : "shop-1";
    ExecResult r = exec(R"({"secret": ")" + std::string(scope) + R"("})", scope, "test.reactor");
    ASSERT_EQ(r.status, ExecStatus::Ok) << (r.error ? r.error->message : "");
    rapidjson::Document out = parse_json(r.output);
    EXPECT_STREQ(out["input"]["secret"].GetString(), scope);
    EXPECT_STREQ(out["input"]["config"]["who"].GetString(), i % 2 ? "two" : "one");
    EXPECT_EQ(out["calls"].GetInt(), 1);
    EXPECT_EQ(r.output.find(i % 2 ? "shop-1" : "shop-2"), std::string::npos) << r.output;
  }
  auto pools = executor().pool_stats();
  ASSERT_EQ(pools.size(), 1u);  // one module, one pool, both scopes
}

TEST_F(ReactorAbiTest, InvalidInputNeverReachesTheGuest) {
  bind("test.reactor", "reactor_abi", "run");
  expect_failure(exec("[1, 2]", "shop-1", "test.reactor"), ExecStatus::InvalidInput, ErrorKind::InvalidInput,
                 "object");
  expect_failure(exec(R"({"config": 1})", "shop-1", "test.reactor"), ExecStatus::InvalidInput,
                 ErrorKind::InvalidInput, "kiln-reactor ABI puts the extension's config there");
}

// ---- what a guest can get wrong -------------------------------------------------

TEST_F(ReactorAbiTest, EveryBadOutputRangeIsAnOutputError) {
  const std::pair<const char*, const char*> cases[] = {
      {"past_end", "[65530, 65540), outside its memory (65536 bytes)"},
      {"wrap", "outside its memory"},
      {"huge_len", "[16, 4294967311), outside its memory"},
      {"high_ptr", "neither (ptr << 32 | len) below 2 GiB nor a failure code"},
      {"long_len", "output is not JSON at offset 7: The document root must not be followed by other values"},
  };
  for (const auto& [entry, says] : cases) {
    SCOPED_TRACE(entry);
    bind(std::string("test.lies.") + entry, "reactor_lies", entry);
    expect_failure(exec("{}", "shop-1", std::string("test.lies.") + entry), ExecStatus::InvalidOutput,
                   ErrorKind::InvalidOutput, says);
  }
  // The host is fine, and so is an honest entry of the same module.
  bind("test.lies.ok", "reactor_lies", "ok");
  ExecResult ok = exec("{}", "shop-1", "test.lies.ok");
  ASSERT_EQ(ok.status, ExecStatus::Ok) << (ok.error ? ok.error->message : "");
  EXPECT_EQ(ok.output, R"({"a":1})");
}

TEST_F(ReactorAbiTest, OutputOverTheLimitIsAnOutputError) {
  bind("test.lies.too_big", "reactor_lies", "too_big",
       R"("fuel": 5000000, "timeout": "5s", "max_output": 1000, "memory": "16MiB")");
  expect_failure(exec("{}", "shop-1", "test.lies.too_big"), ExecStatus::InvalidOutput, ErrorKind::InvalidOutput,
                 "32768 bytes, over the extension point's limit of 1000");
}

TEST_F(ReactorAbiTest, AFailureCodeIsAnExtensionFailure) {
  bind("test.lies.fail_code", "reactor_lies", "fail_code");
  ExecResult coded = exec("{}", "shop-1", "test.lies.fail_code");
  expect_failure(coded, ExecStatus::ExtensionFailed, ErrorKind::ExtensionFailed, "failed with code 3");
  EXPECT_EQ(coded.exit_code, 3);

  bind("test.fail", "reactor_abi", "fail");
  ExecResult failed = exec("{}", "shop-1", "test.fail");
  expect_failure(failed, ExecStatus::ExtensionFailed, ErrorKind::ExtensionFailed, "failed with code 7");
  EXPECT_EQ(failed.exit_code, 7);
  EXPECT_EQ(failed.log, "failing on purpose\n");
}

TEST_F(ReactorAbiTest, AnAllocatorThatLiesIsAContractError) {
  bind("test.alloc_null", "reactor_alloc_null", "run");
  expect_failure(exec("{}", "shop-1", "test.alloc_null"), ExecStatus::Error, ErrorKind::Contract,
                 "kiln_alloc(13) returned null");
  bind("test.alloc_outside", "reactor_alloc_outside", "run");
  expect_failure(exec("{}", "shop-1", "test.alloc_outside"), ExecStatus::Error, ErrorKind::Contract,
                 "kiln_alloc(13) returned [65530, 65543), not a range inside its memory (65536 bytes)");
}

TEST_F(ReactorAbiTest, LoggingOutsideMemoryTraps) {
  bind("test.log_outside", "reactor_abi", "log_outside");
  expect_failure(exec("{}", "shop-1", "test.log_outside"), ExecStatus::Trapped, ErrorKind::Trap,
                 "kiln.log: range [4294967280, 4294967380) is outside the guest's memory");
}

TEST_F(ReactorAbiTest, TheLogIsCutAtItsLimit) {
  bind("test.chatty", "reactor_abi", "chatty",
       R"("fuel": 5000000, "timeout": "5s", "max_log": 100, "memory": "16MiB")");
  ExecResult r = exec("{}", "shop-1", "test.chatty");
  ASSERT_EQ(r.status, ExecStatus::Ok) << (r.error ? r.error->message : "");
  EXPECT_EQ(r.log.size(), 100u);
  EXPECT_TRUE(r.log_truncated);
}

TEST_F(ReactorAbiTest, AGuestUsingWasiLogsThroughStderrToo) {
  bind("test.stderr", "reactor_abi", "stderr_too");
  ExecResult r = exec("{}", "shop-1", "test.stderr");
  ASSERT_EQ(r.status, ExecStatus::Ok) << (r.error ? r.error->message : "");
  EXPECT_EQ(r.log, "through kiln.log\nthrough stderr\n");
}

// ---- traps and limits inside a reactor call ----------------------------------------

TEST_F(ReactorAbiTest, TrapFuelAndDeadlineEndTheCallAndTheHostCarriesOn) {
  bind("test.trap", "reactor_abi", "trap");
  expect_failure(exec("{}", "shop-1", "test.trap"), ExecStatus::Trapped, ErrorKind::Trap, "unreachable");
  bind("test.fuel", "reactor_abi", "spin", R"("fuel": 1000000, "timeout": "5s", "memory": "16MiB")");
  ExecResult fuel = exec("{}", "shop-1", "test.fuel");
  expect_failure(fuel, ExecStatus::OutOfFuel, ErrorKind::OutOfFuel, "limit 1000000");
  EXPECT_GE(fuel.fuel_used, 1'000'000u);
  bind("test.deadline", "reactor_abi", "spin",
       R"("fuel": 1000000000000000, "timeout": "50ms", "memory": "16MiB")");
  expect_failure(exec("{}", "shop-1", "test.deadline"), ExecStatus::Deadline, ErrorKind::Deadline, "deadline");

  // Every pool is still good: the same instances, reset, run again.
  bind("test.reactor", "reactor_abi", "run");
  for (const char* ep : {"test.reactor", "test.trap", "test.reactor"}) {
    ExecResult again = exec("{}", "shop-1", ep);
    EXPECT_EQ(again.status, std::string(ep) == "test.trap" ? ExecStatus::Trapped : ExecStatus::Ok) << ep;
  }
}

// ---- the contract, at deploy --------------------------------------------------------

TEST_F(ReactorAbiTest, ModulesThatBreakTheContractAreRefusedAtDeploy) {
  create_ep(reactor_ep("test.reactor", "run"));
  const std::pair<const char*, const char*> cases[] = {
      {"reactor_lies", "does not export run"},
      {"reactor_no_alloc", "does not export kiln_alloc"},
      {"reactor_bad_initialize", "exports _initialize as (i32) -> (), not a function () -> ()"},
      {"reactor_no_memory", "has no memory"},
      {"platform_behave", "exports _start (a WASI command"},
  };
  for (const auto& [guest, says] : cases) {
    Error error = refused_deploy(guest, "test.reactor");
    EXPECT_EQ(error.kind, ErrorKind::Contract) << guest << ": " << error.message;
    EXPECT_NE(error.message.find(says), std::string::npos) << guest << ": " << error.message;
  }
  create_ep(reactor_ep("test.wrong_type", "wrong_type"));
  Error mistyped = refused_deploy("reactor_lies", "test.wrong_type");
  EXPECT_EQ(mistyped.kind, ErrorKind::Contract);
  EXPECT_NE(mistyped.message.find("exports wrong_type with type (i32) -> (i32), but extension point "
                                  "test.wrong_type requires (i32, i32) -> (i64)"),
            std::string::npos)
      << mistyped.message;
  // A reactor is no command either.
  create_ep(behave_extension_point());
  Error command = refused_deploy("reactor_lies", "test.behave");
  EXPECT_EQ(command.kind, ErrorKind::Contract);
  EXPECT_NE(command.message.find("does not export _start"), std::string::npos) << command.message;
}

TEST_F(ReactorAbiTest, DefinitionsSayWhatTheAbiNeeds) {
  auto ep = registry::parse_extension_point(reactor_ep("test.reactor", "go"), "ep.json");
  ASSERT_TRUE(ep) << ep.error().message;
  EXPECT_TRUE(ep->is_reactor());
  EXPECT_EQ(ep->entry, "go");
  ASSERT_EQ(ep->exports.size(), 2u);
  EXPECT_EQ(ep->exports[0].name, "go");
  EXPECT_EQ(ep->exports[0].type, "(i32, i32) -> (i64)");
  EXPECT_EQ(ep->exports[1].name, "kiln_alloc");
  EXPECT_TRUE(ep->allows_import("kiln", "log"));
  EXPECT_FALSE(ep->allows_import("kiln", "__kiln_fuel"));
  EXPECT_TRUE(ep->allows_import("wasi_snapshot_preview1", "fd_write"));
  EXPECT_FALSE(ep->allows_import("wasi_snapshot_preview1", "path_open"));

  auto defaulted = registry::parse_extension_point(
      R"({"name": "a.b", "abi": "kiln-reactor", "input_schema": {}, "output_schema": {}})", "ep.json");
  ASSERT_TRUE(defaulted) << defaulted.error().message;
  EXPECT_EQ(defaulted->entry, "run");

  auto mistyped = registry::parse_extension_point(
      R"j({"name": "a.b", "abi": "kiln-reactor", "input_schema": {}, "output_schema": {},
          "exports": [{"name": "run", "type": "(i32) -> (i32)"}]})j", "ep.json");
  ASSERT_FALSE(mistyped);
  EXPECT_EQ(mistyped.error().kind, ErrorKind::InvalidDefinition);
  EXPECT_NE(mistyped.error().message.find("run must have type (i32, i32) -> (i64)"), std::string::npos);

  // A wasi-command entry other than _start (a Shopify function's target):
  // required with type () -> (), and _start no longer is.
  auto command_entry = registry::parse_extension_point(
      R"({"name": "a.b", "abi": "wasi-command", "entry": "run", "input_schema": {}, "output_schema": {}})", "ep.json");
  ASSERT_TRUE(command_entry) << command_entry.error().message;
  EXPECT_EQ(command_entry->entry, "run");
  ASSERT_EQ(command_entry->exports.size(), 1u);
  EXPECT_EQ(command_entry->exports[0].name, "run");
  EXPECT_EQ(command_entry->exports[0].type, "() -> ()");
  auto command_mistyped = registry::parse_extension_point(
      R"j({"name": "a.b", "abi": "wasi-command", "entry": "run", "input_schema": {}, "output_schema": {},
          "exports": [{"name": "run", "type": "(i32) -> ()"}]})j", "ep.json");
  ASSERT_FALSE(command_mistyped);
  EXPECT_NE(command_mistyped.error().message.find("run is the entry of a wasi-command extension and must have type () -> ()"),
            std::string::npos)
      << command_mistyped.error().message;
}

// ---- the pool: _initialize once per instance -------------------------------------

class ReactorPoolTest : public ::testing::TestWithParam<InstancePoolConfig::ReactorReset> {
 protected:
  // A pool of `guest`, whose _initialize calls test.initialized (counted).
  std::shared_ptr<InstancePool> make_pool(const std::string& guest) {
    auto module = Module::from_file(engine_, guest_path(guest));
    if (!module.ok()) throw std::runtime_error(module.error().message);
    Linker linker;
    linker.define("test", "initialized",
                  HostFunc{FuncType{}, [this](HostContext&, std::span<const Value>, std::span<Value>) {
                             ++initialized_;
                             return HostResult::ok();
                           }});
    auto pre = InstancePre::create(*module, linker);
    if (!pre.ok()) throw std::runtime_error(pre.error().message);
    InstancePoolConfig config;
    config.reactor_reset = GetParam();
    return InstancePool::create(*pre, config);
  }

  Engine engine_ = make_engine(BackendKind::Aot);
  int initialized_ = 0;
};

TEST_P(ReactorPoolTest, InitializeRunsOncePerPooledInstanceAndResetsRestoreItsState) {
  const bool snapshot = GetParam() == InstancePoolConfig::ReactorReset::Snapshot;
  auto pool = make_pool("reactor_init_hook");
  int& initialized = initialized_;

  for (int call = 0; call < 5; ++call) {
    auto lease = pool->acquire();
    ASSERT_TRUE(lease.ok()) << lease.error().message;
    Instance& instance = lease->instance();
    // What _initialize left (42 + 7 + a zeroed data byte), none of the last call's.
    CallResult state = instance.call("state", {});
    ASSERT_TRUE(state.returned()) << state.trap.describe();
    EXPECT_EQ(state.values[0].i32, 49u) << "call " << call;
    EXPECT_EQ(instance.call("pages", {}).values[0].i32, 2u);
    EXPECT_EQ(instance.call("bump", {}).values[0].i32, 1u);
  }
  InstancePoolStats stats = pool->stats();
  EXPECT_EQ(stats.created, 1u);
  EXPECT_EQ(stats.reused, 4u);
  // Snapshot: once, when the pool made the instance. Reinitialize: again on
  // every reset (five releases, the last included).
  EXPECT_EQ(initialized, snapshot ? 1 : 6);
  EXPECT_EQ(stats.initialized, static_cast<uint64_t>(initialized));
}

TEST_P(ReactorPoolTest, StateOutsideMemoryIsNeverLostToASnapshot) {
  auto pool = make_pool("reactor_global_state");
  for (int call = 0; call < 3; ++call) {
    auto lease = pool->acquire();
    ASSERT_TRUE(lease.ok()) << lease.error().message;
    CallResult ready = lease->instance().call("ready", {});
    ASSERT_TRUE(ready.returned()) << ready.trap.describe();
    EXPECT_EQ(ready.values[0].i32, 5u) << "call " << call;
  }
  // Two mutable globals: the pool reinitializes whatever it was asked.
  EXPECT_EQ(initialized_, 4);
}

INSTANTIATE_TEST_SUITE_P(Resets, ReactorPoolTest,
                         ::testing::Values(InstancePoolConfig::ReactorReset::Snapshot,
                                           InstancePoolConfig::ReactorReset::Reinitialize),
                         [](const auto& info) {
                           return info.param == InstancePoolConfig::ReactorReset::Snapshot ? "Snapshot"
                                                                                            : "Reinitialize";
                         });

}  // namespace
}  // namespace kiln::test
