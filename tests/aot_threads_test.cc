// Traps through the public API on several threads at once: each of 4 threads
// takes 1,000 out-of-bounds traps and 1,000 call stack exhaustions in its own
// Store, then a normal call still succeeds.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "kiln/instance.h"
#include "kiln/linker.h"
#include "kiln/module.h"
#include "kiln/store.h"
#include "tests/aot_test_support.h"
#include "tests/test_support.h"

namespace kiln {
namespace {

TEST(AotThreads, ThousandsOfTrapsOnFourThreads) {
  Engine engine = test::make_engine(BackendKind::Aot);
  auto traps = Module::from_file(engine, test::guest_path("trap_kinds"));
  auto recursion = Module::from_file(engine, test::guest_path("limits_recursion"));
  ASSERT_TRUE(traps.ok()) << traps.error().message;
  ASSERT_TRUE(recursion.ok()) << recursion.error().message;
  std::atomic<int> oob{0}, exhausted{0}, answered{0}, wrong{0};
  auto worker = [&] {
    Store store(engine);
    auto a = store.instantiate(*traps, Linker());
    auto b = store.instantiate(*recursion, Linker());
    if (!a.ok() || !b.ok()) {
      ++wrong;
      return;
    }
    for (int i = 0; i < 1000; ++i) {
      CallResult r = a->call("load_out_of_bounds", {});
      if (r.trapped() && r.trap.kind == TrapKind::MemoryOutOfBounds) ++oob; else ++wrong;
      CallResult s = b->call("depth", std::vector<Value>{Value::from_i32(-1)});
      if (s.trapped() && s.trap.kind == TrapKind::CallStackExhausted) ++exhausted; else ++wrong;
    }
    CallResult ok = a->call("answer", {});
    if (ok.returned() && ok.values.at(0).i32 == 42) ++answered; else ++wrong;
    CallResult deep = b->call("depth", std::vector<Value>{Value::from_i32(1000)});
    if (!deep.returned() || deep.values.at(0).i32 != 1000) ++wrong;
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) threads.emplace_back(worker);
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_EQ(oob.load(), 4000);
  EXPECT_EQ(exhausted.load(), 4000);
  EXPECT_EQ(answered.load(), 4);
}

TEST(AotCli, RunsACGuest) {
  auto result = test::run_kiln({"run", "--backend", "aot", std::string(KILN_EXAMPLES_DIR) + "/hello.wasm"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find("hello"), std::string::npos) << result.out;
  auto upper = test::run_kiln({"run", "--backend", "aot", test::guest_path("wasi_upper")}, "make me loud\n");
  EXPECT_EQ(upper.exit_code, 0) << upper.err;
  EXPECT_EQ(upper.out, "MAKE ME LOUD\n");
}

}  // namespace
}  // namespace kiln
