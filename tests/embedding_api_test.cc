// The embedding API end to end on both backends: InstancePre, typed
// handles, host functions of several signatures, host access to guest
// memory, per-call results, and one Module shared by many threads.
#include <atomic>
#include <cmath>
#include <thread>
#include <vector>

#include "embedding_test_support.h"
#include "kiln/wasi.h"
#include "kiln/instance_pre.h"
#include "kiln/linker.h"
#include "kiln/store.h"

namespace kiln {
namespace {

using test::OnEachBackend;

class EmbeddingTest : public OnEachBackend {
 protected:
  static Linker host_signature_linker(std::atomic<int>* ticks) {
    Linker linker;
    linker.define("host", "mix",
                  HostFunc{FuncType{{ValType::I32, ValType::I64, ValType::F32, ValType::F64}, {ValType::F64}},
                           [](HostContext&, std::span<const Value> args, std::span<Value> results) {
                             results[0] = Value::from_f64(static_cast<int32_t>(args[0].i32) +
                                                          static_cast<double>(static_cast<int64_t>(args[1].i64)) +
                                                          args[2].f32() + args[3].f64());
                             return HostResult::ok();
                           }});
    linker.define("host", "tick", HostFunc{FuncType{}, [ticks](HostContext&, std::span<const Value>, std::span<Value>) {
                                             ++*ticks;
                                             return HostResult::ok();
                                           }});
    linker.define("host", "split",
                  HostFunc{FuncType{{ValType::I64}, {ValType::I32, ValType::I32}},
                           [](HostContext&, std::span<const Value> args, std::span<Value> results) {
                             results[0] = Value::from_i32(static_cast<int32_t>(args[0].i64 & 0xffffffff));
                             results[1] = Value::from_i32(static_cast<int32_t>(args[0].i64 >> 32));
                             return HostResult::ok();
                           }});
    linker.define("host", "fail",
                  HostFunc{FuncType{{ValType::I32}, {ValType::I32}},
                           [](HostContext& context, std::span<const Value> args, std::span<Value> results) {
                             if (args[0].i32 == 0) return HostResult::trapped(TrapKind::HostError, "refused zero");
                             if (args[0].i32 == 1) return HostResult::exited(3);
                             // Reads the caller's memory: the host sees the guest's bytes.
                             results[0] = Value::from_i32(static_cast<int32_t>(context.memory().size() / 65536));
                             return HostResult::ok();
                           }});
    return linker;
  }
};

TEST_P(EmbeddingTest, HostFunctionsOfSeveralSignatures) {
  std::atomic<int> ticks{0};
  auto pre = InstancePre::create(load_guest("host_signatures"), host_signature_linker(&ticks));
  ASSERT_TRUE(pre.ok()) << pre.error().message;
  Store store(engine_);
  auto instance = pre->instantiate(store);
  ASSERT_TRUE(instance.ok()) << instance.error().message;

  auto mix = instance->typed<double(int32_t, int64_t, float, double)>("call_mix");
  ASSERT_TRUE(mix.ok()) << mix.error().message;
  auto mixed = mix->call(-2, int64_t{1} << 40, 0.5f, 0.25);
  ASSERT_TRUE(mixed.returned()) << mixed.trap.describe();
  EXPECT_EQ(mixed.value, -2 + std::ldexp(1.0, 40) + 0.75);

  auto tick = instance->typed<void()>("call_tick");
  ASSERT_TRUE(tick.ok());
  EXPECT_TRUE(tick->call().returned());
  EXPECT_EQ(ticks.load(), 2);

  auto split = instance->typed<int32_t(int64_t)>("call_split");
  ASSERT_TRUE(split.ok());
  auto difference = split->call((int64_t{5} << 32) | 12);
  ASSERT_TRUE(difference.returned());
  EXPECT_EQ(difference.value, 12 - 5);

  auto fail = instance->typed<int32_t(int32_t)>("call_fail");
  ASSERT_TRUE(fail.ok());
  auto trapped = fail->call(0);
  ASSERT_TRUE(trapped.trapped());
  EXPECT_EQ(trapped.trap.kind, TrapKind::HostError);
  EXPECT_EQ(trapped.trap.message, "refused zero");
  auto exited = fail->call(1);
  ASSERT_TRUE(exited.exited());
  EXPECT_EQ(exited.exit_code, 3);
  auto pages = fail->call(2);
  ASSERT_TRUE(pages.returned());
  EXPECT_EQ(pages.value, 1);
}

TEST_P(EmbeddingTest, AnExceptionFromHostCodeBecomesAHostErrorTrap) {
  std::atomic<int> ticks{0};
  Linker linker = host_signature_linker(&ticks);
  linker.define("host", "tick", HostFunc{FuncType{}, [](HostContext&, std::span<const Value>, std::span<Value>) -> HostResult {
                                           throw std::runtime_error("database unavailable");
                                         }});
  auto pre = InstancePre::create(load_guest("host_signatures"), linker);
  ASSERT_TRUE(pre.ok());
  Store store(engine_);
  auto instance = pre->instantiate(store);
  ASSERT_TRUE(instance.ok());
  CallResult result = instance->call("call_tick", {});
  ASSERT_TRUE(result.trapped());
  EXPECT_EQ(result.trap.kind, TrapKind::HostError);
  EXPECT_NE(result.trap.message.find("database unavailable"), std::string::npos) << result.trap.message;
  // The instance is still usable.
  auto split = instance->typed<int32_t(int64_t)>("call_split");
  EXPECT_EQ(split->call(int64_t{9}).value, 9);
}

TEST_P(EmbeddingTest, ACallBackIntoTheGuestSharesTheOuterCallsBudget) {
  Store store(engine_);
  std::optional<TypedFunc<int32_t(int32_t)>> work;
  uint64_t inner_fuel = 0;
  Linker linker;
  linker.define("host", "callback",
                HostFunc{FuncType{{ValType::I32}, {ValType::I32}},
                         [&](HostContext&, std::span<const Value> args, std::span<Value> results) {
                           auto out = work->call(static_cast<int32_t>(args[0].i32));
                           if (!out.returned()) return HostResult::trapped(out.trap.kind, out.trap.message);
                           inner_fuel = out.fuel_used;
                           results[0] = Value::from_i32(out.value);
                           return HostResult::ok();
                         }});
  auto pre = InstancePre::create(load_guest("reentry"), linker);
  ASSERT_TRUE(pre.ok()) << pre.error().message;
  auto instance = pre->instantiate(store);
  ASSERT_TRUE(instance.ok());
  work = *instance->typed<int32_t(int32_t)>("work");
  auto outer = instance->typed<int32_t(int32_t)>("outer");
  ASSERT_TRUE(outer.ok());

  auto full = outer->call(100);
  ASSERT_TRUE(full.returned()) << full.trap.describe();
  EXPECT_EQ(full.value, 5050 + 1);
  EXPECT_GT(inner_fuel, 100u);
  EXPECT_GT(full.fuel_used, inner_fuel);  // the inner call is part of the outer one

  // Exactly the outer call's fuel is enough; one unit less is not, though
  // either part alone would fit.
  store.limits().fuel = full.fuel_used;
  EXPECT_TRUE(outer->call(100).returned());
  store.limits().fuel = full.fuel_used - 1;
  auto starved = outer->call(100);
  ASSERT_TRUE(starved.trapped());
  EXPECT_EQ(starved.trap.kind, TrapKind::OutOfFuel);
}

TEST_P(EmbeddingTest, InstancePreNamesWhatItCannotResolve) {
  std::atomic<int> ticks{0};
  Linker linker = host_signature_linker(&ticks);
  Linker missing;
  auto no_import = InstancePre::create(load_guest("host_signatures"), missing);
  ASSERT_FALSE(no_import.ok());
  EXPECT_NE(no_import.error().message.find("unknown import host.mix"), std::string::npos) << no_import.error().message;

  linker.define("host", "tick", HostFunc{FuncType{{ValType::I32}, {}}, nullptr});
  auto wrong = InstancePre::create(load_guest("host_signatures"), linker);
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.error().message.find("host.tick"), std::string::npos) << wrong.error().message;
}

TEST_P(EmbeddingTest, TypedHandlesCheckTheSignatureOnce) {
  auto pre = InstancePre::create(load_guest("pool_tenant"), Linker{});
  ASSERT_TRUE(pre.ok());
  Store store(engine_);
  auto instance = pre->instantiate(store);
  ASSERT_TRUE(instance.ok());
  auto wrong = instance->typed<int64_t(int32_t)>("add_one");
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.error().message.find("(i32) -> (i32)"), std::string::npos) << wrong.error().message;
  EXPECT_FALSE(instance->typed<int32_t(int32_t)>("no_such").ok());

  auto add_one = instance->typed<int32_t(int32_t)>("add_one");
  ASSERT_TRUE(add_one.ok());
  auto out = add_one->call(41);
  ASSERT_TRUE(out.returned());
  EXPECT_EQ(out.value, 42);
  EXPECT_GT(out.fuel_used, 0u);
  // Limits apply on the typed path too.
  store.limits().fuel = 1;
  auto starved = add_one->call(1);
  ASSERT_TRUE(starved.trapped());
  EXPECT_EQ(starved.trap.kind, TrapKind::OutOfFuel);
}

TEST_P(EmbeddingTest, HostPassesInputThroughGuestMemoryAndReadsOutputByPointer) {
  Linker linker;
  host::add_wasi(linker);
  auto pre = InstancePre::create(load_guest("reactor_text"), linker);
  ASSERT_TRUE(pre.ok()) << pre.error().message;
  Store store(engine_);
  auto instance = pre->instantiate(store);
  ASSERT_TRUE(instance.ok()) << instance.error().message;

  std::string text = "hello, guest";
  auto input = instance->write_input(std::span(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
  ASSERT_TRUE(input.ok()) << input.error().message;
  EXPECT_EQ(input->length, text.size());
  auto upper = instance->typed<uint64_t(uint32_t, uint32_t)>("upper");
  ASSERT_TRUE(upper.ok()) << upper.error().message;
  auto packed = upper->call(input->offset, input->length);
  ASSERT_TRUE(packed.returned());
  GuestSlice output{static_cast<uint32_t>(packed.value >> 32), static_cast<uint32_t>(packed.value)};
  auto bytes = instance->memory_range(output);
  ASSERT_TRUE(bytes.ok()) << bytes.error().message;
  EXPECT_EQ(std::string(bytes->begin(), bytes->end()), "HELLO, GUEST");

  // Ranges outside memory are refused with what and where.
  uint32_t size = static_cast<uint32_t>(instance->memory().size());
  auto outside = instance->memory_range(GuestSlice{size - 4, 8});
  ASSERT_FALSE(outside.ok());
  EXPECT_NE(outside.error().message.find("outside memory 0"), std::string::npos) << outside.error().message;
  std::vector<uint8_t> too_long(16, 0xaa);
  EXPECT_FALSE(instance->write_memory(size - 8, too_long).ok());
  EXPECT_EQ(instance->memory()[size - 8], 0);  // nothing written
  EXPECT_FALSE(instance->allocate(8, 1, "no_such_allocator").ok());
}

TEST_P(EmbeddingTest, AGuestWithoutAnAllocatorGetsAHostRegion) {
  auto pre = InstancePre::create(load_guest("pool_tenant"), Linker{});
  ASSERT_TRUE(pre.ok());
  Store store(engine_);
  auto instance = pre->instantiate(store);
  ASSERT_TRUE(instance.ok());
  auto none = instance->allocate(16);
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.error().message.find("no allocator"), std::string::npos) << none.error().message;

  auto region = instance->reserve_host_region(100);
  ASSERT_TRUE(region.ok()) << region.error().message;
  EXPECT_EQ(region->offset, 65536u);  // the new page, after the guest's own
  std::vector<uint8_t> word = {1, 2, 3, 4};
  ASSERT_TRUE(instance->write_memory(region->offset, word).ok());
  CallResult loaded = instance->call("load", std::vector{Value::from_i32(static_cast<int32_t>(region->offset))});
  ASSERT_TRUE(loaded.returned());
  EXPECT_EQ(loaded.values[0].i32, 0x04030201u);

  // The module's maximum (4 pages) and the Store's limit both bound it.
  EXPECT_FALSE(instance->reserve_host_region(4 * 65536).ok());
  store.limits().max_memory_bytes = 2 * 65536;
  EXPECT_FALSE(instance->reserve_host_region(1).ok());
}

TEST_P(EmbeddingTest, EveryCallReportsOutputFuelMemoryAndTime) {
  Linker linker;
  host::add_wasi(linker);
  auto pre = InstancePre::create(load_guest("reactor_text"), linker);
  ASSERT_TRUE(pre.ok());
  Store store(engine_);
  host::attach_wasi(store, std::make_shared<host::WasiContext>(host::WasiConfig{}));
  auto instance = pre->instantiate(store);
  ASSERT_TRUE(instance.ok());
  CallResult first = instance->call("say", std::vector{Value::from_i32(1)});
  CallResult second = instance->call("say", std::vector{Value::from_i32(2)});
  ASSERT_TRUE(first.returned() && second.returned());
  EXPECT_EQ(first.stdout_bytes, "call 1\n");
  EXPECT_EQ(second.stdout_bytes, "call 2\n");  // this call's output only
  EXPECT_GT(first.fuel_used, 0u);
  EXPECT_GT(first.elapsed.count(), 0);
  EXPECT_GE(first.memory_peak_bytes, 65536u);
  EXPECT_EQ(first.memory_peak_bytes, instance->memory().size());
}

TEST_P(EmbeddingTest, EightThreadsShareOneModule) {
  Module module = load_guest("pool_tenant");
  auto pre = InstancePre::create(module, Linker{});
  ASSERT_TRUE(pre.ok());
  constexpr int kThreads = 8;
  constexpr int kCalls = 10'000;
  std::atomic<int64_t> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      Store store(module.engine());
      auto instance = pre->instantiate(store);
      if (!instance.ok()) { wrong += kCalls; return; }
      auto add_one = instance->typed<int32_t(int32_t)>("add_one");
      if (!add_one.ok()) { wrong += kCalls; return; }
      for (int i = 0; i < kCalls; ++i) {
        int32_t argument = t * kCalls + i;
        auto out = add_one->call(argument);
        if (!out.returned() || out.value != argument + 1) ++wrong;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(wrong.load(), 0);
}

INSTANTIATE_TEST_SUITE_P(Backends, EmbeddingTest, ::testing::Values(BackendKind::Interp, BackendKind::Aot),
                         test::backend_name);

}  // namespace
}  // namespace kiln
