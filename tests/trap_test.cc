// Every kind of trap a guest can hit comes back as an ordinary CallResult
// carrying that TrapKind and a message, and the host carries on: the same
// instance answers a normal call right after, on one thread or on four.
#include <gtest/gtest.h>

#include <iterator>
#include <ostream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "kiln/engine.h"
#include "kiln/instance.h"
#include "kiln/linker.h"
#include "kiln/module.h"
#include "kiln/store.h"
#include "tests/test_support.h"

namespace kiln {
namespace {

struct TrapCase {
  const char* export_name;  // in tests/guests/trap_kinds.wat
  TrapKind kind;
};

// So that test names and failures show the export, not the struct's bytes.
void PrintTo(const TrapCase& c, std::ostream* os) { *os << c.export_name; }

// Float-to-int conversion of an out-of-range value is "integer overflow" in
// the WebAssembly spec (conversions.wast); only NaN is "invalid conversion".
const TrapCase kTrapCases[] = {
    {"unreachable", TrapKind::Unreachable},
    {"load_out_of_bounds", TrapKind::MemoryOutOfBounds},
    {"store_out_of_bounds", TrapKind::MemoryOutOfBounds},
    {"fill_out_of_bounds", TrapKind::MemoryOutOfBounds},
    {"copy_out_of_bounds", TrapKind::MemoryOutOfBounds},
    {"table_out_of_bounds", TrapKind::TableOutOfBounds},
    {"divide_by_zero", TrapKind::IntegerDivideByZero},
    {"remainder_by_zero", TrapKind::IntegerDivideByZero},
    {"integer_overflow", TrapKind::IntegerOverflow},
    {"convert_nan", TrapKind::InvalidConversion},
    {"convert_too_large", TrapKind::IntegerOverflow},
    {"recurse_forever", TrapKind::CallStackExhausted},
    {"indirect_type_mismatch", TrapKind::IndirectCallTypeMismatch},
    {"indirect_null", TrapKind::IndirectCallNull},
};

Engine make_engine() {
  auto engine = Engine::create();
  if (!engine.ok()) throw std::runtime_error(engine.error().message);
  return std::move(engine).value();
}

Module load_trap_module(const Engine& engine) {
  auto module = Module::from_file(engine, test::guest_path("trap_kinds"));
  if (!module.ok()) throw std::runtime_error(module.error().message);
  return std::move(module).value();
}

Instance instantiate(Store& store, const Module& module) {
  auto instance = store.instantiate(module, Linker{});
  if (!instance.ok()) throw std::runtime_error(instance.error().message);
  return instance.value();
}

// A call that works: `answer` goes through the table, so it also shows that a
// trap left the table and the instance intact.
testing::AssertionResult answers_normally(const Instance& instance) {
  CallResult result = instance.call("answer", {});
  if (!result.returned()) return testing::AssertionFailure() << "answer did not return: " << result.trap.describe();
  if (result.values.size() != 1 || result.values[0].i32 != 42)
    return testing::AssertionFailure() << "answer returned the wrong value";
  return testing::AssertionSuccess();
}

class TrapKindTest : public testing::TestWithParam<TrapCase> {
 protected:
  Engine engine_ = make_engine();
  Module module_ = load_trap_module(engine_);
  Store store_{engine_};
  Instance instance_ = instantiate(store_, module_);
};

TEST_P(TrapKindTest, ComesBackAsTrapOfItsKind) {
  CallResult result = instance_.call(GetParam().export_name, {});
  ASSERT_EQ(result.status, CallResult::Status::Trapped) << result.error;
  EXPECT_EQ(result.trap.kind, GetParam().kind) << result.trap.describe();
  EXPECT_FALSE(result.trap.message.empty());
  EXPECT_NE(result.trap.describe().find(to_string(GetParam().kind)), std::string::npos) << result.trap.describe();
}

TEST_P(TrapKindTest, SameInstanceAnswersAfterwards) {
  ASSERT_TRUE(instance_.call(GetParam().export_name, {}).trapped());
  EXPECT_TRUE(answers_normally(instance_));
  EXPECT_TRUE(instance_.call(GetParam().export_name, {}).trapped()) << "a second trap of the same kind";
  EXPECT_TRUE(answers_normally(instance_));
}

INSTANTIATE_TEST_SUITE_P(AllKinds, TrapKindTest, testing::ValuesIn(kTrapCases),
                         [](const testing::TestParamInfo<TrapCase>& info) { return info.param.export_name; });

TEST(TrapTest, EveryKindInARowThenANormalCall) {
  Engine engine = make_engine();
  Module module = load_trap_module(engine);
  Store store(engine);
  Instance instance = instantiate(store, module);
  for (const TrapCase& c : kTrapCases) {
    CallResult result = instance.call(c.export_name, {});
    ASSERT_TRUE(result.trapped()) << c.export_name;
    EXPECT_EQ(result.trap.kind, c.kind) << c.export_name << ": " << result.trap.describe();
  }
  EXPECT_TRUE(answers_normally(instance));
}

TEST(TrapTest, TrapInStartFunctionFailsInstantiationAndStoreCarriesOn) {
  Engine engine = make_engine();
  auto module = Module::from_file(engine, test::guest_path("trap_in_start"));
  ASSERT_TRUE(module.ok()) << module.error().message;
  Store store(engine);
  auto failed = store.instantiate(*module, Linker{});
  ASSERT_FALSE(failed.ok());
  EXPECT_NE(failed.error().message.find("unreachable"), std::string::npos) << failed.error().message;

  Instance instance = instantiate(store, load_trap_module(engine));
  EXPECT_TRUE(answers_normally(instance));
}

// Each thread has its own Store and shares one Module; trap state belongs to
// the call, so every thread sees exactly the kind its own call hit.
struct ThreadReport {
  int wrong_outcomes = 0;
  std::string first_problem;
  bool answered_afterwards = false;
};

ThreadReport trap_many_times(const Engine& engine, const Module& module, int traps, int offset) {
  ThreadReport report;
  Store store(engine);
  auto instantiated = store.instantiate(module, Linker{});
  if (!instantiated.ok()) {
    report.first_problem = instantiated.error().message;
    return report;
  }
  const Instance& instance = instantiated.value();
  constexpr int kCases = std::size(kTrapCases);
  for (int i = 0; i < traps; ++i) {
    const TrapCase& c = kTrapCases[(i + offset) % kCases];
    CallResult result = instance.call(c.export_name, {});
    if (result.trapped() && result.trap.kind == c.kind) continue;
    if (report.wrong_outcomes++ == 0) report.first_problem = std::string(c.export_name) + ": " + result.trap.describe();
  }
  report.answered_afterwards = answers_normally(instance);
  return report;
}

TEST(TrapTest, ThousandTrapsOnEachOfFourThreadsThenNormalCalls) {
  constexpr int kThreads = 4;
  constexpr int kTrapsPerThread = 1000;
  Engine engine = make_engine();
  Module module = load_trap_module(engine);
  std::vector<ThreadReport> reports(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] { reports[t] = trap_many_times(engine, module, kTrapsPerThread, t * 3); });
  for (std::thread& thread : threads) thread.join();

  for (int t = 0; t < kThreads; ++t) {
    EXPECT_EQ(reports[t].wrong_outcomes, 0) << "thread " << t << ", first: " << reports[t].first_problem;
    EXPECT_TRUE(reports[t].answered_afterwards) << "thread " << t << ": " << reports[t].first_problem;
  }
}

}  // namespace
}  // namespace kiln
