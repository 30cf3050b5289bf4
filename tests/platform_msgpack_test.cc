// MessagePack beside JSON (docs/abi.md, "Formats"): the caller's format per
// call, the guest's per extension point, in all four combinations on both
// ABIs with the discount example; schema errors with their JSON Pointer in
// both formats; MessagePack that has no JSON meaning, is truncated or has
// bytes after it, refused from callers and from guests; `kiln exec
// --format msgpack`; the C API's kiln_executor_execute_with.
#include <gtest/gtest.h>

#include <rapidjson/document.h>

#include "base/json_msgpack.h"
#include "execute/config_splice.h"
#include "execute/exec_result_json.h"
#include "execute/guest_format.h"
#include "kiln/kiln.h"
#include "platform_test_support.h"

namespace kiln::test {
namespace {

using base::DataFormat;
using execute::ExecResult;
using execute::ExecStatus;
using execute::Stage;

const std::string kExampleDir = std::string(KILN_SOURCE_DIR) + "/examples/product_discount";

std::string example_file(const std::string& name) {
  auto text = read_file(kExampleDir + "/" + name);
  return std::string(text.begin(), text.end());
}

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

std::string packed(const std::string& json) {
  auto bytes = base::json_to_msgpack(json, ErrorKind::InvalidInput, "test");
  EXPECT_TRUE(bytes) << bytes.error().message;
  return bytes ? *bytes : std::string();
}

// The output as JSON text, whatever format it came in.
std::string json_of(const ExecResult& r) {
  if (r.output_format == DataFormat::Json) return trimmed(r.output);
  auto json = base::msgpack_to_json(r.output, ErrorKind::InvalidOutput, "output");
  EXPECT_TRUE(json) << json.error().message;
  return json ? *json : std::string();
}

std::string why(const ExecResult& r) { return std::string(to_string(r.status)) + ": " + (r.error ? r.error->message : ""); }

// The discount's four extension points (examples/product_discount): JSON
// and MessagePack guests, each as a wasi-command and a kiln-reactor.
struct Variant {
  const char* definition;
  const char* ep;
  const char* module;
};
const Variant kVariants[] = {
    {"extension_point.json", "checkout.product_discounts", "product_discount.wasm"},
    {"extension_point_reactor.json", "checkout.product_discounts.reactor", "product_discount_reactor.wasm"},
    {"extension_point_msgpack.json", "checkout.product_discounts.msgpack", "product_discount_msgpack.wasm"},
    {"extension_point_msgpack_reactor.json", "checkout.product_discounts.msgpack-reactor",
     "product_discount_msgpack_reactor.wasm"},
};

class MsgpackTest : public PlatformTest {
 protected:
  void deploy_module(const std::string& path, const std::string& ep, const std::string& config) {
    auto bytes = read_file(path);
    deploy::ExtensionDeployRequest request;
    request.module_name = path;
    request.extension_point = ep;
    request.scope = "*";
    request.name = "ext";
    request.config = config;
    request.who = "tester";
    auto deployed = deploy::deploy_extension(*registry_, bytes, request);
    ASSERT_TRUE(deployed) << deployed.error().message;
  }

  void deploy_discounts() {
    for (const Variant& v : kVariants) {
      create_ep(example_file(v.definition));
      deploy_module(std::string(KILN_EXAMPLES_DIR) + "/" + v.module, v.ep, example_file("config.json"));
    }
  }

  // A reactor extension point of the guest's `format` running `entry` of tests/guests/`guest`.
  void bind_reactor(const std::string& ep, const std::string& guest, const std::string& entry, const char* format,
                    const std::string& output_schema = R"({"type": "object"})", const std::string& extra = "") {
    create_ep(R"({"name": ")" + ep + R"(", "abi": "kiln-reactor", "entry": ")" + entry + R"(", "format": ")" +
              format + R"(", "input_schema": {"type": "object", "properties": {"n": {"type": "integer"}}},
              "output_schema": )" + output_schema + R"(, "config_schema": {"type": "object"},
              "limits": {"fuel": 5000000, "timeout": "5s", "max_output": 20000, "memory": "16MiB"})" + extra + "}");
    deploy_module(guest_path(guest), ep, R"({"k": 1})");
  }

  ExecResult call(const std::string& ep, const std::string& input, DataFormat in, DataFormat out) {
    execute::CallOptions options;
    options.input_format = in;
    options.output_format = out;
    return executor().execute(ep, "shop-1", {reinterpret_cast<const uint8_t*>(input.data()), input.size()}, options);
  }
  ExecResult call(const std::string& ep, const std::string& input, DataFormat format) {
    return call(ep, input, format, format);
  }
};

// ---- four combinations, both ABIs, the same answer ---------------------------

TEST_F(MsgpackTest, EveryCallerAndGuestFormatGivesTheSameDiscount) {
  deploy_discounts();
  const std::pair<const char*, const char*> carts[] = {{"input", "expected_output.json"},
                                                       {"input_200_lines", "expected_output_200_lines.json"}};
  for (const auto& [cart, expected_file] : carts) {
    const std::string expected = trimmed(example_file(expected_file));
    const std::string json = example_file(std::string(cart) + ".json");
    const std::string msgpack = example_file(std::string(cart) + ".msgpack");
    for (const Variant& v : kVariants) {
      for (DataFormat caller : {DataFormat::Json, DataFormat::Msgpack}) {
        SCOPED_TRACE(std::string(v.ep) + " called in " + to_string(caller) + " with " + cart);
        const std::string& input = caller == DataFormat::Json ? json : msgpack;
        ExecResult r = call(v.ep, input, caller);
        ASSERT_EQ(r.status, ExecStatus::Ok) << why(r) << "\n" << r.log;
        EXPECT_EQ(r.output_format, caller);
        EXPECT_EQ(json_of(r), expected);
        EXPECT_EQ(r.input_bytes, input.size());  // sizes count the bytes as given
      }
    }
  }
}

TEST_F(MsgpackTest, MixedFormatsInEachDirection) {
  deploy_discounts();
  const std::string expected = trimmed(example_file("expected_output.json"));
  for (const Variant& v : kVariants) {
    SCOPED_TRACE(v.ep);
    ExecResult json_in = call(v.ep, example_file("input.json"), DataFormat::Json, DataFormat::Msgpack);
    ASSERT_EQ(json_in.status, ExecStatus::Ok) << why(json_in);
    EXPECT_EQ(json_in.output_format, DataFormat::Msgpack);
    EXPECT_EQ(json_of(json_in), expected);
    ExecResult msgpack_in = call(v.ep, example_file("input.msgpack"), DataFormat::Msgpack, DataFormat::Json);
    ASSERT_EQ(msgpack_in.status, ExecStatus::Ok) << why(msgpack_in);
    EXPECT_EQ(trimmed(msgpack_in.output), expected);
  }
}

// Same formats: the input goes into the guest once, no conversion; the
// reactor's one copy is the input and its config, nothing else.
TEST_F(MsgpackTest, SameFormatsCopyTheInputOnceAndConvertNothing) {
  deploy_discounts();
  const std::string input = example_file("input.msgpack");
  ExecResult r = call("checkout.product_discounts.msgpack-reactor", input, DataFormat::Msgpack);
  ASSERT_EQ(r.status, ExecStatus::Ok) << why(r);
  const uint64_t config_bytes = execute::config_as_msgpack(example_file("config.json")).size();
  EXPECT_EQ(r.bytes_copied[static_cast<int>(Stage::ValidateInput)], 0u);
  EXPECT_EQ(r.bytes_copied[static_cast<int>(Stage::Serialize)], input.size() + 7 + config_bytes);  // "config" key: 7
  EXPECT_EQ(r.bytes_copied[static_cast<int>(Stage::Run)], 0u);
  EXPECT_EQ(r.bytes_copied[static_cast<int>(Stage::ValidateOutput)], r.output.size());  // the one copy out

  // Mixed: one conversion pass, then the copy into the guest.
  ExecResult mixed = call("checkout.product_discounts.msgpack-reactor", example_file("input.json"), DataFormat::Json);
  ASSERT_EQ(mixed.status, ExecStatus::Ok) << why(mixed);
  const uint64_t serialized = mixed.bytes_copied[static_cast<int>(Stage::Serialize)];
  EXPECT_EQ(serialized % 2, 0u);  // converted bytes, and the same bytes copied once
  EXPECT_GT(serialized, 0u);
}

// ---- schemas, in both formats, with the JSON Pointer ---------------------------

TEST_F(MsgpackTest, InputSchemaErrorsCarryThePointerInBothFormats) {
  deploy_discounts();
  const std::string bad = R"({"cart": {"lines": [{"id": "a", "quantity": 1, "merchandise": {"__typename": "CustomProduct"}},
                                                  {"id": "b", "quantity": 0, "merchandise": {"__typename": "CustomProduct"}}]}})";
  for (const Variant& v : kVariants) {
    for (DataFormat caller : {DataFormat::Json, DataFormat::Msgpack}) {
      SCOPED_TRACE(std::string(v.ep) + " called in " + to_string(caller));
      ExecResult r = call(v.ep, caller == DataFormat::Json ? bad : packed(bad), caller);
      ASSERT_EQ(r.status, ExecStatus::InvalidInput) << why(r);
      ASSERT_TRUE(r.error);
      EXPECT_TRUE(r.error->where.has_json_pointer);
      EXPECT_EQ(r.error->where.json_pointer, "/cart/lines/1/quantity") << r.error->message;
    }
  }
}

TEST_F(MsgpackTest, OutputSchemaErrorsCarryThePointerInBothFormats) {
  // reactor_lies' echo hands the input back: {"n": 5, "config": ...}; the schema wants a string.
  const std::string schema = R"({"type": "object", "properties": {"n": {"type": "string"}}})";
  bind_reactor("test.echo.json", "reactor_lies", "echo", "json", schema);
  bind_reactor("test.echo.msgpack", "reactor_lies", "echo", "msgpack", schema);
  for (const char* ep : {"test.echo.json", "test.echo.msgpack"}) {
    for (DataFormat caller : {DataFormat::Json, DataFormat::Msgpack}) {
      SCOPED_TRACE(std::string(ep) + " called in " + to_string(caller));
      ExecResult r = call(ep, caller == DataFormat::Json ? R"({"n": 5})" : packed(R"({"n": 5})"), caller);
      ASSERT_EQ(r.status, ExecStatus::InvalidOutput) << why(r);
      EXPECT_EQ(r.error->kind, ErrorKind::InvalidOutput);
      EXPECT_EQ(r.error->where.json_pointer, "/n") << r.error->message;
    }
  }
}

// A chain hands a link's output on without checking its shape again only
// when taking the output showed it fit: an echo hands its "config" on, and
// the next link is refused that input, in either format.
TEST_F(MsgpackTest, AChainedOutputCarryingConfigIsRefusedAsTheNextLinksInput) {
  for (const char* format : {"json", "msgpack"}) {
    SCOPED_TRACE(format);
    const std::string ep = std::string("test.echo-chain.") + format;
    bind_reactor(ep, "reactor_lies", "echo", format, R"({"type": "object"})", R"(, "combine": "chain")");
    ASSERT_TRUE(deploy("reactor_lies", "*", "second", R"({"k": 2})", ep, -1));
    const DataFormat caller = std::string(format) == "json" ? DataFormat::Json : DataFormat::Msgpack;
    ExecResult r = call(ep, caller == DataFormat::Json ? R"({"n": 5})" : packed(R"({"n": 5})"), caller);
    ASSERT_EQ(r.extensions.size(), 2u) << why(r);
    EXPECT_EQ(r.extensions[0].status, ExecStatus::Ok);
    EXPECT_EQ(r.extensions[1].status, ExecStatus::InvalidInput);
    ASSERT_TRUE(r.extensions[1].error);
    EXPECT_EQ(r.extensions[1].error->where.json_pointer, "/config") << r.extensions[1].error->message;
  }
}

// A refused output stays in the guest's format, and the result says so: a
// MessagePack caller's envelope (the service's answer) must still be one
// whole MessagePack map carrying it, not a map missing a member.
TEST_F(MsgpackTest, ARefusedJsonOutputReachesAMessagePackCallerInAWholeEnvelope) {
  create_ep(behave_extension_point());
  ASSERT_TRUE(deploy("platform_behave", "*"));
  ExecResult r = call("test.behave", packed(R"({"mode": "badshape"})"), DataFormat::Msgpack);
  ASSERT_EQ(r.status, ExecStatus::InvalidOutput) << why(r);
  EXPECT_EQ(r.output_format, DataFormat::Json);
  auto envelope = base::msgpack_to_json(execute::to_msgpack(r), ErrorKind::InvalidOutput, "envelope");
  ASSERT_TRUE(envelope) << envelope.error().message;
  rapidjson::Document doc;
  doc.Parse(envelope->c_str(), envelope->size());
  ASSERT_FALSE(doc.HasParseError());
  EXPECT_STREQ(doc["status"].GetString(), "invalid output");
  EXPECT_STREQ(doc["output"]["result"].GetString(), "wrong type");
  EXPECT_STREQ(doc["error"]["pointer"].GetString(), "/result");
}

// Same formats in MessagePack: the guest gets the caller's bytes with the
// config spliced in, and the caller gets the guest's bytes — no JSON
// between (a conversion would have written other, wider headers).
TEST_F(MsgpackTest, MessagePackPassesThroughUnconverted) {
  bind_reactor("test.echo.msgpack", "reactor_lies", "echo", "msgpack");
  const std::string input("\x82\xa1n\x05\xa1s\xa2hi", 9);  // {"n": 5, "s": "hi"}
  ExecResult r = call("test.echo.msgpack", input, DataFormat::Msgpack);
  ASSERT_EQ(r.status, ExecStatus::Ok) << why(r);
  EXPECT_EQ(r.output, std::string("\x83\xa1n\x05\xa1s\xa2hi\xa6" "config\x81\xa1k\x01", 20));
}

// ---- MessagePack that has no JSON meaning, or is not one value -----------------

TEST_F(MsgpackTest, BadMessagePackInputIsRefusedSayingWhere) {
  bind_reactor("test.echo.msgpack", "reactor_lies", "echo", "msgpack");
  bind_reactor("test.echo.unchecked", "reactor_lies", "echo", "msgpack", R"({"type": "object"})",
               R"(, "validate_input": 0)");
  struct Case {
    std::string bytes, pointer, says;
  };
  const std::string nan("\x81\xa1" "f\xcb\x7f\xf8\x00\x00\x00\x00\x00\x00", 12);
  const Case cases[] = {
      {std::string("\x82\xa1n\x01", 4), "", "truncated"},
      {std::string("\x80\x00", 2), "", "1 bytes after the MessagePack value"},
      {std::string("\x81\xa1" "b\xc4\x01\x00", 6), "/b", "binary"},
      {std::string("\x81\xa1" "e\xd4\x01\x00", 6), "/e", "extension"},
      {std::string("\x81\x01\x02", 3), "", "not a string"},
      {nan, "/f", "NaN"},
      {std::string("\x81\xa4" "cart\x81\xa5lines\x91\x81\xa1x\xc7\x00\x01", 20), "/cart/lines/0/x", "extension"},
      {std::string("\x90", 1), "", "the root must be a map"},
      {std::string("\x81\xa6" "config\x80", 9), "/config", "config"},
      {std::string(), "", "truncated"},
  };
  for (const char* ep : {"test.echo.msgpack", "test.echo.unchecked"}) {
    for (const Case& c : cases) {
      SCOPED_TRACE(std::string(ep) + ": " + c.says);
      ExecResult r = call(ep, c.bytes, DataFormat::Msgpack);
      ASSERT_EQ(r.status, ExecStatus::InvalidInput) << why(r);
      EXPECT_EQ(r.error->kind, ErrorKind::InvalidInput);
      EXPECT_NE(r.error->message.find(c.says), std::string::npos) << r.error->message;
      EXPECT_EQ(r.error->where.json_pointer, c.pointer) << r.error->message;
    }
  }
  // A JSON guest's caller in MessagePack: the same refusals.
  bind_reactor("test.echo.json", "reactor_lies", "echo", "json");
  ExecResult r = call("test.echo.json", std::string("\x81\xa1" "b\xc4\x01\x00", 6), DataFormat::Msgpack);
  ASSERT_EQ(r.status, ExecStatus::InvalidInput) << why(r);
  EXPECT_EQ(r.error->where.json_pointer, "/b");
}

TEST_F(MsgpackTest, GuestWritingBadMessagePackIsInvalidOutput) {
  const std::pair<const char*, const char*> entries[] = {{"truncated", "truncated"},
                                                         {"bin", "binary"},
                                                         {"ext", "extension"},
                                                         {"int_key", "not a string"},
                                                         {"trailing", "1 bytes after"}};
  for (const auto& [entry, says] : entries) {
    const std::string ep = std::string("test.lies.") + entry;
    bind_reactor(ep, "msgpack_lies", entry, "msgpack");
    for (DataFormat caller : {DataFormat::Json, DataFormat::Msgpack}) {
      SCOPED_TRACE(ep + " called in " + to_string(caller));
      ExecResult r = call(ep, caller == DataFormat::Json ? "{}" : std::string("\x80", 1), caller);
      ASSERT_EQ(r.status, ExecStatus::InvalidOutput) << why(r);
      EXPECT_EQ(r.error->kind, ErrorKind::InvalidOutput);
      EXPECT_NE(r.error->message.find(says), std::string::npos) << r.error->message;
    }
  }
  // A JSON text is no MessagePack: '{' is the integer 123 and the rest trails it.
  bind_reactor("test.lies.json", "reactor_lies", "ok", "msgpack");
  ExecResult r = call("test.lies.json", std::string("\x80", 1), DataFormat::Msgpack);
  ASSERT_EQ(r.status, ExecStatus::InvalidOutput) << why(r);
  EXPECT_NE(r.error->message.find("bytes after the MessagePack value"), std::string::npos) << r.error->message;
}

TEST_F(MsgpackTest, FormatIsValidatedInTheDefinition) {
  auto refused = registry::parse_extension_point(
      R"({"name": "a.b", "format": "cbor", "input_schema": {}, "output_schema": {}})", "ep.json");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().kind, ErrorKind::InvalidDefinition);
  EXPECT_NE(refused.error().message.find("format"), std::string::npos) << refused.error().message;
  auto json = registry::parse_extension_point(R"({"name": "a.b", "input_schema": {}, "output_schema": {}})", "ep.json");
  ASSERT_TRUE(json) << json.error().message;
  EXPECT_EQ(json->format, DataFormat::Json);
}

// combine all: the links speak JSON to the reducer whatever the guests'
// format; a MessagePack caller's input and output convert at the call's edges.
TEST_F(MsgpackTest, SeveralMessagePackGuestsAtOnePoint) {
  std::string definition = example_file("extension_point_msgpack_reactor.json");
  const std::string name = R"("name": "checkout.product_discounts.msgpack-reactor")";
  definition.replace(definition.find(name), name.size(), R"("name": "checkout.all-msgpack")");
  const std::string single = R"("combine": "single")";
  definition.replace(definition.find(single), single.size(),
                     R"("combine": "all", "reduce": {"op": "concat", "pointer": "/discounts"})");
  create_ep(definition);
  const std::string module = std::string(KILN_EXAMPLES_DIR) + "/product_discount_msgpack_reactor.wasm";
  for (const char* ext : {"first", "second"}) {
    auto bytes = read_file(module);
    deploy::ExtensionDeployRequest request;
    request.module_name = module;
    request.extension_point = "checkout.all-msgpack";
    request.scope = "*";
    request.name = ext;
    request.config = example_file("config.json");
    request.who = "tester";
    auto deployed = deploy::deploy_extension(*registry_, bytes, request);
    ASSERT_TRUE(deployed) << deployed.error().message;
  }
  for (DataFormat caller : {DataFormat::Json, DataFormat::Msgpack}) {
    SCOPED_TRACE(to_string(caller));
    ExecResult r = call("checkout.all-msgpack",
                        example_file(caller == DataFormat::Json ? "input.json" : "input.msgpack"), caller);
    ASSERT_EQ(r.status, ExecStatus::Ok) << why(r);
    ASSERT_EQ(r.extensions.size(), 2u);
    EXPECT_EQ(r.output_format, caller);
    rapidjson::Document out;
    const std::string json = json_of(r);
    out.Parse(json.c_str(), json.size());
    ASSERT_TRUE(out.IsObject()) << json;
    EXPECT_EQ(out["discounts"].Size(), 2u) << json;  // one discount from each
  }
}

// combine chain: the links hand MessagePack on as it is (examples/chain_link
// gives back its input minus the config), so three links return the
// caller's bytes unchanged; a JSON caller converts once at each end.
TEST_F(MsgpackTest, AChainOfMessagePackLinksPassesBytesOn) {
  auto definition = read_file(std::string(KILN_SOURCE_DIR) + "/examples/chain_link/extension_point.json");
  create_ep(std::string(definition.begin(), definition.end()));
  const std::string module = std::string(KILN_EXAMPLES_DIR) + "/chain_link_msgpack_reactor.wasm";
  int64_t priority = 3;
  for (const char* ext : {"link-1", "link-2", "link-3"}) {
    auto bytes = read_file(module);
    deploy::ExtensionDeployRequest request;
    request.module_name = module;
    request.extension_point = "bench.chain-link";
    request.scope = "*";
    request.name = ext;
    request.priority = priority--;
    request.who = "tester";
    auto deployed = deploy::deploy_extension(*registry_, bytes, request);
    ASSERT_TRUE(deployed) << deployed.error().message;
  }
  const std::string input = example_file("input.msgpack");
  ExecResult r = call("bench.chain-link", input, DataFormat::Msgpack);
  ASSERT_EQ(r.status, ExecStatus::Ok) << why(r);
  ASSERT_EQ(r.extensions.size(), 3u);
  EXPECT_EQ(r.output, input);
  ExecResult json = call("bench.chain-link", example_file("input.json"), DataFormat::Json);
  ASSERT_EQ(json.status, ExecStatus::Ok) << why(json);
  auto expected = base::msgpack_to_json(input, ErrorKind::InvalidInput, "input");
  ASSERT_TRUE(expected);
  EXPECT_EQ(json.output, *expected);
}

// The config goes into a MessagePack map by rewriting its count: fixmap
// (up to 15), map16, map32 — the members' bytes untouched.
TEST(MsgpackConfigSplice, TheMapHeaderGrowsWithItsCount) {
  for (int members : {0, 14, 15, 65535}) {
    SCOPED_TRACE(members);
    std::string json = "{";
    for (int i = 0; i < members; ++i) json += (i ? ",\"k" : "\"k") + std::to_string(i) + "\":" + std::to_string(i);
    json += "}";
    const std::string input = packed(json);
    const std::string config = execute::config_as_msgpack(R"({"tag": "x"})");
    auto splice = execute::ConfigSplice::msgpack({reinterpret_cast<const uint8_t*>(input.data()), input.size()}, config);
    std::string spliced(splice.size(), '\0');
    splice.write_to(reinterpret_cast<uint8_t*>(spliced.data()));
    auto back = base::msgpack_to_json(spliced, ErrorKind::InvalidInput, "spliced");
    ASSERT_TRUE(back) << back.error().message;
    std::string expected = json.substr(0, json.size() - 1) + (members ? "," : "") + R"("config":{"tag":"x"}})";
    EXPECT_EQ(*back, expected);
  }
}

// ---- the CLI and the C API ------------------------------------------------------

TEST_F(MsgpackTest, KilnExecFormatMsgpack) {
  deploy_discounts();
  const std::vector<std::string> env = {"KILN_HOME=" + dir_.string()};
  const std::string registry = "--registry=" + registry_path();
  const std::string expected = trimmed(example_file("expected_output.json"));
  for (const Variant& v : kVariants) {
    SCOPED_TRACE(v.ep);
    ProcessResult raw = run_kiln_env({"exec", v.ep, "--scope", "shop-1", "--format", "msgpack", registry, "--input",
                                      kExampleDir + "/input.msgpack"},
                                     env);
    ASSERT_EQ(raw.exit_code, 0) << raw.err;
    auto json = base::msgpack_to_json(raw.out, ErrorKind::InvalidOutput, "stdout");
    ASSERT_TRUE(json) << json.error().message;
    EXPECT_EQ(*json, expected);
    // --json: the result as JSON, the output shown converted.
    ProcessResult shown = run_kiln_env({"exec", v.ep, "--scope", "shop-1", "--format", "msgpack", "--json", registry},
                                       env, example_file("input.msgpack"));
    ASSERT_EQ(shown.exit_code, 0) << shown.err;
    EXPECT_NE(shown.out.find("\"output\":" + expected), std::string::npos) << shown.out;
    EXPECT_NE(shown.out.find("\"output_format\":\"msgpack\""), std::string::npos) << shown.out;
  }
  ProcessResult bad = run_kiln_env({"exec", kVariants[2].ep, "--scope", "shop-1", "--format", "msgpack", registry}, env,
                                   std::string("\x81\xa1" "b\xc4\x01\x00", 6));
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.err.find("/b"), std::string::npos) << bad.err;
  ProcessResult unknown = run_kiln_env({"exec", kVariants[0].ep, "--scope", "shop-1", "--format", "cbor", registry},
                                       env, "{}");
  EXPECT_NE(unknown.exit_code, 0);
}

TEST_F(MsgpackTest, CApiExecuteWithFormats) {
  deploy_discounts();
  kiln_executor_config_t config;
  kiln_executor_config_init(&config);
  const std::string path = registry_path();
  config.registry = path.c_str();
  kiln_executor_t* executor = nullptr;
  ASSERT_EQ(kiln_executor_new(&config, &executor), KILN_OK);
  const std::string input = example_file("input.msgpack");
  const std::string expected = trimmed(example_file("expected_output.json"));
  for (const Variant& v : kVariants) {
    SCOPED_TRACE(v.ep);
    kiln_exec_options_t options;
    kiln_exec_options_init(&options);
    EXPECT_EQ(options.input_format, KILN_FORMAT_JSON);
    options.input_format = KILN_FORMAT_MSGPACK;
    options.output_format = KILN_FORMAT_MSGPACK;
    kiln_exec_result_t* result = nullptr;
    ASSERT_EQ(kiln_executor_execute_with(executor, v.ep, "shop-1", reinterpret_cast<const uint8_t*>(input.data()),
                                         input.size(), &options, &result),
              KILN_OK);
    kiln_exec_details_t details;
    kiln_exec_result_details(result, &details);
    EXPECT_EQ(details.status, KILN_EXEC_OK) << details.error_message;
    EXPECT_EQ(kiln_exec_result_output_format(result), KILN_FORMAT_MSGPACK);
    size_t size = 0;
    const char* output = kiln_exec_result_output(result, &size);
    auto json = base::msgpack_to_json({output, size}, ErrorKind::InvalidOutput, "output");
    ASSERT_TRUE(json) << json.error().message;
    EXPECT_EQ(*json, expected);
    kiln_exec_result_delete(result);
  }
  // Bad MessagePack: invalid input with a pointer; a bad format: an argument error.
  kiln_exec_options_t options;
  kiln_exec_options_init(&options);
  options.input_format = KILN_FORMAT_MSGPACK;
  const std::string bad("\x81\xa1" "b\xc4\x01\x00", 6);
  kiln_exec_result_t* result = nullptr;
  ASSERT_EQ(kiln_executor_execute_with(executor, kVariants[1].ep, "shop-1", reinterpret_cast<const uint8_t*>(bad.data()),
                                       bad.size(), &options, &result),
            KILN_OK);
  kiln_exec_details_t details;
  kiln_exec_result_details(result, &details);
  EXPECT_EQ(details.status, KILN_EXEC_INVALID_INPUT);
  EXPECT_STREQ(details.error_pointer, "/b");
  kiln_exec_result_delete(result);
  options.input_format = static_cast<kiln_data_format_t>(7);
  EXPECT_EQ(kiln_executor_execute_with(executor, kVariants[1].ep, "shop-1", reinterpret_cast<const uint8_t*>(bad.data()),
                                       bad.size(), &options, &result),
            KILN_ERR_INVALID_ARGUMENT);
  kiln_executor_delete(executor);
}

}  // namespace
}  // namespace kiln::test
