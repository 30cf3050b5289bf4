// funcref values across the host boundary on the aot backend: passed to and
// returned from exports and host functions, held in globals and tables,
// handed from one instance to another. The aot store numbers them its own
// way (an index into a per-store table); the tests check what the host can
// observe, and that it matches the interpreter.
#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <sstream>

#include "backends/aot/aot_backend.h"
#include "kiln/instance.h"
#include "kiln/linker.h"
#include "kiln/module.h"
#include "kiln/store.h"
#include "tests/aot_test_support.h"
#include "tests/test_support.h"
#include "wasm/wat_parser.h"

namespace kiln {
namespace {

Module load(const Engine& engine, const std::string& stem) {
  auto module = Module::from_file(engine, test::guest_path(stem));
  if (!module.ok()) throw std::runtime_error(module.error().message);
  return std::move(module).value();
}

Value i32(int32_t v) { return Value::from_i32(v); }
Value null_funcref() { return Value::from_ref(ValType::FuncRef, kNullRef); }

// One returned value, or a failure that names what happened instead.
Value returned(const CallResult& result) {
  if (!result.returned()) {
    throw std::runtime_error(result.trapped() ? result.trap.describe() : "call failed: " + result.error);
  }
  if (result.values.size() != 1) throw std::runtime_error("expected one result");
  return result.values[0];
}

// Instance A (funcref_provider) and instance B (funcref_consumer, which
// imports A's exports) in one store.
struct Pair {
  explicit Pair(BackendKind backend)
      : engine(test::make_engine(backend)),
        store(engine),
        a(instantiate(load(engine, "funcref_provider"), Linker())),
        b(instantiate(load(engine, "funcref_consumer"), linker_for_b())) {}

  Linker linker_for_b() {
    Linker linker;
    linker.define_instance("a", a);
    return linker;
  }

  Instance instantiate(const Module& module, const Linker& linker) {
    auto instance = store.instantiate(module, linker);
    if (!instance.ok()) throw std::runtime_error(instance.error().message);
    return *instance;
  }

  Engine engine;
  Store store;
  Instance a;
  Instance b;
};

TEST(AotFuncref, ModulesPassingFuncrefsCompileToNativeCode) {
  Engine engine = test::make_engine(BackendKind::Aot);
  for (const char* stem : {"funcref_provider", "funcref_consumer", "funcref_host"}) {
    Module module = load(engine, stem);
    EXPECT_FALSE(backends::is_interp_fallback(module.backend_module())) << stem;
  }
}

TEST(AotFuncref, ParamAndResultRoundTrip) {
  Pair pair(BackendKind::Aot);
  Value doubler = returned(pair.a.call("get", std::vector<Value>{i32(0)}));
  ASSERT_EQ(doubler.type, ValType::FuncRef);
  EXPECT_FALSE(doubler.is_null_ref());
  // The same function from the same instance reads back as the same Value,
  // and a Value handed in comes back unchanged.
  EXPECT_EQ(returned(pair.a.call("get", std::vector<Value>{i32(0)})).ref, doubler.ref);
  EXPECT_EQ(returned(pair.a.call("id", std::vector<Value>{doubler})).ref, doubler.ref);
  Value squarer = returned(pair.a.call("get", std::vector<Value>{i32(1)}));
  EXPECT_NE(squarer.ref, doubler.ref);
  EXPECT_EQ(returned(pair.a.call("is-null", std::vector<Value>{doubler})).i32, 0u);
  // The guest calls what the host handed back.
  EXPECT_EQ(returned(pair.a.call("call", std::vector<Value>{doubler, i32(21)})).i32, 42u);
  EXPECT_EQ(returned(pair.a.call("call", std::vector<Value>{squarer, i32(9)})).i32, 81u);
}

TEST(AotFuncref, MultiValueResultsWithFuncrefs) {
  Pair pair(BackendKind::Aot);
  CallResult result = pair.a.call("pair", std::vector<Value>{i32(0)});
  ASSERT_TRUE(result.returned()) << result.trap.describe();
  ASSERT_EQ(result.values.size(), 3u);
  EXPECT_EQ(result.values[0].ref, returned(pair.a.call("get", std::vector<Value>{i32(0)})).ref);
  EXPECT_EQ(result.values[1].i32, 7u);
  EXPECT_TRUE(result.values[2].is_null_ref());
}

// Multi-value results name their C struct after the result types; references
// need their own letters there too.
TEST(AotFuncref, MultiValueExternrefResults) {
  auto bytes = wasm::wat_to_wasm(R"((module
    (func (export "swap") (param externref externref) (result externref i32 externref)
      (local.get 1) (i32.const 5) (local.get 0))))",
                                 "swap.wat");
  ASSERT_TRUE(bytes.ok()) << bytes.error().message;
  Engine engine = test::make_engine(BackendKind::Aot);
  auto module = Module::compile(engine, *bytes, "swap.wasm");
  ASSERT_TRUE(module.ok()) << module.error().message;
  EXPECT_FALSE(backends::is_interp_fallback(module->backend_module()));
  Store store(engine);
  auto instance = store.instantiate(*module, Linker());
  ASSERT_TRUE(instance.ok()) << instance.error().message;
  CallResult result = instance->call(
      "swap", std::vector<Value>{Value::from_ref(ValType::ExternRef, 7), Value::from_ref(ValType::ExternRef, kNullRef)});
  ASSERT_TRUE(result.returned()) << result.trap.describe();
  ASSERT_EQ(result.values.size(), 3u);
  EXPECT_TRUE(result.values[0].is_null_ref());
  EXPECT_EQ(result.values[1].i32, 5u);
  EXPECT_EQ(result.values[2].ref, 7u);
}

TEST(AotFuncref, NullFuncref) {
  Pair pair(BackendKind::Aot);
  Value null = returned(pair.a.call("null", {}));
  EXPECT_EQ(null.type, ValType::FuncRef);
  EXPECT_TRUE(null.is_null_ref());
  EXPECT_TRUE(returned(pair.a.call("id", std::vector<Value>{null_funcref()})).is_null_ref());
  EXPECT_EQ(returned(pair.a.call("is-null", std::vector<Value>{null_funcref()})).i32, 1u);
  CallResult call = pair.a.call("call", std::vector<Value>{null_funcref(), i32(1)});
  ASSERT_TRUE(call.trapped());
  EXPECT_EQ(call.trap.kind, TrapKind::IndirectCallNull);
}

TEST(AotFuncref, ForeignHandleIsRefused) {
  Pair pair(BackendKind::Aot);
  CallResult call = pair.a.call("id", std::vector<Value>{Value::from_ref(ValType::FuncRef, 123456)});
  EXPECT_EQ(call.status, CallResult::Status::Failed);
  EXPECT_NE(call.error.find("funcref"), std::string::npos) << call.error;
}

TEST(AotFuncref, ExportedGlobalReadByTheHost) {
  Pair pair(BackendKind::Aot);
  auto global = pair.a.get_export("g");
  ASSERT_TRUE(global.has_value());
  Value initial = pair.store.global_get(*global);
  EXPECT_EQ(initial.type, ValType::FuncRef);
  EXPECT_TRUE(initial.is_null_ref());
  Value squarer = returned(pair.a.call("get", std::vector<Value>{i32(1)}));
  ASSERT_TRUE(pair.a.call("set-g", std::vector<Value>{squarer}).returned());
  EXPECT_EQ(pair.store.global_get(*global).ref, squarer.ref);
  EXPECT_EQ(returned(pair.a.call("call-g", std::vector<Value>{i32(12)})).i32, 144u);
}

TEST(AotFuncref, FuncrefFromInstanceAStoredInInstanceBTableAndCalled) {
  Pair pair(BackendKind::Aot);
  Value squarer = returned(pair.a.call("get", std::vector<Value>{i32(1)}));
  ASSERT_TRUE(pair.b.call("store", std::vector<Value>{squarer, i32(1)}).returned());
  EXPECT_EQ(returned(pair.b.call("call", std::vector<Value>{i32(1), i32(5)})).i32, 25u);
  // The same through an import returning a funcref (no host in between).
  EXPECT_EQ(returned(pair.b.call("call-imported", std::vector<Value>{i32(6)})).i32, 36u);
  // B puts one of its own functions in A's global; A calls it through A's
  // table, and it runs in B (B's counter moves).
  ASSERT_TRUE(pair.b.call("publish", {}).returned());
  EXPECT_FALSE(pair.store.global_get(*pair.a.get_export("g")).is_null_ref());
  EXPECT_EQ(returned(pair.a.call("call-g", std::vector<Value>{i32(10)})).i32, 11u);
  EXPECT_EQ(returned(pair.b.call("count", {})).i32, 1u);
  // A funcref B got from A's global comes back to the host as A's value.
  Value published = pair.store.global_get(*pair.a.get_export("g"));
  ASSERT_TRUE(pair.b.call("store", std::vector<Value>{published, i32(0)}).returned());
  EXPECT_EQ(returned(pair.b.call("call", std::vector<Value>{i32(0), i32(41)})).i32, 42u);
  EXPECT_EQ(returned(pair.b.call("count", {})).i32, 2u);
}

// Host functions and a host-made global that take and give funcrefs.
struct HostSetup {
  explicit HostSetup(BackendKind backend) : engine(test::make_engine(backend)), store(engine) {}

  Result<Instance> run(Value global_value) {
    Linker linker;
    FuncType echo_type{{ValType::FuncRef}, {ValType::FuncRef}};
    linker.define("host", "echo", HostFunc{echo_type, [this](HostContext&, std::span<const Value> args,
                                                             std::span<Value> results) {
                    seen.push_back(args[0]);
                    results[0] = args[0];
                    return HostResult::ok();
                  }});
    linker.define("host", "g", store.new_global(global_value, /*is_mutable=*/false));
    return store.instantiate(load(engine, "funcref_host"), linker);
  }

  Engine engine;
  Store store;
  std::vector<Value> seen;
};

TEST(AotFuncref, HostFunctionsAndHostGlobals) {
  HostSetup setup(BackendKind::Aot);
  auto instance = setup.run(null_funcref());
  ASSERT_TRUE(instance.ok()) << instance.error().message;
  // The guest passes a funcref through the host and calls what comes back.
  EXPECT_EQ(returned(instance->call("through-host", std::vector<Value>{i32(4)})).i32, 12u);
  ASSERT_EQ(setup.seen.size(), 1u);
  EXPECT_FALSE(setup.seen[0].is_null_ref());
  // The host's Value is the one the guest exports for the same function.
  EXPECT_EQ(returned(instance->call("get-triple", {})).ref, setup.seen[0].ref);
  EXPECT_TRUE(returned(instance->call("global-is-null", {})).i32);

  // A host global holding a funcref from another instance of the store.
  Value triple = setup.seen[0];
  auto second = setup.run(triple);
  ASSERT_TRUE(second.ok()) << second.error().message;
  EXPECT_FALSE(returned(second->call("global-is-null", {})).i32);
  EXPECT_EQ(returned(second->call("call-global", std::vector<Value>{i32(5)})).i32, 15u);
}

// A module on the interpreter (SIMD) inside an aot Store numbers funcrefs
// its own way: importing aot items that carry them is refused, clearly.
TEST(AotFuncref, FallbackInstanceCannotImportFuncrefItems) {
  Pair pair(BackendKind::Aot);
  for (const char* import : {R"((import "a" "g" (global (mut funcref))))",
                             R"((import "a" "id" (func (param funcref) (result funcref))))"}) {
    auto bytes = wasm::wat_to_wasm(std::string("(module ") + import +
                                       R"((func (export "lanes") (result i32)
                                            (i32x4.extract_lane 2 (v128.const i32x4 1 2 3 4)))))",
                                   "simd.wat");
    ASSERT_TRUE(bytes.ok()) << bytes.error().message;
    auto module = Module::compile(pair.engine, *bytes, "simd.wasm");
    ASSERT_TRUE(module.ok()) << module.error().message;
    ASSERT_TRUE(backends::is_interp_fallback(module->backend_module()));
    Linker linker;
    linker.define_instance("a", pair.a);
    auto instance = pair.store.instantiate(*module, linker);
    ASSERT_FALSE(instance.ok()) << import;
    EXPECT_NE(instance.error().message.find("funcref"), std::string::npos) << instance.error().message;
  }
}

// The same script on both backends: what the host sees must match, except
// for the handles' numbering, which is each store's own.
std::vector<std::string> observe(BackendKind backend) {
  std::vector<std::string> seen;
  auto note = [&](const CallResult& result) {
    if (!result.returned()) {
      seen.push_back(result.trapped() ? std::string("trap ") + to_string(result.trap.kind) : "failed");
      return;
    }
    std::string line;
    for (const Value& v : result.values) {
      line += v.type == ValType::FuncRef ? (v.is_null_ref() ? "funcref:null " : "funcref:func ") : to_string(v) + " ";
    }
    seen.push_back(line);
  };
  Pair pair(backend);
  Value doubler = returned(pair.a.call("get", std::vector<Value>{i32(0)}));
  Value squarer = returned(pair.a.call("get", std::vector<Value>{i32(1)}));
  note(pair.a.call("get", std::vector<Value>{i32(0)}));
  note(pair.a.call("null", {}));
  note(pair.a.call("pair", std::vector<Value>{i32(0)}));
  note(pair.a.call("get", std::vector<Value>{i32(9)}));
  note(pair.a.call("id", std::vector<Value>{doubler}));
  seen.push_back(returned(pair.a.call("id", std::vector<Value>{doubler})).ref == doubler.ref ? "same" : "other");
  note(pair.a.call("is-null", std::vector<Value>{null_funcref()}));
  note(pair.a.call("call", std::vector<Value>{doubler, i32(8)}));
  note(pair.a.call("call", std::vector<Value>{null_funcref(), i32(8)}));
  note(pair.a.call("call-g", std::vector<Value>{i32(3)}));
  note(pair.a.call("set-g", std::vector<Value>{squarer}));
  seen.push_back(pair.store.global_get(*pair.a.get_export("g")).ref == squarer.ref ? "same" : "other");
  note(pair.a.call("call-g", std::vector<Value>{i32(3)}));
  note(pair.b.call("store", std::vector<Value>{doubler, i32(1)}));
  note(pair.b.call("call", std::vector<Value>{i32(1), i32(30)}));
  note(pair.b.call("call", std::vector<Value>{i32(0), i32(30)}));
  note(pair.b.call("call", std::vector<Value>{i32(2), i32(30)}));
  note(pair.b.call("call-imported", std::vector<Value>{i32(3)}));
  note(pair.b.call("publish", {}));
  note(pair.a.call("call-g", std::vector<Value>{i32(3)}));
  note(pair.b.call("count", {}));

  HostSetup host(backend);
  auto instance = host.run(null_funcref());
  if (!instance.ok()) throw std::runtime_error(instance.error().message);
  note(instance->call("through-host", std::vector<Value>{i32(7)}));
  note(instance->call("global-is-null", {}));
  note(instance->call("call-global", std::vector<Value>{i32(7)}));
  return seen;
}

TEST(AotFuncref, SameObservationsAsTheInterpreter) {
  std::vector<std::string> interp = observe(BackendKind::Interp);
  std::vector<std::string> aot = observe(BackendKind::Aot);
  EXPECT_EQ(aot, interp);
  EXPECT_EQ(interp.size(), 24u);
}

// Spec script modules that used to run on the interpreter even under
// --backend aot are native code now: tables.wast returns funcrefs to the
// host; exhaustion.wast declares v128 locals it never touches (the C writer
// cannot express v128, but an unused local needs no C).
std::vector<std::string> script_modules(const std::string& stem) {
  std::ifstream in(std::string(KILN_SPEC_DIR) + "/" + stem + ".json");
  std::stringstream text;
  text << in.rdbuf();
  std::string json = text.str();
  // wast2json: {"type": "module", "line": 4, ["name": "$m", ]"filename": "x.0.wasm"}
  static const std::regex command(R"re(\{"type": "module", "line": \d+, (?:"name": "[^"]*", )?"filename": "([^"]+)")re");
  std::vector<std::string> files;
  for (auto it = std::sregex_iterator(json.begin(), json.end(), command); it != std::sregex_iterator(); ++it) {
    files.push_back(std::string(KILN_SPEC_DIR) + "/" + (*it)[1].str());
  }
  return files;
}

TEST(AotFuncref, SpecScriptModulesAreNotFallbacks) {
  Engine engine = test::make_engine(BackendKind::Aot);
  for (const char* stem : {"tables", "exhaustion"}) {
    std::vector<std::string> files = script_modules(stem);
    EXPECT_FALSE(files.empty()) << stem;
    for (const std::string& file : files) {
      auto module = Module::from_file(engine, file);
      ASSERT_TRUE(module.ok()) << module.error().message;
      EXPECT_FALSE(backends::is_interp_fallback(module->backend_module())) << file;
    }
  }
}

}  // namespace
}  // namespace kiln
