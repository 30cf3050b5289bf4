// Instance cycling (issue 11, item 4): a pool's reset is cheap because it
// keeps the memory's pages and their protection, and still gives the next
// tenant exactly a fresh instance: zero wherever the last one wrote (past
// the data segments, at the last byte, in grown pages), the data segments
// back, memory.size back to the initial size, and a trap again past it.
// On both backends (the interpreter's pool makes a new instance instead of
// resetting, with the same outcome) and for a reactor's snapshot.
//
// Whether a reset made a syscall is read from rt's counters of mprotect and
// madvise calls (process-wide; the tests of one binary run one at a time):
// none for a guest that keeps its size, some for one that grew.
#include <cstdint>
#include <vector>

#include "embedding_test_support.h"
#include "kiln/instance_pool.h"
#include "kiln/instance_pre.h"
#include "kiln/linker.h"
#include "rt/memory_pool.h"

namespace kiln {
namespace {

using test::OnEachBackend;

constexpr int32_t kPage = 65536;

class InstanceCyclingTest : public OnEachBackend {
 protected:
  std::shared_ptr<InstancePool> make_pool(const std::string& stem, InstancePoolConfig config = {}) {
    auto pre = InstancePre::create(load_guest(stem), Linker{});
    if (!pre.ok()) throw std::runtime_error(pre.error().message);
    return InstancePool::create(*pre, std::move(config));
  }

  static int32_t call_i32(Instance& instance, const char* name, std::vector<Value> args = {}) {
    CallResult result = instance.call(name, args);
    EXPECT_TRUE(result.returned()) << name << ": " << result.trap.describe() << result.error;
    return result.returned() ? static_cast<int32_t>(result.values.at(0).i32) : -1;
  }

  static void store(Instance& instance, int32_t address, int32_t byte) {
    CallResult result = instance.call("store", std::vector{Value::from_i32(address), Value::from_i32(byte)});
    ASSERT_TRUE(result.returned()) << "store at " << address << ": " << result.trap.describe() << result.error;
  }

  static std::optional<TrapKind> load_trap(Instance& instance, int32_t address) {
    CallResult result = instance.call("load", std::vector{Value::from_i32(address)});
    if (result.returned()) return std::nullopt;
    return result.trap.kind;
  }

  static std::vector<uint8_t> memory_of(Instance& instance) {
    return {instance.memory().begin(), instance.memory().end()};
  }

  static uint64_t protection_changes() { return rt::memory_pool_stats().protection_changes; }
  static uint64_t dropped_ranges() { return rt::memory_pool_stats().dropped_ranges; }
  // Only AOT memories live in rt's pool; the interpreter keeps its own.
  bool counts_syscalls() const { return GetParam() == BackendKind::Aot; }
};

// The tenant writes past the data segment, over it, and at the last byte;
// the next one sees the fresh memory byte for byte.
TEST_P(InstanceCyclingTest, AResetZeroesEveryWriteAndRestoresTheDataSegment) {
  auto pool = make_pool("cycling");
  std::vector<uint8_t> fresh;
  {
    auto lease = pool->acquire();
    ASSERT_TRUE(lease.ok()) << lease.error().message;
    fresh = memory_of(lease->instance());
    ASSERT_EQ(fresh.size(), size_t{kPage});
    EXPECT_EQ(fresh[16], 'k');
    store(lease->instance(), 16, 'X');
    store(lease->instance(), 4096, 0x5e);
    store(lease->instance(), kPage - 1, 0xff);
  }
  auto lease = pool->acquire();
  ASSERT_TRUE(lease.ok()) << lease.error().message;
  if (GetParam() == BackendKind::Aot) EXPECT_EQ(pool->stats().created, 1u) << "the instance was reused";
  EXPECT_EQ(call_i32(lease->instance(), "load", {Value::from_i32(16)}), 'k');
  EXPECT_EQ(call_i32(lease->instance(), "load", {Value::from_i32(4096)}), 0);
  EXPECT_EQ(call_i32(lease->instance(), "load", {Value::from_i32(kPage - 1)}), 0);
  EXPECT_EQ(memory_of(lease->instance()), fresh);
}

// A tenant that grew the memory and wrote in the grown pages: the next one
// has the initial size, traps past it, and grows into zeroed pages.
TEST_P(InstanceCyclingTest, AGrownInstanceComesBackAtItsInitialSizeAndTrapsPastIt) {
  auto pool = make_pool("cycling");
  for (int tenant = 0; tenant < 3; ++tenant) {
    auto lease = pool->acquire();
    ASSERT_TRUE(lease.ok()) << lease.error().message;
    Instance& instance = lease->instance();
    EXPECT_EQ(call_i32(instance, "size"), 1) << "tenant " << tenant;
    EXPECT_EQ(load_trap(instance, kPage), TrapKind::MemoryOutOfBounds) << "tenant " << tenant;
    EXPECT_EQ(load_trap(instance, 3 * kPage - 1), TrapKind::MemoryOutOfBounds) << "tenant " << tenant;
    ASSERT_EQ(call_i32(instance, "grow", {Value::from_i32(2)}), 1);
    EXPECT_EQ(call_i32(instance, "load", {Value::from_i32(kPage)}), 0) << "tenant " << tenant;
    EXPECT_EQ(call_i32(instance, "load", {Value::from_i32(3 * kPage - 1)}), 0) << "tenant " << tenant;
    store(instance, kPage, 1);
    store(instance, 3 * kPage - 1, 2);
    store(instance, kPage - 1, 3);
  }
  if (GetParam() == BackendKind::Aot) EXPECT_EQ(pool->stats().created, 1u);
}

// Only AOT memories live in rt's pool (the interpreter keeps its own), so
// the syscall counts are the AOT backend's.
class AotInstanceCyclingTest : public InstanceCyclingTest {};

TEST_P(AotInstanceCyclingTest, AGuestThatKeepsItsSizeIsResetWithoutASyscall) {
  auto pool = make_pool("cycling");
  {
    auto lease = pool->acquire();  // the first instance maps its memory
    ASSERT_TRUE(lease.ok()) << lease.error().message;
  }
  const uint64_t protections = protection_changes();
  const uint64_t drops = dropped_ranges();
  for (int tenant = 0; tenant < 20; ++tenant) {
    auto lease = pool->acquire();
    ASSERT_TRUE(lease.ok()) << lease.error().message;
    store(lease->instance(), kPage - 1, tenant + 1);
    store(lease->instance(), tenant * 64, 0x77);
  }
  EXPECT_EQ(protection_changes(), protections) << "a reset at the same size changed page protection";
  EXPECT_EQ(dropped_ranges(), drops) << "a reset of a 1-page memory dropped pages";
  EXPECT_EQ(pool->stats().created, 1u);
}

// Guard-page code has no bounds check of its own: pages a tenant grew must
// lose their access again, one mprotect per such reset.
TEST_P(AotInstanceCyclingTest, AGuestThatGrowsCostsAProtectionChangePerReset) {
  auto pool = make_pool("cycling");
  const uint64_t before = protection_changes();
  for (int tenant = 0; tenant < 3; ++tenant) {
    auto lease = pool->acquire();
    ASSERT_TRUE(lease.ok()) << lease.error().message;
    ASSERT_EQ(call_i32(lease->instance(), "grow", {Value::from_i32(1)}), 1);
  }
  EXPECT_GT(protection_changes(), before);
}

// A reactor's snapshot holds a memory `_initialize` grew: a reset gives it
// back at that size (memory.size is the snapshot's), with what
// `_initialize` wrote, zero elsewhere, trapping past it, and with no
// syscall as long as the tenant did not grow it further.
TEST_P(InstanceCyclingTest, ASnapshotResetKeepsTheInitializedSizeWithoutASyscall) {
  InstancePoolConfig config;
  config.reactor_reset = InstancePoolConfig::ReactorReset::Snapshot;
  auto pool = make_pool("cycling_reactor", config);
  std::vector<uint8_t> initialized;
  {
    auto lease = pool->acquire();
    ASSERT_TRUE(lease.ok()) << lease.error().message;
    initialized = memory_of(lease->instance());
    ASSERT_EQ(initialized.size(), size_t{2 * kPage});
    EXPECT_EQ(initialized[70000], 7);
  }
  const uint64_t protections = protection_changes();
  for (int tenant = 0; tenant < 5; ++tenant) {
    auto lease = pool->acquire();
    ASSERT_TRUE(lease.ok()) << lease.error().message;
    Instance& instance = lease->instance();
    EXPECT_EQ(call_i32(instance, "size"), 2) << "tenant " << tenant;
    EXPECT_EQ(memory_of(instance), initialized) << "tenant " << tenant;
    EXPECT_EQ(load_trap(instance, 2 * kPage), TrapKind::MemoryOutOfBounds) << "tenant " << tenant;
    store(instance, 16, 'X');
    store(instance, 70000, 0);
    store(instance, 2 * kPage - 1, 9);
  }
  if (counts_syscalls()) {
    EXPECT_EQ(protection_changes(), protections) << "a snapshot reset shrank and regrew the memory";
    EXPECT_EQ(pool->stats().created, 1u);
    EXPECT_EQ(pool->stats().initialized, 1u) << "_initialize ran once";
  }
}

// A tenant that grows a snapshotted reactor past the snapshot's size: the
// next tenant has the snapshot's size again and traps past it.
TEST_P(InstanceCyclingTest, ASnapshotResetAfterAGrowTrapsPastTheSnapshotSize) {
  InstancePoolConfig config;
  config.reactor_reset = InstancePoolConfig::ReactorReset::Snapshot;
  auto pool = make_pool("cycling_reactor", config);
  const uint64_t before = protection_changes();
  for (int tenant = 0; tenant < 3; ++tenant) {
    auto lease = pool->acquire();
    ASSERT_TRUE(lease.ok()) << lease.error().message;
    Instance& instance = lease->instance();
    EXPECT_EQ(call_i32(instance, "size"), 2) << "tenant " << tenant;
    EXPECT_EQ(load_trap(instance, 2 * kPage), TrapKind::MemoryOutOfBounds) << "tenant " << tenant;
    EXPECT_EQ(call_i32(instance, "load", {Value::from_i32(70000)}), 7) << "tenant " << tenant;
    ASSERT_EQ(call_i32(instance, "grow", {Value::from_i32(1)}), 2);
    EXPECT_EQ(call_i32(instance, "load", {Value::from_i32(3 * kPage - 1)}), 0) << "tenant " << tenant;
    store(instance, 3 * kPage - 1, 5);
  }
  if (counts_syscalls()) EXPECT_GT(protection_changes(), before);
}

INSTANTIATE_TEST_SUITE_P(Backends, InstanceCyclingTest, ::testing::Values(BackendKind::Interp, BackendKind::Aot),
                         test::backend_name);
INSTANTIATE_TEST_SUITE_P(Aot, AotInstanceCyclingTest, ::testing::Values(BackendKind::Aot), test::backend_name);

}  // namespace
}  // namespace kiln
