// Linking module to module (issue 17, item 1): a module whose memory and
// functions all come from another instance in the same Store, as a Javy
// function imports its QuickJS provider. On both backends: the two
// instances share the bytes, a call crossing from one to the other is
// metered against one budget, and the Store's limits stop either side.
#include <gtest/gtest.h>

#include "embedding_test_support.h"
#include "kiln/instance.h"
#include "kiln/instance_pool.h"
#include "kiln/linker.h"
#include "kiln/store.h"

namespace kiln::test {
namespace {

class InstanceLinking : public OnEachBackend {
 protected:
  // The library instantiated first, then the user linked to its exports.
  struct Linked {
    Instance library;
    Instance user;
  };

  Linked link(Store& store) {
    auto library = store.instantiate(load_guest("linked_library"), Linker{});
    if (!library.ok()) throw std::runtime_error(library.error().message);
    Linker linker;
    linker.define_instance("library", *library);
    auto user = store.instantiate(load_guest("linked_user"), linker);
    if (!user.ok()) throw std::runtime_error(user.error().message);
    return {*library, *user};
  }
};

TEST_P(InstanceLinking, TheImporterWritesMemoryTheLibraryReads) {
  Store store(engine_);
  Linked linked = link(store);
  Value n[] = {Value::from_i32(10)};
  CallResult result = linked.user.call("sum_to", n);
  ASSERT_TRUE(result.returned()) << result.trap.describe() << result.error;
  EXPECT_EQ(result.values[0].i32, 55u);  // 1 + 2 + ... + 10, added up by the library
  // The bytes are in the library's memory: it allocated them at 1024.
  EXPECT_EQ(linked.library.memory()[1024], 1);
  EXPECT_EQ(linked.library.memory()[1033], 10);
  EXPECT_EQ(linked.user.memory().data(), linked.library.memory().data());
}

TEST_P(InstanceLinking, GrowingTheSharedMemoryIsSeenByBoth) {
  Store store(engine_);
  Linked linked = link(store);
  Value one[] = {Value::from_i32(1)};
  CallResult grown = linked.user.call("grow", one);
  ASSERT_TRUE(grown.returned());
  EXPECT_EQ(grown.values[0].i32, 1u);
  EXPECT_EQ(linked.library.memory().size(), 2u * 65536);
  // The library's declared maximum (4 pages) holds for the importer too.
  Value four[] = {Value::from_i32(4)};
  EXPECT_EQ(static_cast<int32_t>(linked.user.call("grow", four).values[0].i32), -1);
}

TEST_P(InstanceLinking, FuelCountsTheWorkOfBothInstances) {
  Store store(engine_);
  Linked linked = link(store);
  Value small[] = {Value::from_i32(10)};
  Value large[] = {Value::from_i32(1000)};
  uint64_t fuel_small = linked.user.call("sum_to", small).fuel_used;
  uint64_t fuel_large = linked.user.call("sum_to", large).fuel_used;
  // Both loops (the user's fill, the library's sum) run n times: the
  // difference is the library's work as much as the user's.
  EXPECT_GT(fuel_large, fuel_small + 990 * 2 * 5) << fuel_small << " " << fuel_large;
}

TEST_P(InstanceLinking, FuelRunsOutInsideTheLibrary) {
  Store store(engine_);
  Linked linked = link(store);
  store.limits().fuel = 100000;
  CallResult result = linked.user.call("spin", {});
  ASSERT_TRUE(result.trapped());
  EXPECT_EQ(result.trap.kind, TrapKind::OutOfFuel) << result.trap.describe();
  // The Store carries on: the next call runs under a fresh budget.
  Value n[] = {Value::from_i32(3)};
  CallResult after = linked.user.call("sum_to", n);
  ASSERT_TRUE(after.returned());
  EXPECT_EQ(after.values[0].i32, 6u);
}

TEST_P(InstanceLinking, TheDeadlineStopsACallIntoTheLibrary) {
  Store store(engine_);
  Linked linked = link(store);
  store.limits().timeout = std::chrono::milliseconds(50);
  CallResult result = linked.user.call("spin", {});
  ASSERT_TRUE(result.trapped());
  EXPECT_EQ(result.trap.kind, TrapKind::Deadline) << result.trap.describe();
}

TEST_P(InstanceLinking, TheMemoryLimitAppliesToTheSharedMemory) {
  Store store(engine_);
  // Set before the library makes the memory: the cap is the memory's own.
  store.limits().max_memory_bytes = 2 * 65536;
  Linked linked = link(store);
  Value one[] = {Value::from_i32(1)};
  EXPECT_EQ(linked.user.call("grow", one).values[0].i32, 1u);
  EXPECT_EQ(static_cast<int32_t>(linked.user.call("grow", one).values[0].i32), -1);
}

TEST_P(InstanceLinking, AMissingLibraryExportIsNamed) {
  Store store(engine_);
  auto refused = store.instantiate(load_guest("linked_user"), Linker{});
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("library."), std::string::npos) << refused.error().message;
}

// An instance's exports are handles into its own Store: linking them into
// another Store's instance is refused, never a dangling handle.
TEST_P(InstanceLinking, AnotherStoresInstanceIsRefused) {
  Store owner(engine_);
  auto library = owner.instantiate(load_guest("linked_library"), Linker{});
  ASSERT_TRUE(library.ok()) << library.error().message;
  Linker linker;
  linker.define_instance("library", *library);
  Store other(engine_);
  auto refused = other.instantiate(load_guest("linked_user"), linker);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().kind, ErrorKind::Link);
  EXPECT_NE(refused.error().message.find("another Store"), std::string::npos) << refused.error().message;
  EXPECT_TRUE(owner.instantiate(load_guest("linked_user"), linker).ok());
}

// Pooled together (InstancePool::create with `instantiate`): every release
// resets the library as well as its importer, so the next tenant finds the
// allocator, the shared memory and its size as a fresh pair has them.
TEST_P(InstanceLinking, APooledPairIsResetTogether) {
  Module library_module = load_guest("linked_library");
  auto pool = InstancePool::create(
      load_guest("linked_user"), [&](Store& store, std::optional<Trap>* trap) -> Result<Instance> {
        auto library = store.instantiate(library_module, Linker{});
        if (!library.ok()) return library.error();
        Linker linker;
        linker.define_instance("library", *library);
        return store.instantiate(load_guest("linked_user"), linker, trap);
      });
  Value ten[] = {Value::from_i32(10)};
  Value one[] = {Value::from_i32(1)};
  {
    auto lease = pool->acquire();
    ASSERT_TRUE(lease.ok()) << lease.error().message;
    ASSERT_EQ(lease->linked_count(), 1u);
    Instance library = lease->linked(0);
    EXPECT_EQ(lease->instance().call("sum_to", ten).values.at(0).i32, 55u);
    EXPECT_EQ(lease->instance().call("sum_to", ten).values.at(0).i32, 55u);
    EXPECT_EQ(library.memory()[1034], 1);  // the second call's bytes, after the first's
    ASSERT_TRUE(lease->instance().call("grow", one).returned());
    EXPECT_EQ(library.memory().size(), 2u * 65536);
  }
  auto lease = pool->acquire();
  ASSERT_TRUE(lease.ok()) << lease.error().message;
  Instance library = lease->linked(0);
  EXPECT_EQ(library.memory().size(), 65536u);
  EXPECT_EQ(library.memory()[1024], 0);
  EXPECT_EQ(library.memory()[1034], 0);
  EXPECT_EQ(lease->instance().call("sum_to", ten).values.at(0).i32, 55u);
  EXPECT_EQ(library.memory()[1024], 1);  // the allocator starts over
  EXPECT_EQ(library.memory()[1034], 0);
  EXPECT_EQ(lease->instance().memory().data(), library.memory().data());

  InstancePoolStats stats = pool->stats();
  if (GetParam() == BackendKind::Aot) {
    EXPECT_EQ(stats.created, 1u);  // the same pair, reset
    EXPECT_EQ(stats.reused, 1u);
    lease->release();
    // The shared memory counted once, where it is defined.
    EXPECT_EQ(pool->stats().resident_bytes, 65536u);
  } else {
    EXPECT_EQ(stats.created, 2u);  // the interpreter cannot reset: a new pair
    EXPECT_EQ(stats.discarded, 1u);
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, InstanceLinking, ::testing::Values(BackendKind::Interp, BackendKind::Aot),
                         backend_name);

}  // namespace
}  // namespace kiln::test
