// Issue 12, item 6: a redeploy that drains (calls in flight finish on the
// old module, whose instances and artifact go when the last one returns),
// and canaries — a version live for a stable share of the scopes, then
// promoted or rolled back with one command.
#include <atomic>
#include <thread>

#include "backends/aot/artifact_loader.h"
#include "platform_test_support.h"
#include "registry/canary_share.h"

namespace kiln::test {
namespace {

using execute::ExecStatus;

class PlatformCanaryTest : public PlatformTest {};

// The scopes whose bucket puts them in a canary at `percent`, of `count`.
std::vector<std::string> scopes(int count) {
  std::vector<std::string> out;
  for (int i = 0; i < count; ++i) out.push_back("shop-" + std::to_string(i));
  return out;
}

TEST(CanaryShare, TheBucketIsAStableHashOfTheScopeAlone) {
  // Fixed values: a scope must land in the same share on every machine and
  // in every kiln version, or a canary would move between tenants.
  EXPECT_EQ(registry::canary_bucket("shop-1"), 55);
  EXPECT_EQ(registry::canary_bucket("shop-2"), 66);
  EXPECT_EQ(registry::canary_bucket("*"), 13);
  EXPECT_EQ(registry::canary_bucket(""), 37);
  // Spread: about a tenth of 10,000 scopes fall under 10%.
  int in_ten = 0;
  for (const std::string& scope : scopes(10000)) in_ten += registry::runs_canary(scope, 10) ? 1 : 0;
  EXPECT_GT(in_ten, 850);
  EXPECT_LT(in_ten, 1150);
  // Raising the share keeps every scope that already had the canary.
  for (const std::string& scope : scopes(1000)) {
    if (registry::runs_canary(scope, 10)) EXPECT_TRUE(registry::runs_canary(scope, 20)) << scope;
  }
  EXPECT_FALSE(registry::runs_canary("shop-1", 0));
  EXPECT_TRUE(registry::runs_canary("shop-1", 100));
}

TEST_F(PlatformCanaryTest, ACanaryNeedsALiveVersionAndAShareFromOneToAHundred) {
  create_ep(behave_extension_point());
  auto first = deploy("platform_v1", "*", "ext", "", "test.behave", 0, 10);
  ASSERT_FALSE(first);
  EXPECT_EQ(first.error().kind, ErrorKind::InvalidArgument);
  EXPECT_NE(first.error().message.find("no live version"), std::string::npos) << first.error().message;
  ASSERT_TRUE(deploy("platform_v1", "*"));
  for (int bad : {0, 101, -5}) {
    auto refused = deploy("platform_v2", "*", "ext", "", "test.behave", 0, bad);
    ASSERT_FALSE(refused) << bad;
    EXPECT_EQ(refused.error().kind, ErrorKind::InvalidArgument);
  }
  // Nothing of the refused deploys was recorded.
  auto history = registry_->history("test.behave", "*", "ext");
  ASSERT_TRUE(history);
  EXPECT_EQ(history->size(), 1u);
  auto promote = registry_->promote("test.behave", "*", "ext", "tester");
  ASSERT_FALSE(promote);
  EXPECT_EQ(promote.error().kind, ErrorKind::NotFound);
  EXPECT_NE(promote.error().message.find("no canary"), std::string::npos);
}

TEST_F(PlatformCanaryTest, ACanaryAnswersForItsShareOfScopesAndResultsSayWhichVersion) {
  create_ep(behave_extension_point());
  ASSERT_TRUE(deploy("platform_v1", "*"));
  auto canary = deploy("platform_v2", "*", "ext", "", "test.behave", 0, 30);
  ASSERT_TRUE(canary) << canary.error().message;
  EXPECT_EQ(canary->extension.version, 2);
  EXPECT_EQ(canary->extension.live_version, 1);
  EXPECT_EQ(canary->extension.canary_version, 2);
  EXPECT_EQ(canary->extension.canary_percent, 30);

  // The registry lists the live version with the canary beside it.
  auto live = registry_->list_extensions({"test.behave", ""});
  ASSERT_TRUE(live);
  ASSERT_EQ(live->size(), 1u);
  EXPECT_EQ(live->front().version, 1);
  auto canaries = registry_->list_canaries({"test.behave", ""});
  ASSERT_TRUE(canaries);
  ASSERT_EQ(canaries->size(), 1u);
  EXPECT_EQ(canaries->front().version, 2);

  int on_canary = 0;
  for (const std::string& scope : scopes(200)) {
    execute::ExecResult result = exec("{}", scope);
    ASSERT_EQ(result.status, ExecStatus::Ok) << scope;
    const bool want_canary = registry::runs_canary(scope, 30);
    EXPECT_EQ(result.canary, want_canary) << scope;
    EXPECT_EQ(result.version, want_canary ? 2 : 1) << scope;
    EXPECT_EQ(result.output, want_canary ? R"({"result":2})" : R"({"result":1})") << scope;
    on_canary += result.canary ? 1 : 0;
  }
  EXPECT_GT(on_canary, 30);  // about 60 of 200
  EXPECT_LT(on_canary, 90);
  // The same scope always gets the same version.
  for (int i = 0; i < 5; ++i) EXPECT_EQ(exec("{}", "shop-2").canary, registry::runs_canary("shop-2", 30));

  // A wider share keeps the scopes it had.
  auto wider = registry_->set_canary_share("test.behave", "*", "ext", 60, "tester");
  ASSERT_TRUE(wider) << wider.error().message;
  EXPECT_EQ(wider->canary_percent, 60);
  ASSERT_TRUE(executor().refresh());
  for (const std::string& scope : scopes(50)) {
    EXPECT_EQ(exec("{}", scope).canary, registry::runs_canary(scope, 60)) << scope;
  }

  // Promote: version 2 for every scope, no canary left.
  auto promoted = registry_->promote("test.behave", "*", "", "tester");
  ASSERT_TRUE(promoted) << promoted.error().message;
  EXPECT_EQ(promoted->version, 2);
  EXPECT_EQ(promoted->live_version, 2);
  EXPECT_EQ(promoted->canary_version, 0);
  ASSERT_TRUE(executor().refresh());
  for (const std::string& scope : scopes(50)) {
    execute::ExecResult result = exec("{}", scope);
    EXPECT_EQ(result.version, 2);
    EXPECT_FALSE(result.canary);
  }
}

TEST_F(PlatformCanaryTest, RollingBackACanaryGivesEveryScopeTheLiveVersion) {
  create_ep(behave_extension_point());
  ASSERT_TRUE(deploy("platform_v1", "*"));
  ASSERT_TRUE(deploy("platform_v2", "*", "ext", "", "test.behave", 0, 100));
  EXPECT_EQ(exec("{}", "shop-1").version, 2);  // 100%: every scope

  auto back = registry_->rollback("test.behave", "*", "", std::nullopt, "tester");
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->version, 1);
  EXPECT_EQ(back->canary_version, 0);
  ASSERT_TRUE(executor().refresh());
  for (const std::string& scope : scopes(50)) {
    execute::ExecResult result = exec("{}", scope);
    EXPECT_EQ(result.version, 1);
    EXPECT_FALSE(result.canary);
  }
  // The canary's version stays in the history, for a later deploy or rollback --to.
  auto history = registry_->history("test.behave", "*", "ext");
  ASSERT_TRUE(history);
  EXPECT_EQ(history->size(), 2u);
}

TEST_F(PlatformCanaryTest, APlainDeploySupersedesACanary) {
  create_ep(behave_extension_point());
  ASSERT_TRUE(deploy("platform_v1", "*"));
  ASSERT_TRUE(deploy("platform_v2", "*", "ext", "", "test.behave", 0, 50));
  auto plain = deploy("platform_v1", "*");
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->extension.version, 3);
  EXPECT_EQ(plain->extension.canary_version, 0);
  auto canaries = registry_->list_canaries();
  ASSERT_TRUE(canaries);
  EXPECT_TRUE(canaries->empty());
}

TEST_F(PlatformCanaryTest, CombinedCallsRunTheCanaryInItsPlace) {
  create_ep(behave_extension_point("test.chain", R"(, "combine": "all", "reduce": {"op": "sum", "pointer": "/result"})"));
  ASSERT_TRUE(deploy("platform_v1", "*", "a", "", "test.chain"));
  ASSERT_TRUE(deploy("platform_v1", "*", "b", "", "test.chain"));
  ASSERT_TRUE(deploy("platform_v2", "*", "b", "", "test.chain", 0, 50));
  for (const std::string& scope : scopes(20)) {
    execute::ExecResult result = exec("{}", scope, "test.chain");
    ASSERT_EQ(result.status, ExecStatus::Ok) << (result.error ? result.error->message : "");
    ASSERT_EQ(result.extensions.size(), 2u);
    const bool canary = registry::runs_canary(scope, 50);
    // a gives 1; b gives 1 live or 2 as the canary.
    EXPECT_EQ(result.output, canary ? R"({"result":3})" : R"({"result":2})") << scope;
    for (const execute::ExtensionRun& run : result.extensions) {
      if (run.extension == "b") {
        EXPECT_EQ(run.canary, canary);
        EXPECT_EQ(run.version, canary ? 2 : 1);
      } else {
        EXPECT_FALSE(run.canary);
      }
    }
  }
}

// Waits (bounded) until `ready` holds; the bound only keeps a broken build
// from hanging, it is not what the test checks.
template <typename Ready>
bool wait_for(Ready ready) {
  for (int i = 0; i < 2000 && !ready(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  return ready();
}

TEST_F(PlatformCanaryTest, ARedeployDrainsCallsInFlightThenReleasesTheOldModule) {
  create_ep(behave_extension_point());
  auto v1 = deploy("platform_v1", "*");
  ASSERT_TRUE(v1);
  const std::string v1_sha = v1->extension.module.sha256;
  ASSERT_TRUE(deploy("platform_v2", "shop-warm"));  // compiled before the test's redeploy
  execute::LocalExecutor& shared = executor();
  ASSERT_EQ(exec("{}").version, 1);  // v1 loaded

  // Three long calls on version 1.
  constexpr int kLong = 3;
  std::vector<execute::ExecResult> long_results(kLong);
  std::atomic<int> started{0};
  std::vector<std::thread> threads;
  const std::string slow = R"({"sleep_ms":700})";
  for (int i = 0; i < kLong; ++i) {
    threads.emplace_back([&, i] {
      started.fetch_add(1);
      long_results[i] = shared.execute("test.behave", "shop-1",
                                       {reinterpret_cast<const uint8_t*>(slow.data()), slow.size()});
    });
  }
  auto v1_pool = [&]() -> std::optional<execute::PoolStats> {
    for (const execute::PoolStats& pool : shared.pool_stats()) {
      if (pool.module_sha256 == v1_sha) return pool;
    }
    return std::nullopt;
  };
  ASSERT_TRUE(wait_for([&] { return v1_pool() && v1_pool()->leased == kLong; }));

  // Redeploy while they run: new calls get version 2 (platform_v2)...
  const uint64_t artifacts_before = backends::aot::loaded_artifact_count();
  ASSERT_TRUE(deploy("platform_v2", "*"));
  ASSERT_TRUE(shared.refresh());
  execute::ExecResult fresh = exec("{}");
  EXPECT_EQ(fresh.version, 2);
  EXPECT_EQ(fresh.output, R"({"result":2})");
  // ... while version 1's pool drains, its calls still leased.
  std::optional<execute::PoolStats> draining = v1_pool();
  ASSERT_TRUE(draining);
  EXPECT_TRUE(draining->draining);
  EXPECT_EQ(draining->leased, static_cast<uint64_t>(kLong));

  for (std::thread& thread : threads) thread.join();
  for (const execute::ExecResult& result : long_results) {
    EXPECT_EQ(result.status, ExecStatus::Ok) << (result.error ? result.error->message : "");
    EXPECT_EQ(result.version, 1);  // finished on the module they started on
    EXPECT_EQ(result.output, R"({"result":1})");
  }
  // The last call out released the old module: no pool, one artifact fewer.
  EXPECT_FALSE(v1_pool());
  EXPECT_EQ(backends::aot::loaded_artifact_count(), artifacts_before - 1);
  for (const execute::PoolStats& pool : shared.pool_stats()) EXPECT_FALSE(pool.draining) << pool.version;
  // A rollback loads it again, from the cache.
  ASSERT_TRUE(registry_->rollback("test.behave", "*", "", 1, "tester"));
  ASSERT_TRUE(shared.refresh());
  execute::ExecResult again = exec("{}");
  EXPECT_EQ(again.version, 1);
  EXPECT_EQ(again.output, R"({"result":1})");
}

}  // namespace
}  // namespace kiln::test
