// Extension point definitions (registry::parse_extension_point,
// docs/extension-points.md): every error a definition can have, each
// refused as ErrorKind::InvalidDefinition with a message naming the field;
// sizes, durations and defaults of limits; fuel scaled by input size; the
// import and export rules; and `kiln ep create` refusing a bad file.
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "registry/extension_point.h"
#include "test_support.h"

namespace kiln::test {
namespace {

using registry::ExtensionPoint;
using registry::parse_extension_point;

constexpr const char* kSchemas = R"("input_schema": {"type": "object"}, "output_schema": {"type": "object"})";

// A valid definition with `fields` (",\"x\": ..." pieces) added.
std::string with(const std::string& fields, const std::string& name = "checkout.discounts") {
  return R"({"name": ")" + name + R"(", )" + kSchemas + fields + "}";
}

// Parses `json`, expecting it refused: InvalidDefinition, the message
// starting with the source and naming `field`.
Error refused(const std::string& json, const std::string& field) {
  auto ep = parse_extension_point(json, "ep.json");
  EXPECT_FALSE(ep) << "accepted: " << json;
  if (ep) return {};
  const Error& error = ep.error();
  EXPECT_EQ(error.kind, ErrorKind::InvalidDefinition) << error.message;
  EXPECT_NE(error.message.find(field), std::string::npos)
      << "the message does not name " << field << ": " << error.message;
  return error;
}

ExtensionPoint parsed(const std::string& json) {
  auto ep = parse_extension_point(json, "ep.json");
  EXPECT_TRUE(ep) << ep.error().message;
  return ep ? std::move(*ep) : ExtensionPoint{};
}

TEST(ExtensionPointTest, MinimalDefinitionTakesTheDefaults) {
  ExtensionPoint ep = parsed(with(""));
  EXPECT_EQ(ep.name, "checkout.discounts");
  EXPECT_EQ(ep.abi, "wasi-command");
  EXPECT_EQ(ep.combine, "single");
  EXPECT_EQ(ep.validate_input, 1.0);
  EXPECT_TRUE(ep.input_schema);
  EXPECT_TRUE(ep.output_schema);
  EXPECT_FALSE(ep.config_schema);
  // Shopify Functions' defaults.
  EXPECT_EQ(ep.limits.fuel, 11'000'000u);
  EXPECT_EQ(ep.limits.fuel_per_kib, 0u);
  EXPECT_EQ(ep.limits.max_input, 64'000u);
  EXPECT_EQ(ep.limits.max_module, 256u * 1024u);
  EXPECT_EQ(ep.limits.max_log, 1'000u);
  EXPECT_GT(ep.limits.max_output, 0u);
  EXPECT_GE(ep.limits.memory, 65536u);
  EXPECT_GT(ep.limits.timeout.count(), 0);
  EXPECT_TRUE(ep.imports_default);
  ASSERT_EQ(ep.exports.size(), 1u);  // a wasi-command extension runs through _start
  EXPECT_EQ(ep.exports[0].name, "_start");
  EXPECT_EQ(ep.definition, with(""));  // kept as given, for the registry
}

TEST(ExtensionPointTest, UnknownFieldsAreRefusedByName) {
  Error top = refused(with(R"(, "limts": {})"), "limts");
  EXPECT_EQ(top.message.rfind("ep.json: ", 0), 0u) << top.message;
  EXPECT_NE(top.message.find("unknown field"), std::string::npos) << top.message;
  EXPECT_TRUE(top.where.has_json_pointer);
  EXPECT_EQ(top.where.json_pointer, "/limts");
  EXPECT_EQ(top.where.file, "ep.json");

  Error nested = refused(with(R"(, "limits": {"fuel": 5, "cpu": 3})"), "limits.cpu");
  EXPECT_NE(nested.message.find("unknown field"), std::string::npos) << nested.message;
  EXPECT_EQ(nested.where.json_pointer, "/limits/cpu");

  refused(with(R"(, "exports": [{"name": "run", "kind": "func"}])"), "exports.0.kind");
}

TEST(ExtensionPointTest, WrongTypesAreRefusedByField) {
  refused(R"({"name": 5, )" + std::string(kSchemas) + "}", "name");
  refused(with(R"(, "description": 5)"), "description");
  refused(with(R"(, "abi": ["wasi-command"])"), "abi");
  refused(with(R"(, "combine": 1)"), "combine");
  refused(with(R"(, "validate_input": "all")"), "validate_input");
  refused(with(R"(, "imports": "wasi_snapshot_preview1.*")"), "imports");
  refused(with(R"(, "imports": [5])"), "imports.0");
  refused(with(R"(, "imports": ["env.f", "nodot"])"), "imports.1");
  refused(with(R"(, "imports": [".f"])"), "imports.0");
  refused(with(R"(, "imports": ["env."])"), "imports.0");
  refused(with(R"(, "exports": "_start")"), "exports");
  refused(with(R"(, "exports": [5])"), "exports.0");
  refused(with(R"(, "exports": [""])"), "exports.0");
  refused(with(R"(, "exports": ["_start", {"name": 5}])"), "exports.1.name");
  refused(with(R"j(, "exports": [{"type": "() -> ()"}])j"), "exports.0.name");
  refused(with(R"(, "limits": 5)"), "limits");
  refused(with(R"(, "limits": {"fuel": true})"), "limits.fuel");
  refused(with(R"(, "limits": {"fuel": -1})"), "limits.fuel");
  refused(with(R"(, "limits": {"fuel": 1.5})"), "limits.fuel");
  refused(with(R"(, "limits": {"fuel": "lots"})"), "limits.fuel");
  refused(with(R"(, "limits": {"fuel_per_kib": null})"), "limits.fuel_per_kib");
  refused(with(R"(, "limits": {"memory": []})"), "limits.memory");
  refused(with(R"(, "limits": {"memory": "16 parsecs"})"), "limits.memory");
  refused(with(R"(, "limits": {"timeout": 50})"), "limits.timeout");
  refused(with(R"(, "limits": {"timeout": "soon"})"), "limits.timeout");
  refused(with(R"(, "limits": {"max_input": false})"), "limits.max_input");
  refused(with(R"(, "limits": {"max_output": {}})"), "limits.max_output");
  refused(with(R"(, "limits": {"max_module": -5})"), "limits.max_module");
  refused(with(R"(, "limits": {"max_log": "1kb of text"})"), "limits.max_log");
  refused(R"({"name": "a.b", "input_schema": 5, "output_schema": {}})", "input_schema");
  refused(R"({"name": "a.b", "input_schema": {}, "output_schema": "object"})", "output_schema");
  refused(with(R"(, "config_schema": [])"), "config_schema");
  Error root = refused("[1, 2]", "(root)");
  EXPECT_NE(root.message.find("object"), std::string::npos) << root.message;
}

TEST(ExtensionPointTest, LimitsThatCannotWorkAreRefused) {
  refused(with(R"(, "limits": {"fuel": 0})"), "limits.fuel");
  refused(with(R"(, "limits": {"memory": 1000})"), "limits.memory");
  refused(with(R"(, "limits": {"timeout": "0ms"})"), "limits.timeout");
  refused(with(R"(, "limits": {"max_module": 0})"), "limits.max_module");
}

TEST(ExtensionPointTest, NamesMustBeDotted) {
  // As JSON string literals.
  for (const char* bad : {R"("a..b")", R"(".a")", R"("a.")", R"("a b")", R"("checkout/discounts")",
                          R"("check\"out")", R"("caf\u00e9.x")"}) {
    std::string json = R"({"name": )" + std::string(bad) + ", " + kSchemas + "}";
    Error error = refused(json, "name");
    EXPECT_NE(error.message.find("dotted"), std::string::npos) << bad << ": " << error.message;
  }
  EXPECT_FALSE(registry::is_valid_extension_point_name(std::string(200, 'a')));
  for (const char* good : {"checkout.discounts", "checkout.delivery_customization", "a.b-c.D9", "payments"}) {
    EXPECT_TRUE(registry::is_valid_extension_point_name(good)) << good;
    parsed(with("", good));
  }
}

TEST(ExtensionPointTest, UnknownAbiAndCombineAreRefused) {
  Error abi = refused(with(R"(, "abi": "wasi-reactor")"), "abi");
  EXPECT_NE(abi.message.find("wasi-reactor"), std::string::npos) << abi.message;
  EXPECT_NE(abi.message.find("wasi-command"), std::string::npos) << abi.message;
  Error combine = refused(with(R"(, "combine": "every")"), "combine");
  EXPECT_NE(combine.message.find("single, chain, all"), std::string::npos) << combine.message;
  EXPECT_EQ(parsed(with(R"(, "abi": "wasi-command", "combine": "single")")).abi, "wasi-command");
}

TEST(ExtensionPointTest, ValidateInputIsASampleRateFromZeroToOne) {
  refused(with(R"(, "validate_input": 1.5)"), "validate_input");
  refused(with(R"(, "validate_input": -0.1)"), "validate_input");
  refused(with(R"(, "validate_input": 2)"), "validate_input");
  EXPECT_EQ(parsed(with(R"(, "validate_input": 0)")).validate_input, 0.0);
  EXPECT_EQ(parsed(with(R"(, "validate_input": 0.25)")).validate_input, 0.25);
  EXPECT_EQ(parsed(with(R"(, "validate_input": 1)")).validate_input, 1.0);
  EXPECT_EQ(parsed(with(R"(, "validate_input": false)")).validate_input, 0.0);
  EXPECT_EQ(parsed(with(R"(, "validate_input": true)")).validate_input, 1.0);
}

TEST(ExtensionPointTest, BadSchemasAreRefusedNamingTheSchema) {
  refused(R"({"name": "a.b", "input_schema": {"type": 5}, "output_schema": {}})", "input_schema");
  refused(R"({"name": "a.b", "input_schema": {}, "output_schema": {"type": "objekt"}})", "output_schema");
  refused(with(R"(, "config_schema": {"required": "tag"})"), "config_schema");
  refused(with(R"(, "config_schema": {"properties": {"x": {"minimum": "one"}}})"), "config_schema");
  refused(R"({"name": "a.b", "input_schema": {"pattern": "("}, "output_schema": {}})", "input_schema");
}

TEST(ExtensionPointTest, UnknownSchemaDialectIsRefused) {
  Error draft4 = refused(
      R"({"name": "a.b", "input_schema": {"$schema": "http://json-schema.org/draft-04/schema#"}, "output_schema": {}})",
      "input_schema");
  EXPECT_NE(draft4.message.find("$schema"), std::string::npos) << draft4.message;
  refused(R"({"name": "a.b", "input_schema": {}, "output_schema": {"$schema": "https://example.com/my-dialect"}})",
          "output_schema");
  // Draft 7's own URI is accepted.
  parsed(R"({"name": "a.b", "input_schema": {"$schema": "http://json-schema.org/draft-07/schema#"},
             "output_schema": {}})");
}

TEST(ExtensionPointTest, RemoteRefsAreRefused) {
  Error remote = refused(
      R"({"name": "a.b", "input_schema": {"$ref": "http://example.com/s.json"}, "output_schema": {}})",
      "input_schema");
  EXPECT_NE(remote.message.find("$ref"), std::string::npos) << remote.message;
  refused(R"({"name": "a.b", "input_schema": {"type": "object", "properties": {"cart":
             {"$ref": "https://example.com/cart.json#/definitions/cart"}}}, "output_schema": {}})",
          "input_schema");
  refused(with(R"(, "config_schema": {"$ref": "other.json"})"), "config_schema");
  // A local reference is fine.
  parsed(R"({"name": "a.b", "input_schema": {"definitions": {"n": {"type": "integer"}},
             "properties": {"count": {"$ref": "#/definitions/n"}}}, "output_schema": {}})");
}

TEST(ExtensionPointTest, InputSchemaMayNotDeclareConfig) {
  Error declared = refused(
      R"({"name": "a.b", "input_schema": {"type": "object", "properties": {"config": {"type": "object"}}},
          "output_schema": {}})",
      "input_schema");
  EXPECT_NE(declared.message.find("config"), std::string::npos) << declared.message;
  refused(R"({"name": "a.b", "input_schema": {"required": ["config"]}, "output_schema": {}})", "input_schema");
  refused(R"({"name": "a.b", "input_schema": {"allOf": [{"properties": {"config": {}}}]}, "output_schema": {}})",
          "input_schema");
  // Deeper down, "config" is an ordinary name; and the output may have one.
  parsed(R"({"name": "a.b", "input_schema": {"properties": {"cart": {"properties": {"config": {}}}}},
             "output_schema": {"properties": {"config": {}}}})");
}

TEST(ExtensionPointTest, RequiredFieldsAreNamed) {
  Error name = refused(std::string("{") + kSchemas + "}", "name");
  EXPECT_NE(name.message.find("required"), std::string::npos) << name.message;
  refused(R"({"name": "", "input_schema": {}, "output_schema": {}})", "name");
  Error input = refused(R"({"name": "a.b", "output_schema": {}})", "input_schema");
  EXPECT_NE(input.message.find("required"), std::string::npos) << input.message;
  Error output = refused(R"({"name": "a.b", "input_schema": {}})", "output_schema");
  EXPECT_NE(output.message.find("required"), std::string::npos) << output.message;
}

TEST(ExtensionPointTest, TextThatIsNotJsonGivesTheOffset) {
  const std::string text = R"({"name": "a.b", "input_schema": {}, )";  // ends where a key should be
  auto ep = parse_extension_point(text, "broken.json");
  ASSERT_FALSE(ep);
  EXPECT_EQ(ep.error().kind, ErrorKind::InvalidDefinition);
  ASSERT_TRUE(ep.error().where.offset);
  EXPECT_EQ(*ep.error().where.offset, text.size());
  EXPECT_EQ(ep.error().where.file, "broken.json");
  EXPECT_NE(ep.error().message.find("broken.json"), std::string::npos) << ep.error().message;
  EXPECT_NE(ep.error().message.find("not JSON"), std::string::npos) << ep.error().message;
  EXPECT_NE(ep.error().message.find("offset " + std::to_string(text.size())), std::string::npos)
      << ep.error().message;

  auto trailing = parse_extension_point(with("") + " x", "t.json");
  ASSERT_FALSE(trailing);
  ASSERT_TRUE(trailing.error().where.offset);
  EXPECT_EQ(*trailing.error().where.offset, with("").size() + 1);
  EXPECT_FALSE(parse_extension_point("", "empty.json"));
}

TEST(ExtensionPointTest, SizesAndDurationsAreParsedIntoLimits) {
  ExtensionPoint ep = parsed(with(R"(, "limits": {"fuel": 2000000, "fuel_per_kib": 5000, "memory": "16MiB",
      "timeout": "50ms", "max_input": "64KiB", "max_output": 20000, "max_module": "1MiB", "max_log": "2KiB"})"));
  EXPECT_EQ(ep.limits.fuel, 2'000'000u);
  EXPECT_EQ(ep.limits.fuel_per_kib, 5'000u);
  EXPECT_EQ(ep.limits.memory, 16u << 20);
  EXPECT_EQ(ep.limits.timeout, std::chrono::milliseconds(50));
  EXPECT_EQ(ep.limits.max_input, 64u * 1024u);
  EXPECT_EQ(ep.limits.max_output, 20'000u);
  EXPECT_EQ(ep.limits.max_module, 1u << 20);
  EXPECT_EQ(ep.limits.max_log, 2048u);

  ExtensionPoint seconds = parsed(with(R"(, "limits": {"timeout": "2s", "memory": 131072, "fuel": "750000"})"));
  EXPECT_EQ(seconds.limits.timeout, std::chrono::seconds(2));
  EXPECT_EQ(seconds.limits.memory, 131072u);
  EXPECT_EQ(seconds.limits.fuel, 750'000u);
  // Untouched limits keep their defaults.
  EXPECT_EQ(seconds.limits.max_input, 64'000u);
  EXPECT_EQ(seconds.limits.max_log, 1'000u);
  EXPECT_EQ(parsed(with(R"(, "limits": {"timeout": "1.5s"})")).limits.timeout, std::chrono::milliseconds(1500));
}

TEST(ExtensionPointTest, FuelGrowsWithInputKibibytesAndSaturates) {
  registry::ExtensionPointLimits limits;
  limits.fuel = 1'000;
  limits.fuel_per_kib = 100;
  EXPECT_EQ(limits.fuel_for_input(0), 1'000u);
  EXPECT_EQ(limits.fuel_for_input(1), 1'100u);  // a part of a KiB counts as one
  EXPECT_EQ(limits.fuel_for_input(1024), 1'100u);
  EXPECT_EQ(limits.fuel_for_input(1025), 1'200u);
  EXPECT_EQ(limits.fuel_for_input(64'000), 1'000u + 100u * 63u);  // 62.5 KiB: 63

  registry::ExtensionPointLimits flat;  // no fuel_per_kib: the input's size does not matter
  EXPECT_EQ(flat.fuel_for_input(0), 11'000'000u);
  EXPECT_EQ(flat.fuel_for_input(1u << 30), 11'000'000u);
  EXPECT_EQ(flat.fuel_for_input(UINT64_MAX), 11'000'000u);

  registry::ExtensionPointLimits huge;
  huge.fuel = UINT64_MAX - 50;
  huge.fuel_per_kib = 100;
  EXPECT_EQ(huge.fuel_for_input(0), UINT64_MAX - 50);
  EXPECT_EQ(huge.fuel_for_input(1), UINT64_MAX);  // saturates, never wraps
  huge.fuel = 10;
  huge.fuel_per_kib = UINT64_MAX / 2;
  EXPECT_EQ(huge.fuel_for_input(1024), 10 + UINT64_MAX / 2);
  EXPECT_EQ(huge.fuel_for_input(3 * 1024), UINT64_MAX);
  // The largest inputs: the KiB count itself must not wrap to zero.
  EXPECT_EQ(huge.fuel_for_input(UINT64_MAX), UINT64_MAX);
  EXPECT_EQ(huge.fuel_for_input(UINT64_MAX - 1000), UINT64_MAX);

  // From a definition: fuel + fuel_per_kib × KiB.
  ExtensionPoint ep = parsed(with(R"(, "limits": {"fuel": 11000000, "fuel_per_kib": 100000})"));
  EXPECT_EQ(ep.limits.fuel_for_input(22 * 1024), 11'000'000u + 22u * 100'000u);
}

TEST(ExtensionPointTest, DefaultImportsAreWasiWithoutFilesOrSockets) {
  ExtensionPoint ep = parsed(with(""));
  for (const char* allowed : {"fd_read", "fd_write", "fd_close", "fd_seek", "fd_fdstat_get", "proc_exit",
                              "environ_get", "environ_sizes_get", "args_get", "clock_time_get", "random_get",
                              "poll_oneoff", "sched_yield"}) {
    EXPECT_TRUE(ep.allows_import("wasi_snapshot_preview1", allowed)) << allowed;
  }
  for (const char* refused_call : {"path_open", "path_unlink_file", "path_create_directory", "path_filestat_get",
                                   "sock_accept", "sock_recv", "sock_send", "sock_shutdown", "fd_prestat_get",
                                   "fd_prestat_dir_name"}) {
    EXPECT_FALSE(ep.allows_import("wasi_snapshot_preview1", refused_call)) << refused_call;
  }
  EXPECT_FALSE(ep.allows_import("env", "fd_write"));
  EXPECT_FALSE(ep.allows_import("wasi_unstable", "fd_write"));
  EXPECT_FALSE(ep.allows_import("wasi_snapshot_preview2", "fd_write"));
  EXPECT_FALSE(ep.allows_import("kiln", "log"));
}

TEST(ExtensionPointTest, ExplicitImportsReplaceTheDefault) {
  ExtensionPoint ep = parsed(with(R"(, "imports": ["env.*", "kiln.log"])"));
  EXPECT_FALSE(ep.imports_default);
  ASSERT_EQ(ep.imports.size(), 2u);
  EXPECT_EQ(ep.imports[0].module, "env");
  EXPECT_EQ(ep.imports[0].name, "*");
  EXPECT_EQ(ep.imports[1].module, "kiln");
  EXPECT_EQ(ep.imports[1].name, "log");
  EXPECT_TRUE(ep.allows_import("env", "anything"));
  EXPECT_TRUE(ep.allows_import("env", "memory"));
  EXPECT_TRUE(ep.allows_import("kiln", "log"));
  EXPECT_FALSE(ep.allows_import("kiln", "logf"));
  EXPECT_FALSE(ep.allows_import("kiln", "emit"));
  EXPECT_FALSE(ep.allows_import("environment", "x"));
  EXPECT_FALSE(ep.allows_import("wasi_snapshot_preview1", "fd_write"));  // not listed

  ExtensionPoint none = parsed(with(R"(, "imports": [])"));
  EXPECT_FALSE(none.allows_import("wasi_snapshot_preview1", "fd_write"));

  ExtensionPoint files = parsed(with(R"(, "imports": ["wasi_snapshot_preview1.*"])"));
  EXPECT_TRUE(files.allows_import("wasi_snapshot_preview1", "path_open"));  // listed: the definer's choice
}

TEST(ExtensionPointTest, ImportsAsObjects) {
  ExtensionPoint ep = parsed(with(R"(, "imports": [{"module": "env", "name": "log"}, {"module": "kiln"}])"));
  EXPECT_TRUE(ep.allows_import("env", "log"));
  EXPECT_FALSE(ep.allows_import("env", "other"));
  EXPECT_TRUE(ep.allows_import("kiln", "anything"));
  auto no_module = parse_extension_point(with(R"(, "imports": [{"name": "log"}])"), "ep.json");
  ASSERT_FALSE(no_module);
  EXPECT_NE(no_module.error().message.find("imports.0.module: required"), std::string::npos)
      << no_module.error().message;
  auto unknown = parse_extension_point(with(R"(, "imports": [{"module": "env", "kind": "func"}])"), "ep.json");
  ASSERT_FALSE(unknown);
  EXPECT_NE(unknown.error().message.find("imports.0.kind: unknown field"), std::string::npos)
      << unknown.error().message;
}

TEST(ExtensionPointTest, ExportsAsNamesAndTypedObjects) {
  ExtensionPoint ep = parsed(
      with(R"j(, "exports": ["memory_size", {"name": "calc", "type": "(i32) -> (i32)"}, {"name": "run"}])j"));
  ASSERT_EQ(ep.exports.size(), 4u);
  EXPECT_EQ(ep.exports[0].name, "_start");  // added first, for wasi-command, with its type
  EXPECT_EQ(ep.exports[0].type, "() -> ()");
  EXPECT_EQ(ep.exports[1].name, "memory_size");
  EXPECT_EQ(ep.exports[1].type, "");
  EXPECT_EQ(ep.exports[2].name, "calc");
  EXPECT_EQ(ep.exports[2].type, "(i32) -> (i32)");
  EXPECT_EQ(ep.exports[3].name, "run");

  // Listed already: not added twice.
  ExtensionPoint listed = parsed(with(R"(, "exports": ["_start"])"));
  ASSERT_EQ(listed.exports.size(), 1u);
  EXPECT_EQ(listed.exports[0].name, "_start");
  ExtensionPoint typed = parsed(with(R"j(, "exports": ["helper", {"name": "_start", "type": "() -> ()"}])j"));
  ASSERT_EQ(typed.exports.size(), 2u);
}

TEST(ExtensionPointTest, ModulesAreCheckedAgainstTheContract) {
  ExtensionPoint ep = parsed(with(R"j(, "exports": [{"name": "calc", "type": "(i32) -> (i32)"}])j"));
  auto func = [](const std::string& name, FuncType type) {
    ExportDesc e;
    e.name = name;
    e.kind = ExternKind::Func;
    e.func_type = type;
    e.type = to_string(type);
    return e;
  };
  auto import = [](const std::string& module, const std::string& name) {
    ImportDesc i;
    i.module = module;
    i.name = name;
    return i;
  };
  ModuleInfo good;
  good.imports = {import("wasi_snapshot_preview1", "fd_write")};
  good.exports = {func("_start", {}), func("calc", {{ValType::I32}, {ValType::I32}})};
  EXPECT_TRUE(ep.check_module(good, "good.wasm"));

  ModuleInfo forbidden = good;
  forbidden.imports.push_back(import("wasi_snapshot_preview1", "path_open"));
  forbidden.imports.push_back(import("env", "steal"));
  auto refused_imports = ep.check_module(forbidden, "bad.wasm");
  ASSERT_FALSE(refused_imports);
  EXPECT_EQ(refused_imports.error().kind, ErrorKind::Contract);
  EXPECT_NE(refused_imports.error().message.find("wasi_snapshot_preview1.path_open"), std::string::npos)
      << refused_imports.error().message;
  EXPECT_NE(refused_imports.error().message.find("env.steal"), std::string::npos) << refused_imports.error().message;

  ModuleInfo missing = good;
  missing.exports.pop_back();
  auto no_calc = ep.check_module(missing, "bad.wasm");
  ASSERT_FALSE(no_calc);
  EXPECT_NE(no_calc.error().message.find("does not export calc"), std::string::npos) << no_calc.error().message;

  ModuleInfo mistyped = good;
  mistyped.exports[1] = func("calc", {{ValType::I64}, {ValType::I32}});
  auto wrong = ep.check_module(mistyped, "bad.wasm");
  ASSERT_FALSE(wrong);
  EXPECT_NE(wrong.error().message.find("(i64) -> (i32)"), std::string::npos) << wrong.error().message;
  EXPECT_NE(wrong.error().message.find("(i32) -> (i32)"), std::string::npos) << wrong.error().message;

  ModuleInfo start_takes_args = good;
  start_takes_args.exports[0] = func("_start", {{ValType::I32}, {}});
  auto bad_start = ep.check_module(start_takes_args, "bad.wasm");
  ASSERT_FALSE(bad_start);
  EXPECT_NE(bad_start.error().message.find("_start"), std::string::npos) << bad_start.error().message;

  ModuleInfo not_a_function = good;
  not_a_function.exports[1].kind = ExternKind::Memory;
  not_a_function.exports[1].type = "memory 1";
  auto memory = ep.check_module(not_a_function, "bad.wasm");
  ASSERT_FALSE(memory);
  EXPECT_NE(memory.error().message.find("function"), std::string::npos) << memory.error().message;
}

TEST(ExtensionPointTest, KilnEpCreateRefusesABadFileWithItsExitCode) {
  std::filesystem::path dir = std::filesystem::temp_directory_path() / ("kiln-ep-cli-" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  std::string file = (dir / "bad_ep.json").string();
  std::ofstream(file) << with(R"(, "limits": {"fuel": 100, "cpu_seconds": 2})");
  std::string registry = (dir / "registry.db").string();
  ProcessResult bad = run_kiln({"ep", "create", file, "--registry", registry});
  EXPECT_EQ(bad.exit_code, 25) << bad.err;
  EXPECT_NE(bad.err.find("limits.cpu_seconds"), std::string::npos) << bad.err;
  EXPECT_NE(bad.err.find("bad_ep.json"), std::string::npos) << bad.err;
  EXPECT_EQ(bad.out, "");

  std::ofstream(file, std::ios::trunc) << R"({"name": "a.b", "input_schema": {"$ref": "http://example.com/s.json"},
      "output_schema": {}})";
  ProcessResult remote = run_kiln({"ep", "create", file, "--registry", registry});
  EXPECT_EQ(remote.exit_code, 25) << remote.err;
  EXPECT_NE(remote.err.find("input_schema"), std::string::npos) << remote.err;

  std::ofstream(file, std::ios::trunc) << "{\"name\": ";
  ProcessResult not_json = run_kiln({"ep", "create", file, "--registry", registry});
  EXPECT_EQ(not_json.exit_code, 25) << not_json.err;
  EXPECT_NE(not_json.err.find("offset"), std::string::npos) << not_json.err;

  // Nothing was created by the refusals.
  ProcessResult list = run_kiln({"ep", "list", "--registry", registry});
  EXPECT_EQ(list.exit_code, 0) << list.err;
  EXPECT_EQ(list.out.find("a.b"), std::string::npos) << list.out;
  EXPECT_EQ(list.out.find("checkout.discounts"), std::string::npos) << list.out;
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace kiln::test
