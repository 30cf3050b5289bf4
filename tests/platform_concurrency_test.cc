// Executions racing deploys: threads executing through one LocalExecutor
// while the extension is redeployed get the old or the new version, whole,
// never an error or a mix; and a running executor picks up another
// process's deploy by itself (PRAGMA data_version, polled) while it keeps
// executing.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <thread>
#include <vector>

#include "platform_process_support.h"
#include "platform_test_support.h"

namespace kiln::test {
namespace {

using Clock = std::chrono::steady_clock;
using execute::ExecStatus;

class PlatformConcurrencyTest : public PlatformTest {};

TEST_F(PlatformConcurrencyTest, ExecutionsAcrossRedeploysGetTheOldOrTheNewVersion) {
  create_ep(behave_extension_point());
  ASSERT_TRUE(deploy("platform_v1", "*"));  // version 1
  ASSERT_TRUE(deploy("platform_v2", "shop-warm"));  // both modules compiled before the race
  execute::LocalExecutor& shared = executor();

  std::atomic<bool> stop{false};
  std::atomic<uint64_t> calls{0}, seen_v1{0}, seen_v2{0};
  std::mutex failures_mutex;
  std::vector<std::string> failures;
  auto fail = [&](const std::string& what) {
    std::lock_guard lock(failures_mutex);
    if (failures.size() < 20) failures.push_back(what);
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      const std::string input = R"({"cart": {"lines": [{"quantity": )" + std::to_string(t + 1) + "}]}}";
      std::span<const uint8_t> bytes(reinterpret_cast<const uint8_t*>(input.data()), input.size());
      while (!stop.load()) {
        execute::ExecResult result = shared.execute("test.behave", "shop-1", bytes);
        calls.fetch_add(1);
        if (result.status != ExecStatus::Ok) {
          fail(std::string("status ") + execute::to_string(result.status) + ": " +
               (result.error ? result.error->message : ""));
          continue;
        }
        // Versions 1, 3, 5 are platform_v1; 2, 4, 6 platform_v2. The
        // output must be the one of the version the result names.
        const char* want = result.version % 2 == 1 ? R"({"result":1})" : R"({"result":2})";
        if (result.output != want) {
          fail("version " + std::to_string(result.version) + " gave " + result.output);
        } else {
          (result.version % 2 == 1 ? seen_v1 : seen_v2).fetch_add(1);
        }
      }
    });
  }

  // v2, v1, v2, v1, v2: five redeploys while the threads run.
  uint64_t before = calls.load();
  for (int i = 0; i < 5; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(150));
    auto deployed = deploy(i % 2 == 0 ? "platform_v2" : "platform_v1", "*");
    EXPECT_TRUE(deployed) << deployed.error().message;  // no ASSERT: the threads must be joined
    if (!deployed) break;
    EXPECT_EQ(deployed->extension.version, i + 2);
    if (i % 2 == 0) {
      EXPECT_TRUE(shared.refresh());  // this one seen at once; the others by the poller
    }
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_TRUE(shared.refresh());
  auto last = exec("{}");
  stop = true;
  for (std::thread& thread : threads) thread.join();

  std::printf("%llu calls across 5 redeploys: %llu of v1, %llu of v2\n",
              static_cast<unsigned long long>(calls.load()), static_cast<unsigned long long>(seen_v1.load()),
              static_cast<unsigned long long>(seen_v2.load()));
  for (const std::string& failure : failures) ADD_FAILURE() << failure;
  EXPECT_GT(calls.load() - before, 40u);
  EXPECT_GT(seen_v1.load(), 0u);
  EXPECT_GT(seen_v2.load(), 0u);
  EXPECT_EQ(last.status, ExecStatus::Ok);
  EXPECT_EQ(last.version, 6);
  EXPECT_EQ(last.output, R"({"result":2})");
  auto stats = shared.stats();
  ASSERT_EQ(stats.size(), 1u);
  EXPECT_EQ(stats[0].by_status[static_cast<int>(ExecStatus::Ok)], calls.load() + 1);
}

TEST_F(PlatformConcurrencyTest, AnotherProcesssDeployIsSeenWhileExecuting) {
  create_ep(behave_extension_point());
  ASSERT_TRUE(deploy("platform_v1", "*"));
  ASSERT_TRUE(deploy("platform_v2", "shop-warm"));  // compiled before, as a deploy leaves it
  registry_.reset();

  execute::LocalExecutorConfig config;  // the default poll interval
  config.registry_path = registry_path();
  auto opened = execute::LocalExecutor::open(config);
  ASSERT_TRUE(opened) << opened.error().message;
  execute::LocalExecutor& running = **opened;
  EXPECT_EQ(config.poll_interval, std::chrono::milliseconds(200));

  const std::string input = "{}";
  std::span<const uint8_t> bytes(reinterpret_cast<const uint8_t*>(input.data()), input.size());
  for (int i = 0; i < 20; ++i) ASSERT_EQ(running.execute("test.behave", "shop-1", bytes).output, R"({"result":1})");

  std::string log = (dir_ / "deploy.log").string();
  KilnProcess deployer = spawn_kiln({"deploy", guest_path("platform_v2"), "--ep", "test.behave", "--scope", "*",
                                     "--name", "ext", "--registry", registry_path()},
                                    {}, log);
  const Clock::time_point spawned = deployer.started;
  std::optional<Clock::time_point> exited, switched;
  int status = 0;
  uint64_t calls = 0, old_calls = 0, bad = 0;
  while (Clock::now() - spawned < std::chrono::seconds(10)) {
    auto result = running.execute("test.behave", "shop-1", bytes);
    ++calls;
    if (!exited && deployer.ended(status)) exited = Clock::now();
    if (result.status != ExecStatus::Ok || (result.output != R"({"result":1})" && result.output != R"({"result":2})")) {
      if (++bad < 5) ADD_FAILURE() << execute::to_string(result.status) << ": " << result.output;
      continue;
    }
    if (result.output == R"({"result":2})") {
      EXPECT_EQ(result.version, 2);
      switched = Clock::now();
      if (!exited && deployer.ended(status)) exited = switched;
      break;
    }
    ++old_calls;
  }
  if (!exited) {
    status = deployer.wait();
    exited = Clock::now();
  }
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "kiln deploy: status " << status;
  EXPECT_EQ(bad, 0u);
  ASSERT_TRUE(switched) << "the executor still ran v1 10 s after another process deployed v2";
  using ms = std::chrono::duration<double, std::milli>;
  // Negative: switched before the deploy process had finished exiting
  // (it commits, prints, then exits).
  std::printf("switched to v2 %.1f ms after the deploy process ended (%.1f ms after it started; poll 200 ms); "
              "%llu calls meanwhile, %llu of them v1\n",
              ms(*switched - *exited).count(), ms(*switched - spawned).count(),
              static_cast<unsigned long long>(calls), static_cast<unsigned long long>(old_calls));
  // Stays switched.
  for (int i = 0; i < 20; ++i) EXPECT_EQ(running.execute("test.behave", "shop-1", bytes).output, R"({"result":2})");
  EXPECT_GT(running.generation(), 1u);
}

}  // namespace
}  // namespace kiln::test
