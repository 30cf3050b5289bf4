// Instance pools: a returned instance is reset to exactly what a fresh
// instantiation gives, one tenant never sees another's state, and the pool
// stays within its bounds.
#include <cstring>
#include <thread>
#include <vector>

#include "embedding_test_support.h"
#include "kiln/wasi.h"
#include "kiln/instance_pool.h"
#include "kiln/instance_pre.h"
#include "kiln/linker.h"
#include "kiln/store.h"

namespace kiln {
namespace {

using test::OnEachBackend;

class InstancePoolTest : public OnEachBackend {
 protected:
  std::shared_ptr<InstancePool> make_pool(const std::string& stem, InstancePoolConfig config = {}) {
    Linker linker;
    host::add_wasi(linker);
    auto pre = InstancePre::create(load_guest(stem), linker);
    if (!pre.ok()) throw std::runtime_error(pre.error().message);
    return InstancePool::create(*pre, std::move(config));
  }

  static int32_t call_i32(Instance& instance, const char* name, std::vector<Value> args = {}) {
    CallResult result = instance.call(name, args);
    EXPECT_TRUE(result.returned()) << name << ": " << result.trap.describe() << result.error;
    return result.returned() ? static_cast<int32_t>(result.values.at(0).i32) : -1;
  }
};

TEST_P(InstancePoolTest, ASecondTenantSeesInitialMemoryGlobalsAndTables) {
  auto pool = make_pool("pool_tenant");
  std::vector<uint8_t> fresh_memory;
  {
    auto lease = pool->acquire();
    ASSERT_TRUE(lease.ok()) << lease.error().message;
    Instance& tenant1 = lease->instance();
    fresh_memory.assign(tenant1.memory().begin(), tenant1.memory().end());
    EXPECT_EQ(call_i32(tenant1, "started"), 1);

    ASSERT_TRUE(tenant1.call("write_secret", std::vector{Value::from_i32(0x5ec7e7)}).returned());
    EXPECT_EQ(call_i32(tenant1, "load", {Value::from_i32(16)}), 0x5ec7e7);
    EXPECT_EQ(call_i32(tenant1, "load", {Value::from_i32(70000)}), 0x5ec7e7);
    EXPECT_EQ(call_i32(tenant1, "global"), 0x5ec7e7);
    EXPECT_EQ(call_i32(tenant1, "slot_is_null", {Value::from_i32(1)}), 0);
    EXPECT_EQ(call_i32(tenant1, "pages"), 2);
  }
  auto lease = pool->acquire();
  ASSERT_TRUE(lease.ok()) << lease.error().message;
  Instance& tenant2 = lease->instance();
  // The data segment is back, the rest of memory is zero again, memory is
  // one page again, the global and the table slot hold their initial values
  // and the start function ran once for this tenant.
  EXPECT_EQ(call_i32(tenant2, "pages"), 1);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(tenant2.memory().data()) + 16, 7), "initial");
  EXPECT_EQ(call_i32(tenant2, "load", {Value::from_i32(60000)}), 0);
  EXPECT_EQ(call_i32(tenant2, "global"), 7);
  EXPECT_EQ(call_i32(tenant2, "slot_is_null", {Value::from_i32(1)}), 1);
  EXPECT_EQ(call_i32(tenant2, "started"), 1);
  // Byte for byte what a fresh instance had.
  ASSERT_EQ(tenant2.memory().size(), fresh_memory.size());
  EXPECT_EQ(std::memcmp(tenant2.memory().data(), fresh_memory.data(), fresh_memory.size()), 0);

  InstancePoolStats stats = pool->stats();
  EXPECT_EQ(stats.leased, 1u);
  if (GetParam() == BackendKind::Aot) {
    EXPECT_EQ(stats.created, 1u);  // the same instance, reset
    EXPECT_EQ(stats.reused, 1u);
  } else {
    EXPECT_EQ(stats.created, 2u);  // the interpreter cannot reset: a new one
    EXPECT_EQ(stats.discarded, 1u);
  }
}

TEST_P(InstancePoolTest, AReactorIsInitializedAgainAndItsHeapStateIsGone) {
  auto pool = make_pool("reactor_text");
  std::string note = "tenant one's secret";
  {
    auto lease = pool->acquire();
    ASSERT_TRUE(lease.ok()) << lease.error().message;
    Instance& instance = lease->instance();
    EXPECT_EQ(call_i32(instance, "initialized_count"), 1);
    auto input = instance.write_input(std::span(reinterpret_cast<const uint8_t*>(note.data()), note.size()));
    ASSERT_TRUE(input.ok()) << input.error().message;
    ASSERT_TRUE(instance.call("remember", std::vector{Value::from_i32(input->offset),
                                                      Value::from_i32(input->length)}).returned());
  }
  auto lease = pool->acquire();
  ASSERT_TRUE(lease.ok());
  Instance& instance = lease->instance();
  EXPECT_EQ(call_i32(instance, "initialized_count"), 1);  // run again, once
  CallResult recalled = instance.call("recall", {});
  ASSERT_TRUE(recalled.returned());
  EXPECT_EQ(recalled.values[0].i64 & 0xffffffff, 0u);  // nothing remembered
  std::string_view memory(reinterpret_cast<const char*>(instance.memory().data()), instance.memory().size());
  EXPECT_EQ(memory.find("secret"), std::string_view::npos);
}

TEST_P(InstancePoolTest, LimitsAndHostStateAreRestoredBetweenTenants) {
  InstancePoolConfig config;
  config.limits.fuel = 1'000'000;
  int prepared = 0;
  config.on_acquire = [&](Store& store) {
    ++prepared;
    host::WasiConfig wasi;
    wasi.args = {"tenant"};
    host::attach_wasi(store, std::make_shared<host::WasiContext>(wasi));
  };
  auto pool = make_pool("reactor_text", config);
  {
    auto lease = pool->acquire();
    ASSERT_TRUE(lease.ok());
    lease->store().limits().fuel = 10;
    CallResult starved = lease->instance().call("say", std::vector{Value::from_i32(1)});
    ASSERT_TRUE(starved.trapped());
    EXPECT_EQ(starved.trap.kind, TrapKind::OutOfFuel);
  }
  auto lease = pool->acquire();
  ASSERT_TRUE(lease.ok());
  EXPECT_EQ(lease->store().limits().fuel, 1'000'000u);
  CallResult said = lease->instance().call("say", std::vector{Value::from_i32(2)});
  ASSERT_TRUE(said.returned()) << said.trap.describe();
  EXPECT_EQ(said.stdout_bytes, "call 2\n");
  EXPECT_EQ(prepared, 2);
}

TEST_P(InstancePoolTest, StaysWithinItsInstanceBound) {
  InstancePoolConfig config;
  config.max_instances = 2;
  auto pool = make_pool("pool_tenant", config);
  auto a = pool->acquire();
  auto b = pool->acquire();
  ASSERT_TRUE(a.ok() && b.ok());
  auto c = pool->acquire();
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message.find("pool exhausted"), std::string::npos) << c.error().message;
  EXPECT_EQ(c.error().kind, ErrorKind::PoolExhausted);
  a->release();
  auto d = pool->acquire();
  EXPECT_TRUE(d.ok());
  EXPECT_EQ(pool->stats().leased, 2u);
}

TEST_P(InstancePoolTest, KeepsNoMoreIdleMemoryThanItsCap) {
  InstancePoolConfig config;
  config.max_resident_bytes = 65536;  // one idle 1-page instance
  auto pool = make_pool("pool_tenant", config);
  {
    auto a = pool->acquire();
    auto b = pool->acquire();
    ASSERT_TRUE(a.ok() && b.ok());
  }
  InstancePoolStats stats = pool->stats();
  EXPECT_LE(stats.resident_bytes, 65536u);
  EXPECT_LE(stats.idle, 1u);
  EXPECT_GE(stats.discarded, 1u);
}

TEST_P(InstancePoolTest, ManyThreadsShareOnePool) {
  InstancePoolConfig config;
  config.max_instances = 8;
  auto pool = make_pool("pool_tenant", config);
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        auto lease = pool->acquire();
        if (!lease.ok()) { ++wrong; continue; }
        Instance& instance = lease->instance();
        // Each tenant finds the initial global, then leaves its own mark.
        CallResult before = instance.call("global", {});
        if (!before.returned() || before.values[0].i32 != 7) ++wrong;
        instance.call("write_secret", std::vector{Value::from_i32(t * 1000 + i)});
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_EQ(pool->stats().leased, 0u);
}

INSTANTIATE_TEST_SUITE_P(Backends, InstancePoolTest, ::testing::Values(BackendKind::Interp, BackendKind::Aot),
                         test::backend_name);

}  // namespace
}  // namespace kiln
