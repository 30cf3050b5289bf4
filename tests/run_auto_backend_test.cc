// `kiln run --backend auto`, the default, through the real binary: the first
// run of a module interprets it and leaves a detached compile filling the
// cache; the next run loads the artifact. Each test has a cache of its own,
// so what it sees is what its own runs did.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "backends/aot/module_index.h"
#include "base/sha256.h"
#include "tests/aot_test_support.h"
#include "tests/test_support.h"

namespace kiln {
namespace {

namespace fs = std::filesystem;

// A bound on hanging, not a timing assertion: compiling a C guest takes
// seconds, more on a busy machine.
constexpr auto kCompileBound = std::chrono::seconds(240);

class AutoBackendCli : public testing::Test {
 protected:
  void SetUp() override { cache_ = test::fresh_cache_dir("auto"); }

  // No compile of ours left writing into a directory we remove.
  void TearDown() override {
    wait_until([&] { return !compile_running(); });
    std::error_code ignored;
    fs::remove_all(cache_, ignored);
  }

  test::ProcessResult run(std::vector<std::string> args, const std::string& stdin_data = "",
                          std::vector<std::string> env = {}) {
    args.insert(args.begin(), {"run", "--cache-dir", cache_});
    return test::run_kiln_env(args, env, stdin_data);
  }

  std::string layout_dir() const { return cache_ + "/aot-v1"; }

  bool compile_running() const {
    std::error_code error;
    return !fs::is_empty(layout_dir() + "/compiling", error) && !error;
  }

  // The background compile has recorded the module (an artifact, or why the
  // interpreter keeps it) and let go of its lock.
  bool compiled(const std::string& module) const {
    const std::string sha = base::sha256_hex(std::span<const uint8_t>(test::read_file(module)));
    return backends::aot::ModuleIndex(layout_dir()).find(sha).has_value() && !compile_running();
  }

  template <typename Predicate>
  static bool wait_until(Predicate done) {
    const auto deadline = std::chrono::steady_clock::now() + kCompileBound;
    while (!done()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return true;
  }

  size_t artifacts() const {
    size_t count = 0;
    std::error_code error;
    for (const auto& entry : fs::directory_iterator(layout_dir(), error)) count += entry.path().extension() == ".so";
    return count;
  }

  std::string cache_;
};

TEST_F(AutoBackendCli, FirstRunInterpretsThenTheNextRunsTheArtifact) {
  const std::string module = test::guest_path("wasi_exit");
  auto first = run({"--verbose", module, "--", "7"});
  EXPECT_EQ(first.exit_code, 7) << first.err;
  EXPECT_EQ(first.out, "exiting with 7");
  EXPECT_NE(first.err.find("interp (no AOT artifact in " + layout_dir() + " yet); compiling it in the background"), std::string::npos) << first.err;

  ASSERT_TRUE(wait_until([&] { return compiled(module); })) << "no artifact in " << cache_;
  EXPECT_EQ(artifacts(), 1u);

  auto second = run({"-v", module, "--", "7"});
  EXPECT_EQ(second.exit_code, 7) << second.err;
  EXPECT_EQ(second.out, "exiting with 7");
  EXPECT_NE(second.err.find("aot (cached artifact " + layout_dir()), std::string::npos) << second.err;
}

TEST_F(AutoBackendCli, SaysNothingUnlessAsked) {
  auto quiet = run({test::guest_path("wasi_stderr")});
  EXPECT_EQ(quiet.exit_code, 0) << quiet.err;
  EXPECT_EQ(quiet.out, "to stdout\n");
  EXPECT_EQ(quiet.err, "to stderr\n");  // the guest's, and nothing of the compile's
}

TEST_F(AutoBackendCli, ModuleAotCannotTranslateRunsOnTheInterpreter) {
  const std::string module = test::guest_path("platform_simd");
  auto first = run({module});
  EXPECT_EQ(first.exit_code, 0) << first.err;
  EXPECT_EQ(first.out, R"({"result":1})");
  EXPECT_EQ(first.err, "");

  // The compile records why the interpreter keeps it, and nothing more is
  // started for it.
  ASSERT_TRUE(wait_until([&] { return compiled(module); })) << "nothing recorded in " << cache_;
  EXPECT_EQ(artifacts(), 0u);
  auto second = run({"-v", module});
  EXPECT_EQ(second.exit_code, 0) << second.err;
  EXPECT_EQ(second.out, R"({"result":1})");
  EXPECT_NE(second.err.find("interp (the AOT backend cannot run it"), std::string::npos) << second.err;
  EXPECT_FALSE(compile_running());
}

TEST_F(AutoBackendCli, InterpNeverCompiles) {
  auto run_interp = run({"--backend", "interp", "-v", test::guest_path("wasi_exit"), "--", "3"});
  EXPECT_EQ(run_interp.exit_code, 3) << run_interp.err;
  EXPECT_NE(run_interp.err.find("interp (--backend interp)"), std::string::npos) << run_interp.err;
  // auto makes its lock directory before it returns; interp touches nothing.
  EXPECT_FALSE(fs::exists(layout_dir()));
}

TEST_F(AutoBackendCli, WithoutACompilerStaysQuietlyOnTheInterpreter) {
  const std::vector<std::string> no_cc = {"CC=/nonexistent/cc"};
  auto quiet = run({test::guest_path("wasi_exit"), "--", "5"}, "", no_cc);
  EXPECT_EQ(quiet.exit_code, 5) << quiet.err;
  EXPECT_EQ(quiet.out, "exiting with 5");
  EXPECT_EQ(quiet.err, "");
  auto told = run({"-v", test::guest_path("wasi_exit"), "--", "5"}, "", no_cc);
  EXPECT_NE(told.err.find("no C compiler"), std::string::npos) << told.err;
  EXPECT_FALSE(fs::exists(layout_dir() + "/compiling"));  // nothing was started
}

TEST_F(AutoBackendCli, ConcurrentFirstRunsShareOneCache) {
  const std::string module = test::guest_path("wasi_upper");
  std::vector<test::ProcessResult> results(3);
  std::vector<std::thread> runs;
  for (auto& result : results) runs.emplace_back([&] { result = run({module}, "shout\n"); });
  for (auto& thread : runs) thread.join();
  for (const auto& result : results) {
    EXPECT_EQ(result.exit_code, 0) << result.err;
    EXPECT_EQ(result.out, "SHOUT\n");
  }
  ASSERT_TRUE(wait_until([&] { return compiled(module); })) << "no artifact in " << cache_;
  EXPECT_EQ(artifacts(), 1u);
  auto cached = run({"-v", module}, "quiet\n");
  EXPECT_EQ(cached.exit_code, 0) << cached.err;
  EXPECT_EQ(cached.out, "QUIET\n");
  EXPECT_NE(cached.err.find("aot (cached artifact"), std::string::npos) << cached.err;
}

}  // namespace
}  // namespace kiln
