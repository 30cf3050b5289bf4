// Crash-safe deploy: a `kill -9` at any point of `kiln deploy` leaves the
// previous state intact and usable. First at every injected crash point
// (KILN_CRASH_POINT, base/crash_point.h), then by SIGKILLing real deploys
// at random moments, compiling or not. After each death: PRAGMA
// integrity_check is "ok", the registry opens, a fresh executor runs the
// old or the new version (whole), and the CLI still lists extensions.
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "base/sha256.h"
#include "platform_process_support.h"
#include "platform_test_support.h"

namespace kiln::test {
namespace {

using Clock = std::chrono::steady_clock;
using execute::ExecStatus;

class PlatformCrashTest : public PlatformTest {
 protected:
  static std::string sha_of(const std::string& guest) { return base::sha256_hex(read_file(guest_path(guest))); }

  // The crash points of a deploy: every base::crash_point("...") in
  // registry/ and deploy/, so that a new one is tested without editing this.
  static std::vector<std::string> deploy_crash_points() {
    std::set<std::string> found;
    std::regex call(R"re(crash_point\("([^"]+)"\))re");
    for (const char* folder : {"registry", "deploy"}) {
      for (const auto& entry : std::filesystem::directory_iterator(std::string(KILN_SOURCE_DIR) + "/" + folder)) {
        if (entry.path().extension() != ".cc") continue;
        std::ifstream in(entry.path());
        std::stringstream text;
        text << in.rdbuf();
        std::string source = text.str();
        for (std::sregex_iterator it(source.begin(), source.end(), call), end; it != end; ++it) {
          found.insert((*it)[1].str());
        }
      }
    }
    return {found.begin(), found.end()};
  }

  // Opens the registry at `path` afresh and checks what a crash must leave:
  // an intact file, one live version of ext (returned), and a fresh executor
  // that runs it to the output its module gives.
  registry::Extension check_usable(const std::string& path, const std::map<std::string, std::string>& output_of_sha,
                                   const std::string& when) {
    SCOPED_TRACE(when);
    auto reopened = registry::Registry::open(path);
    EXPECT_TRUE(reopened) << reopened.error().message;
    if (!reopened) return {};
    auto integrity = (*reopened)->integrity_check();
    EXPECT_TRUE(integrity) << integrity.error().message;
    if (integrity) EXPECT_EQ(*integrity, "ok");
    auto live = (*reopened)->list_extensions({"test.behave", "*"});
    EXPECT_TRUE(live) << live.error().message;
    if (!live) return {};
    EXPECT_EQ(live->size(), 1u);
    if (live->size() != 1) return {};
    registry::Extension ext = live->front();
    EXPECT_TRUE(ext.enabled);
    auto bytes = (*reopened)->module_bytes(ext.module.sha256);
    EXPECT_TRUE(bytes) << bytes.error().message;
    if (bytes) EXPECT_EQ(base::sha256_hex(*bytes), ext.module.sha256);  // the stored module is whole
    reopened->reset();

    execute::LocalExecutorConfig config;
    config.registry_path = path;
    auto executor = execute::LocalExecutor::open(config);
    EXPECT_TRUE(executor) << executor.error().message;
    if (!executor) return ext;
    std::string input = "{}";
    auto result = (*executor)->execute("test.behave", "shop-1", {reinterpret_cast<const uint8_t*>(input.data()), 2});
    EXPECT_EQ(result.status, ExecStatus::Ok) << (result.error ? result.error->message : "");
    EXPECT_EQ(result.version, ext.version);
    EXPECT_EQ(result.module_sha256, ext.module.sha256);
    auto expected = output_of_sha.find(ext.module.sha256);
    EXPECT_NE(expected, output_of_sha.end()) << "live module " << ext.module.sha256 << " is none of the deployed";
    if (expected != output_of_sha.end()) EXPECT_EQ(result.output, expected->second);
    return ext;
  }
};

TEST_F(PlatformCrashTest, EveryInjectedCrashPointLeavesAUsableRegistry) {
  std::vector<std::string> points = deploy_crash_points();
  for (const char* known : {"deploy.start", "deploy.compiled", "registry.module_stored", "registry.version_stored",
                            "registry.before_commit", "registry.after_commit"}) {
    EXPECT_NE(std::find(points.begin(), points.end(), known), points.end()) << "crash point " << known << " is gone";
  }
  const std::string v2_sha = sha_of("platform_v2");
  const std::map<std::string, std::string> output_of_sha = {{sha_of("platform_v1"), R"({"result":1})"},
                                                             {v2_sha, R"({"result":2})"}};
  for (const std::string& point : points) {
    SCOPED_TRACE("KILN_CRASH_POINT=" + point);
    // A registry of its own (in $KILN_HOME, as a user's default), v1 live.
    std::filesystem::path home = dir_ / point;
    std::filesystem::create_directories(home);
    std::string path = (home / "registry.db").string();
    {
      auto own = registry::Registry::open(path);
      ASSERT_TRUE(own) << own.error().message;
      std::swap(registry_, *own);
      create_ep(behave_extension_point());
      auto v1 = deploy("platform_v1", "*");
      ASSERT_TRUE(v1) << v1.error().message;
      std::swap(registry_, *own);
    }

    const std::vector<std::string> deploy_v2 = {"deploy", guest_path("platform_v2"), "--ep", "test.behave",
                                                "--scope", "*", "--name", "ext"};
    ProcessResult crashed = run_kiln_env(deploy_v2, {"KILN_HOME=" + home.string(), "KILN_CRASH_POINT=" + point});
    EXPECT_EQ(crashed.signal, SIGKILL) << "exit " << crashed.exit_code << ": " << crashed.err;
    EXPECT_EQ(crashed.out, "");  // it died before it could say it deployed

    const bool committed = point == "registry.after_commit";
    registry::Extension live = check_usable(path, output_of_sha, "after the crash");
    EXPECT_EQ(live.version, committed ? 2 : 1);
    {
      auto reopened = registry::Registry::open(path);
      ASSERT_TRUE(reopened);
      auto history = (*reopened)->history("test.behave", "*", "ext");
      ASSERT_TRUE(history);
      EXPECT_EQ(history->size(), committed ? 2u : 1u);  // no half-made version
      // The module went in the same transaction as its version: not before.
      EXPECT_EQ(static_cast<bool>((*reopened)->module_bytes(v2_sha)), committed);
    }

    // The registry takes the deploy that was cut short.
    ProcessResult again = run_kiln_env(deploy_v2, {"KILN_HOME=" + home.string()});
    ASSERT_EQ(again.exit_code, 0) << again.err;
    EXPECT_NE(again.out.find(committed ? "version 3" : "version 2"), std::string::npos) << again.out;
    registry::Extension after = check_usable(path, output_of_sha, "after deploying again");
    EXPECT_EQ(after.module.sha256, v2_sha);
    EXPECT_EQ(after.version, committed ? 3 : 2);
  }
}

// SIGKILL at random moments of real deploys, alternating modules, some
// compiling into a cache that earlier kills may have left half-written.
TEST_F(PlatformCrashTest, RandomlyKilledDeploysLeaveAUsableRegistry) {
  const std::vector<std::string> guests = {"platform_v1", "platform_v2", "platform_behave"};
  std::map<std::string, std::string> output_of_sha;
  for (const std::string& guest : guests) {
    output_of_sha[sha_of(guest)] = guest == "platform_v2" ? R"({"result":2})" : R"({"result":1})";
  }
  create_ep(behave_extension_point());
  // Each guest deployed once in-process: compiled in this process's cache,
  // where the executors below (and the cached deploys) find them.
  // platform_v1 ends up live.
  for (const std::string& guest : {guests[2], guests[1], guests[0]}) ASSERT_TRUE(deploy(guest, "*"));
  registry_.reset();

  // Cached deploys use this process's cache; compiling ones a cache of
  // their own, emptied before every other one of them, so that some start
  // on what a killed compile left behind.
  const std::string child_cache = (dir_ / "child-cache").string();
  auto deploy_args = [&](const std::string& guest) {
    return std::vector<std::string>{"deploy", guest_path(guest), "--ep", "test.behave", "--scope", "*",
                                    "--name", "ext", "--registry", registry_path()};
  };
  const std::vector<std::string> compiling_env = {"KILN_CACHE_DIR=" + child_cache};
  auto timed_deploy = [&](const std::string& guest, const std::vector<std::string>& env) {
    auto start = Clock::now();
    KilnProcess process = spawn_kiln(deploy_args(guest), env);
    int status = process.wait();
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status;
    return Clock::now() - start;
  };
  std::filesystem::remove_all(child_cache);
  const auto cold = timed_deploy("platform_v2", compiling_env);
  const auto warm = timed_deploy("platform_v1", {});
  std::printf("deploy: %.1f ms compiling, %.1f ms cached\n", std::chrono::duration<double, std::milli>(cold).count(),
              std::chrono::duration<double, std::milli>(warm).count());

  const unsigned seed = static_cast<unsigned>(std::random_device{}());
  std::printf("random kills: seed %u\n", seed);
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937 random(seed);
  const auto loop_start = Clock::now();
  int killed = 0, finished = 0, killed_compiling = 0;
  registry::Extension previous = check_usable(registry_path(), output_of_sha, "before the loop");
  // And one executor that stays open through every kill, as a host's would.
  execute::LocalExecutorConfig config;
  config.registry_path = registry_path();
  auto opened = execute::LocalExecutor::open(config);
  ASSERT_TRUE(opened) << opened.error().message;
  execute::LocalExecutor& running = **opened;
  const std::string input = "{}";
  const std::span<const uint8_t> input_bytes(reinterpret_cast<const uint8_t*>(input.data()), input.size());
  for (int i = 0; i < 15; ++i) {
    const std::string& guest = guests[i % guests.size()];
    const bool compiling = i % 3 == 1;
    if (compiling && (i / 3) % 2 == 0) std::filesystem::remove_all(child_cache);
    auto span = std::chrono::duration_cast<std::chrono::microseconds>(compiling ? cold : warm);
    auto delay = std::chrono::microseconds(
        std::uniform_int_distribution<int64_t>(0, span.count() + span.count() / 5)(random));
    SCOPED_TRACE("iteration " + std::to_string(i) + ": " + guest + (compiling ? " (compiling)" : " (cached)") +
                 ", killed after " + std::to_string(delay.count()) + " us");

    KilnProcess process = spawn_kiln(deploy_args(guest), compiling ? compiling_env : std::vector<std::string>{});
    std::this_thread::sleep_for(delay);
    process.kill_now();
    int status = process.wait();
    const bool was_killed = WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
    if (was_killed) {
      ++killed;
      killed_compiling += compiling ? 1 : 0;
    } else {
      ++finished;
      EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status;
    }

    registry::Extension now = check_usable(registry_path(), output_of_sha, "after the kill");
    // The old version, or the new one made live whole: nothing else.
    if (now.version == previous.version) {
      EXPECT_EQ(now.module.sha256, previous.module.sha256);
      EXPECT_TRUE(was_killed) << "a deploy that finished left the old version live";
    } else {
      EXPECT_EQ(now.version, previous.version + 1);
      EXPECT_EQ(now.module.sha256, sha_of(guest));
    }
    EXPECT_TRUE(running.refresh());
    auto seen = running.execute("test.behave", "shop-1", input_bytes);
    EXPECT_EQ(seen.status, ExecStatus::Ok) << (seen.error ? seen.error->message : "");
    EXPECT_EQ(seen.version, now.version);
    EXPECT_EQ(seen.output, output_of_sha[now.module.sha256]);
    ProcessResult list = run_kiln({"extensions", "list", "--registry", registry_path()});
    EXPECT_EQ(list.exit_code, 0) << list.err;
    EXPECT_NE(list.out.find("test.behave"), std::string::npos) << list.out;
    EXPECT_NE(list.out.find(now.module.sha256.substr(0, 12)), std::string::npos) << list.out;
    previous = now;
  }
  std::printf("random kills: %d killed mid-deploy (%d of them compiling), %d finished first, %.1f s\n", killed,
              killed_compiling, finished, std::chrono::duration<double>(Clock::now() - loop_start).count());
  EXPECT_GT(killed, 0);

  // After all of that, an ordinary deploy still works, compiling or cached.
  ProcessResult compiled = run_kiln_env(deploy_args("platform_behave"), compiling_env);
  ASSERT_EQ(compiled.exit_code, 0) << compiled.err;
  ProcessResult cached = run_kiln(deploy_args("platform_v2"));
  ASSERT_EQ(cached.exit_code, 0) << cached.err;
  EXPECT_EQ(check_usable(registry_path(), output_of_sha, "after the last deploys").module.sha256,
            sha_of("platform_v2"));
}


}  // namespace
}  // namespace kiln::test
