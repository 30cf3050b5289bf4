// The limits a Store puts on guests: fuel, a memory cap and a deadline. A
// guest that hits one gets a trap or a failed memory.grow, never the host.
// Fuel is deterministic: the same module and input use the same fuel and
// run out of it at the same point. Elapsed time is never asserted.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "cli/exit_codes.h"
#include "kiln/wasi.h"
#include "kiln/engine.h"
#include "kiln/instance.h"
#include "kiln/linker.h"
#include "kiln/module.h"
#include "kiln/store.h"
#include "tests/test_support.h"

namespace kiln {
namespace {

using namespace std::chrono_literals;

constexpr uint64_t kPageBytes = 65536;
constexpr uint64_t kMiB = uint64_t{1} << 20;

class LimitsTest : public testing::Test {
 protected:
  LimitsTest() { host::add_wasi(wasi_linker_); }

  Module load(const std::string& stem) const {
    auto module = Module::from_file(engine_, test::guest_path(stem));
    if (!module.ok()) throw std::runtime_error(module.error().message);
    return std::move(module).value();
  }

  Instance instantiate(Store& store, const std::string& stem) const {
    auto instance = store.instantiate(load(stem), wasi_linker_);
    if (!instance.ok()) throw std::runtime_error(instance.error().message);
    return instance.value();
  }

  struct CommandRun {
    CallResult result;
    std::string out;
  };

  // Runs a WASI command's _start in a fresh Store with in-memory stdio.
  CommandRun run_command(const Module& module, const Limits& limits, std::string stdin_data) const {
    Store store(engine_);
    store.limits() = limits;
    auto wasi = std::make_shared<host::WasiContext>(
        host::WasiConfig{.args = {module.name()}, .stdin_data = std::move(stdin_data)});
    host::attach_wasi(store, wasi);
    auto instance = store.instantiate(module, wasi_linker_);
    if (!instance.ok()) throw std::runtime_error(instance.error().message);
    CallResult result = instance->call("_start", {});
    return {std::move(result), std::string(wasi->stdout_data())};
  }

  static Engine make_engine() {
    auto engine = Engine::create();
    if (!engine.ok()) throw std::runtime_error(engine.error().message);
    return std::move(engine).value();
  }

  Engine engine_ = make_engine();
  Linker wasi_linker_;
};

// A WASI command ends cleanly either by returning from _start or by exiting 0.
bool ended_cleanly(const CallResult& result) {
  return result.returned() || (result.exited() && result.exit_code == 0);
}

// ---- loop {} ----------------------------------------------------------------

TEST_F(LimitsTest, FuelStopsAnEndlessLoop) {
  Store store(engine_);
  store.limits().fuel = 100'000;
  Instance loop = instantiate(store, "limits_loop");
  CallResult result = loop.call("_start", {});
  ASSERT_TRUE(result.trapped());
  EXPECT_EQ(result.trap.kind, TrapKind::OutOfFuel) << result.trap.describe();
  EXPECT_GE(result.fuel_used, 100'000u);
}

TEST_F(LimitsTest, DeadlineStopsAnEndlessLoopWithUnlimitedFuel) {
  Store store(engine_);
  store.limits().fuel = kUnlimitedFuel;
  store.limits().timeout = 100ms;
  Instance loop = instantiate(store, "limits_loop");
  CallResult result = loop.call("_start", {});
  ASSERT_TRUE(result.trapped());
  EXPECT_EQ(result.trap.kind, TrapKind::Deadline) << result.trap.describe();

  // The deadline belonged to that call: the next one gets a fresh limit.
  store.limits().timeout = 0ns;
  store.limits().fuel = 1000;
  CallResult next = loop.call("_start", {});
  ASSERT_TRUE(next.trapped());
  EXPECT_EQ(next.trap.kind, TrapKind::OutOfFuel) << next.trap.describe();
}

// ---- memory ------------------------------------------------------------------

TEST_F(LimitsTest, MemoryBombGetsUpToTheCapThenMinusOne) {
  Store store(engine_);
  store.limits().max_memory_bytes = kMiB;
  Instance bomb = instantiate(store, "limits_memory_bomb");
  ASSERT_EQ(bomb.memory().size(), kPageBytes);

  CallResult grown = bomb.call("grow_until_refused", {});
  ASSERT_TRUE(grown.returned()) << grown.trap.describe();
  EXPECT_EQ(grown.values.at(0).i32, kMiB / kPageBytes - 1);
  EXPECT_EQ(grown.memory_peak_bytes, kMiB);
  EXPECT_EQ(bomb.memory().size(), kMiB);

  const Value one_page[] = {Value::from_i32(1)};
  CallResult refused = bomb.call("grow", one_page);
  ASSERT_TRUE(refused.returned()) << refused.trap.describe();
  EXPECT_EQ(static_cast<int32_t>(refused.values.at(0).i32), -1);
  CallResult size = bomb.call("size", {});
  ASSERT_TRUE(size.returned());
  EXPECT_EQ(size.values.at(0).i32, kMiB / kPageBytes);
}

TEST_F(LimitsTest, InitialMemoryAboveTheCapFailsToInstantiate) {
  Module big = load("limits_big_memory");  // asks for 32 pages, 2 MiB
  Store capped(engine_);
  capped.limits().max_memory_bytes = kMiB;
  auto refused = capped.instantiate(big, Linker{});
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("memory"), std::string::npos) << refused.error().message;

  Store roomy(engine_);
  roomy.limits().max_memory_bytes = 4 * kMiB;
  auto fits = roomy.instantiate(big, Linker{});
  ASSERT_TRUE(fits.ok()) << fits.error().message;
  EXPECT_EQ(fits->memory().size(), 2 * kMiB);
}

// malloc in wasi-libc grows memory; under the cap it gets NULL and the
// program ends normally, having got most of the cap.
TEST_F(LimitsTest, CMallocBombEndsNormallyUnderTheCap) {
  Limits limits;
  limits.max_memory_bytes = 4 * kMiB;
  CommandRun run = run_command(load("limits_bomb"), limits, "");
  ASSERT_TRUE(ended_cleanly(run.result)) << run.result.trap.describe();
  EXPECT_LE(run.result.memory_peak_bytes, 4 * kMiB);

  unsigned long long allocated = 0;
  ASSERT_EQ(std::sscanf(run.out.c_str(), "allocated %llu bytes", &allocated), 1) << run.out;
  EXPECT_LE(allocated, 4 * kMiB);
  EXPECT_GE(allocated, 2 * kMiB);
}

// ---- recursion -----------------------------------------------------------------

TEST_F(LimitsTest, ModerateRecursionSucceedsUnboundedIsExhausted) {
  Store store(engine_);
  Instance recursion = instantiate(store, "limits_recursion");
  const Value moderate[] = {Value::from_i32(1000)};
  CallResult deep = recursion.call("depth", moderate);
  ASSERT_TRUE(deep.returned()) << deep.trap.describe();
  EXPECT_EQ(deep.values.at(0).i32, 1000u);

  const Value unbounded[] = {Value::from_i32(-1)};
  CallResult exhausted = recursion.call("depth", unbounded);
  ASSERT_TRUE(exhausted.trapped());
  EXPECT_EQ(exhausted.trap.kind, TrapKind::CallStackExhausted) << exhausted.trap.describe();

  CallResult again = recursion.call("depth", moderate);
  ASSERT_TRUE(again.returned()) << again.trap.describe();
  EXPECT_EQ(again.values.at(0).i32, 1000u);
}

// ---- deterministic fuel ----------------------------------------------------------

TEST_F(LimitsTest, SameInputUsesTheSameFuelEveryRun) {
  Module steps = load("limits_steps");
  CommandRun first = run_command(steps, Limits{}, "20\n");
  ASSERT_TRUE(ended_cleanly(first.result)) << first.result.trap.describe();
  ASSERT_GT(first.result.fuel_used, 0u);
  for (int run = 1; run < 5; ++run) {
    CommandRun again = run_command(steps, Limits{}, "20\n");
    EXPECT_EQ(again.result.fuel_used, first.result.fuel_used) << "run " << run;
    EXPECT_EQ(again.out, first.out) << "run " << run;
  }
  CommandRun longer = run_command(steps, Limits{}, "21\n");
  EXPECT_GT(longer.result.fuel_used, first.result.fuel_used);
}

TEST_F(LimitsTest, TooSmallBudgetTrapsAtTheSamePointEveryRun) {
  Module steps = load("limits_steps");
  CommandRun full = run_command(steps, Limits{}, "20\n");
  ASSERT_TRUE(ended_cleanly(full.result)) << full.result.trap.describe();

  Limits half;
  half.fuel = full.result.fuel_used / 2;
  CommandRun first = run_command(steps, half, "20\n");
  ASSERT_TRUE(first.result.trapped());
  EXPECT_EQ(first.result.trap.kind, TrapKind::OutOfFuel) << first.result.trap.describe();
  EXPECT_FALSE(first.out.empty()) << "half the fuel should get through some rounds";
  EXPECT_LT(first.out.size(), full.out.size());
  EXPECT_EQ(full.out.compare(0, first.out.size(), first.out), 0) << "output so far is a prefix of the full output";
  for (int run = 1; run < 5; ++run) {
    CommandRun again = run_command(steps, half, "20\n");
    EXPECT_EQ(again.result.fuel_used, first.result.fuel_used) << "run " << run;
    EXPECT_EQ(again.out, first.out) << "run " << run;
  }
}

// With a deadline the meter refills in short slices; where fuel runs out must
// not depend on that.
TEST_F(LimitsTest, DeadlineSlicingDoesNotMoveTheOutOfFuelPoint) {
  Module steps = load("limits_steps");
  CommandRun full = run_command(steps, Limits{}, "20\n");
  ASSERT_TRUE(ended_cleanly(full.result)) << full.result.trap.describe();
  Limits budget_only;
  budget_only.fuel = full.result.fuel_used / 2;
  Limits with_deadline = budget_only;
  with_deadline.timeout = 60s;
  CommandRun plain = run_command(steps, budget_only, "20\n");
  CommandRun sliced = run_command(steps, with_deadline, "20\n");
  ASSERT_TRUE(plain.result.trapped());
  ASSERT_TRUE(sliced.result.trapped());
  EXPECT_EQ(plain.result.trap.kind, TrapKind::OutOfFuel);
  EXPECT_EQ(sliced.result.trap.kind, TrapKind::OutOfFuel);
  EXPECT_EQ(sliced.result.fuel_used, plain.result.fuel_used);
  EXPECT_EQ(sliced.out, plain.out);
}

// ---- the kiln command --------------------------------------------------------------

// kiln's own errors are one line on stderr.
testing::AssertionResult one_line_naming(const std::string& err, const std::string& what) {
  if (err.empty() || err.back() != '\n' || err.find('\n') != err.size() - 1)
    return testing::AssertionFailure() << "stderr is not exactly one line: " << err;
  if (err.find(what) == std::string::npos)
    return testing::AssertionFailure() << "stderr does not name " << what << ": " << err;
  return testing::AssertionSuccess();
}

TEST(LimitsCliTest, OutOfFuelExits11) {
  auto run = test::run_kiln({"run", "--backend", "interp", "--fuel", "1000", test::guest_path("limits_loop")});
  EXPECT_EQ(run.exit_code, cli::kExitOutOfFuel) << run.err;
  EXPECT_TRUE(one_line_naming(run.err, "out of fuel"));
}

TEST(LimitsCliTest, TimeoutExits12) {
  auto run = test::run_kiln({"run", "--timeout", "200ms", test::guest_path("limits_loop")});
  EXPECT_EQ(run.exit_code, cli::kExitDeadline) << run.err;
  EXPECT_TRUE(one_line_naming(run.err, "deadline"));
}

TEST(LimitsCliTest, TrapExits10) {
  auto run = test::run_kiln({"run", test::guest_path("trap_in_main")});
  EXPECT_EQ(run.exit_code, cli::kExitTrap) << run.err;
  EXPECT_TRUE(one_line_naming(run.err, "integer divide by zero"));
}

// The same limits stop the same loop on the aot backend.
TEST(LimitsCliTest, AotBackendHonoursFuel) {
  auto run = test::run_kiln({"run", "--backend", "aot", "--fuel", "1000", test::guest_path("limits_loop")});
  EXPECT_EQ(run.exit_code, cli::kExitOutOfFuel) << run.err;
  EXPECT_TRUE(one_line_naming(run.err, "out of fuel"));
}

TEST(LimitsCliTest, MalformedModuleExits4NamingTheOffset) {
  // A type section that promises 5 bytes and ends after 2.
  const std::string bytes("\0asm\1\0\0\0\1\5\1\x60", 12);
  const std::string path = testing::TempDir() + "kiln_limits_malformed.wasm";
  std::ofstream(path, std::ios::binary) << bytes;
  auto run = test::run_kiln({"run", path});
  EXPECT_EQ(run.exit_code, cli::kExitInvalidModule) << run.err;
  EXPECT_TRUE(one_line_naming(run.err, "offset"));
  std::remove(path.c_str());
}

}  // namespace
}  // namespace kiln
