// The runtime API end to end on the interpreter: compile, link, instantiate,
// call, host functions, limits that belong to the Store.
#include <gtest/gtest.h>

#include "kiln/engine.h"
#include "kiln/instance.h"
#include "kiln/linker.h"
#include "kiln/module.h"
#include "kiln/store.h"
#include "wasm/wat_parser.h"

namespace kiln {
namespace {

class RuntimeTest : public ::testing::Test {
 protected:
  Module compile(std::string_view wat) {
    auto bytes = wasm::wat_to_wasm(wat, "test.wat");
    EXPECT_TRUE(bytes.ok()) << (bytes.ok() ? "" : bytes.error().message);
    auto module = Module::compile(engine_, *bytes, "test.wasm");
    EXPECT_TRUE(module.ok()) << (module.ok() ? "" : module.error().message);
    return std::move(module).value();
  }

  Engine engine_ = Engine::create().value();
};

TEST_F(RuntimeTest, CallsAnExportAndReturnsItsResults) {
  Module module = compile(R"((module
    (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add)
    (func (export "pair") (result i64 f64) i64.const -7 f64.const 2.5)))");
  Store store(engine_);
  auto instance = store.instantiate(module, Linker{});
  ASSERT_TRUE(instance.ok()) << instance.error().message;

  Value args[] = {Value::from_i32(40), Value::from_i32(2)};
  CallResult sum = instance->call("add", args);
  ASSERT_TRUE(sum.returned());
  ASSERT_EQ(sum.values.size(), 1u);
  EXPECT_EQ(sum.values[0].i32, 42u);
  EXPECT_GT(sum.fuel_used, 0u);

  CallResult pair = instance->call("pair", {});
  ASSERT_TRUE(pair.returned());
  EXPECT_EQ(static_cast<int64_t>(pair.values[0].i64), -7);
  EXPECT_EQ(pair.values[1].f64(), 2.5);
}

TEST_F(RuntimeTest, BadCallsFailWithAMessage) {
  Module module = compile(R"((module (func (export "f") (param i32))))");
  Store store(engine_);
  auto instance = store.instantiate(module, Linker{});
  ASSERT_TRUE(instance.ok());
  CallResult missing = instance->call("nope", {});
  EXPECT_EQ(missing.status, CallResult::Status::Failed);
  EXPECT_NE(missing.error.find("nope"), std::string::npos);
  CallResult arity = instance->call("f", {});
  EXPECT_EQ(arity.status, CallResult::Status::Failed);
  Value wrong[] = {Value::from_i64(1)};
  EXPECT_EQ(instance->call("f", wrong).status, CallResult::Status::Failed);
}

TEST_F(RuntimeTest, HostFunctionsSeeArgumentsAndMemory) {
  Module module = compile(R"((module
    (import "env" "sum_bytes" (func $sum (param i32 i32) (result i32)))
    (memory (export "memory") 1)
    (data (i32.const 16) "\01\02\03\04")
    (func (export "run") (result i32) i32.const 16 i32.const 4 call $sum)))");
  Linker linker;
  linker.define("env", "sum_bytes",
                HostFunc{FuncType{{ValType::I32, ValType::I32}, {ValType::I32}},
                         [](HostContext& context, std::span<const Value> args, std::span<Value> results) {
                           auto memory = context.memory();
                           uint32_t total = 0;
                           for (uint32_t i = 0; i < args[1].i32; ++i) total += memory[args[0].i32 + i];
                           results[0] = Value::from_i32(static_cast<int32_t>(total));
                           return HostResult::ok();
                         }});
  Store store(engine_);
  auto instance = store.instantiate(module, linker);
  ASSERT_TRUE(instance.ok()) << instance.error().message;
  CallResult result = instance->call("run", {});
  ASSERT_TRUE(result.returned());
  EXPECT_EQ(result.values[0].i32, 10u);
}

TEST_F(RuntimeTest, HostTrapsAndExitsReachTheCaller) {
  Module module = compile(R"((module
    (import "env" "fail" (func $fail))
    (import "env" "quit" (func $quit (param i32)))
    (func (export "fail") call $fail)
    (func (export "quit") i32.const 7 call $quit unreachable)))");
  Linker linker;
  linker.define("env", "fail", HostFunc{FuncType{}, [](HostContext&, std::span<const Value>, std::span<Value>) {
                                          return HostResult::trapped(TrapKind::HostError, "database is down");
                                        }});
  linker.define("env", "quit",
                HostFunc{FuncType{{ValType::I32}, {}}, [](HostContext&, std::span<const Value> args, std::span<Value>) {
                           return HostResult::exited(static_cast<int>(args[0].i32));
                         }});
  Store store(engine_);
  auto instance = store.instantiate(module, linker);
  ASSERT_TRUE(instance.ok()) << instance.error().message;
  CallResult failed = instance->call("fail", {});
  ASSERT_TRUE(failed.trapped());
  EXPECT_EQ(failed.trap.kind, TrapKind::HostError);
  EXPECT_EQ(failed.trap.message, "database is down");
  CallResult quit = instance->call("quit", {});
  ASSERT_TRUE(quit.exited());
  EXPECT_EQ(quit.exit_code, 7);
}

TEST_F(RuntimeTest, MissingOrMistypedImportsNameTheImport) {
  Module module = compile(R"((module (import "env" "log" (func (param i32)))))");
  Store store(engine_);
  auto missing = store.instantiate(module, Linker{});
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("unknown import env.log"), std::string::npos) << missing.error().message;
  EXPECT_EQ(missing.error().kind, ErrorKind::Link);

  Linker linker;
  linker.define("env", "log", HostFunc{FuncType{{ValType::I64}, {}}, [](HostContext&, auto, auto) {
                                         return HostResult::ok();
                                       }});
  auto mistyped = store.instantiate(module, linker);
  ASSERT_FALSE(mistyped.ok());
  EXPECT_NE(mistyped.error().message.find("incompatible import type for env.log"), std::string::npos)
      << mistyped.error().message;
  EXPECT_EQ(mistyped.error().kind, ErrorKind::Link);
}

TEST_F(RuntimeTest, StartFunctionTrapFailsInstantiation) {
  Module module = compile(R"((module (func $s unreachable) (start $s)))");
  Store store(engine_);
  auto instance = store.instantiate(module, Linker{});
  ASSERT_FALSE(instance.ok());
  EXPECT_NE(instance.error().message.find("unreachable"), std::string::npos) << instance.error().message;
  EXPECT_EQ(instance.error().kind, ErrorKind::Trap);
}

TEST_F(RuntimeTest, MemoryCapBoundsGrowAndInitialSize) {
  Module module = compile(R"((module (memory (export "memory") 2)
    (func (export "grow") (param i32) (result i32) local.get 0 memory.grow)))");
  Store store(engine_);
  store.limits().max_memory_bytes = 4 * 65536;
  auto instance = store.instantiate(module, Linker{});
  ASSERT_TRUE(instance.ok()) << instance.error().message;
  Value two[] = {Value::from_i32(2)};
  EXPECT_EQ(instance->call("grow", two).values[0].i32, 2u);  // 2 -> 4 pages: at the cap
  Value one[] = {Value::from_i32(1)};
  EXPECT_EQ(static_cast<int32_t>(instance->call("grow", one).values[0].i32), -1);
  EXPECT_EQ(instance->memory().size(), 4u * 65536);

  Store small(engine_);
  small.limits().max_memory_bytes = 65536;
  auto refused = small.instantiate(module, Linker{});
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("memory limit"), std::string::npos) << refused.error().message;
}

TEST_F(RuntimeTest, InstancesShareExportsThroughTheLinker) {
  Module provider = compile(R"((module (memory (export "mem") 1)
    (global (export "g") (mut i32) (i32.const 5))
    (func (export "store") (param i32) i32.const 0 local.get 0 i32.store)))");
  Module user = compile(R"((module (import "p" "mem" (memory 1)) (import "p" "g" (global (mut i32)))
    (func (export "load") (result i32) i32.const 0 i32.load global.get 0 i32.add)))");
  Store store(engine_);
  auto p = store.instantiate(provider, Linker{});
  ASSERT_TRUE(p.ok());
  Linker linker;
  linker.define_instance("p", *p);
  auto u = store.instantiate(user, linker);
  ASSERT_TRUE(u.ok()) << u.error().message;
  Value v[] = {Value::from_i32(100)};
  ASSERT_TRUE(p->call("store", v).returned());
  EXPECT_EQ(u->call("load", {}).values[0].i32, 105u);
}

}  // namespace
}  // namespace kiln
