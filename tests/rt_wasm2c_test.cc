// A real module translated by wasm2c (rt/testdata/probe.wat, built by
// rt/CMakeLists.txt once per bounds-check mode) running on kiln's runtime:
// instantiation, data segments, growth, call_indirect and every trap the
// generated code raises.
#include <gtest/gtest.h>

#include <cstdint>
#include <mutex>

#include "probe_explicit.h"
#include "probe_guard.h"
#include "rt/guest_stack.h"
#include "rt/memory_pool.h"

namespace kiln::rt {
namespace {

#define KILN_PROBE_TRAITS(Name, prefix, oob)                                       \
  struct Name {                                                                    \
    using Instance = Z_##prefix##_instance_t;                                      \
    static constexpr TrapCode kLoadOutOfBounds = oob;                              \
    static void init_module() { Z_##prefix##_init_module(); }                      \
    static void instantiate(Instance* i) { Z_##prefix##_instantiate(i); }          \
    static void free(Instance* i) { Z_##prefix##_free(i); }                        \
    static wasm_rt_memory_t* memory(Instance* i) { return Z_##prefix##Z_memory(i); } \
    static u32 load(Instance* i, u32 a) { return Z_##prefix##Z_load(i, a); }       \
    static u32 load_far(Instance* i, u32 a) { return Z_##prefix##Z_load_far(i, a); } \
    static void store(Instance* i, u32 a, u32 v) { Z_##prefix##Z_store(i, a, v); } \
    static u32 grow(Instance* i, u32 d) { return Z_##prefix##Z_grow(i, d); }       \
    static u32 size(Instance* i) { return Z_##prefix##Z_size(i); }                 \
    static void fill(Instance* i, u32 d, u32 v, u32 n) { Z_##prefix##Z_fill(i, d, v, n); } \
    static u32 div(Instance* i, u32 a, u32 b) { return Z_##prefix##Z_div(i, a, b); } \
    static u32 call_indirect(Instance* i, u32 e, u32 a) { return Z_##prefix##Z_call_indirect(i, e, a); } \
    static u32 recurse(Instance* i, u32 a) { return Z_##prefix##Z_recurse(i, a); } \
    static void unreachable(Instance* i) { Z_##prefix##Z_unreachable(i); }         \
  }

// Guard-page code faults and the handler names the memory; explicit checks
// raise wasm2c's generic out-of-bounds code.
KILN_PROBE_TRAITS(GuardProbe, probe_guard, TrapCode::MemoryOob);
KILN_PROBE_TRAITS(ExplicitProbe, probe_explicit, TrapCode::Oob);

template <typename Probe>
class RtWasm2c : public testing::Test {
 protected:
  using Instance = typename Probe::Instance;

  static void SetUpTestSuite() {
    // Once per process and module, as generated code requires.
    static std::once_flag once;
    std::call_once(once, [] {
      wasm_rt_init();
      Probe::init_module();
    });
  }

  void SetUp() override {
    // Instantiation can trap (data segments out of bounds), so it is guarded.
    ASSERT_EQ(call_guarded([this] { Probe::instantiate(&instance_); }), TrapCode::None);
  }
  void TearDown() override { Probe::free(&instance_); }

  template <typename Function>
  TrapCode guarded(Function&& function) {
    return call_guarded(function);
  }

  Instance instance_{};
};

using Probes = testing::Types<GuardProbe, ExplicitProbe>;
TYPED_TEST_SUITE(RtWasm2c, Probes);

TYPED_TEST(RtWasm2c, InstantiatesWithItsDataSegment) {
  auto* instance = &this->instance_;
  uint32_t value = 0;
  EXPECT_EQ(this->guarded([&] { value = TypeParam::load(instance, 16); }), TrapCode::None);
  EXPECT_EQ(value, 42u);
  EXPECT_EQ(TypeParam::memory(instance)->pages, 1u);
}

TYPED_TEST(RtWasm2c, LoadsAndStoresStayInBounds) {
  auto* instance = &this->instance_;
  uint32_t value = 0;
  EXPECT_EQ(this->guarded([&] { TypeParam::store(instance, 65532, 0xfeed); }), TrapCode::None);
  EXPECT_EQ(this->guarded([&] { value = TypeParam::load(instance, 65532); }), TrapCode::None);
  EXPECT_EQ(value, 0xfeedu);
  EXPECT_EQ(this->guarded([&] { TypeParam::load(instance, 65533); }), TypeParam::kLoadOutOfBounds);
  EXPECT_EQ(this->guarded([&] { TypeParam::store(instance, 65536, 1); }), TypeParam::kLoadOutOfBounds);
  EXPECT_EQ(this->guarded([&] { TypeParam::load_far(instance, 0xffffffff); }), TypeParam::kLoadOutOfBounds);
  // Bulk operations are range-checked in both modes.
  EXPECT_EQ(this->guarded([&] { TypeParam::fill(instance, 65000, 1, 1000); }), TrapCode::Oob);
}

TYPED_TEST(RtWasm2c, GrowsUpToTheDeclaredMaximum) {
  auto* instance = &this->instance_;
  uint32_t results[4] = {};
  EXPECT_EQ(this->guarded([&] {
              results[0] = TypeParam::grow(instance, 1);
              results[1] = TypeParam::size(instance);
              results[2] = TypeParam::load(instance, 65536 + 100);
              results[3] = TypeParam::grow(instance, 3);
            }),
            TrapCode::None);
  EXPECT_EQ(results[0], 1u);
  EXPECT_EQ(results[1], 2u);
  EXPECT_EQ(results[2], 0u);
  EXPECT_EQ(results[3], UINT32_MAX) << "the module declares at most 4 pages";
}

TYPED_TEST(RtWasm2c, ChecksInGeneratedCodeTrap) {
  auto* instance = &this->instance_;
  EXPECT_EQ(this->guarded([&] { TypeParam::div(instance, 1, 0); }), TrapCode::DivByZero);
  EXPECT_EQ(this->guarded([&] { TypeParam::div(instance, 0x80000000u, 0xffffffffu); }), TrapCode::IntOverflow);
  EXPECT_EQ(this->guarded([&] { TypeParam::unreachable(instance); }), TrapCode::Unreachable);
}

TYPED_TEST(RtWasm2c, CallIndirectChecksTypeNullAndBounds) {
  auto* instance = &this->instance_;
  uint32_t doubled = 0;
  EXPECT_EQ(this->guarded([&] { doubled = TypeParam::call_indirect(instance, 0, 21); }), TrapCode::None);
  EXPECT_EQ(doubled, 42u);
  for (uint32_t element : {1u, 2u, 3u}) {  // wrong type, null, past the table
    EXPECT_EQ(this->guarded([&] { TypeParam::call_indirect(instance, element, 1); }), TrapCode::CallIndirect)
        << "element " << element;
  }
}

TYPED_TEST(RtWasm2c, UnboundedRecursionExhaustsTheStack) {
  auto* instance = &this->instance_;
  EXPECT_EQ(this->guarded([&] { TypeParam::recurse(instance, 0); }), TrapCode::Exhaustion);
  uint32_t value = 0;
  EXPECT_EQ(this->guarded([&] { value = TypeParam::load(instance, 16); }), TrapCode::None);
  EXPECT_EQ(value, 42u);
}

TYPED_TEST(RtWasm2c, TenThousandInstancesReuseTheirMemory) {
  MemoryPoolStats before = memory_pool_stats();
  for (int i = 0; i < 10'000; ++i) {
    typename TypeParam::Instance instance{};
    uint32_t value = 0;
    ASSERT_EQ(this->guarded([&] {
                TypeParam::instantiate(&instance);
                value = TypeParam::load(&instance, 16);
                TypeParam::store(&instance, 16, 7);  // dirty it: the next instance must not see this
              }),
              TrapCode::None);
    ASSERT_EQ(value, 42u) << "instance " << i;
    TypeParam::free(&instance);
  }
  EXPECT_LE(memory_pool_stats().mapped - before.mapped, 1u);
}

}  // namespace
}  // namespace kiln::rt
