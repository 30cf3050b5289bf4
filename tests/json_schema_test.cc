// schema/json_schema.h: what documents pass, the pointers and keywords of
// what fails, which schemas are refused and why, thread safety, and the
// `kiln schema check` command's output and exit codes.
#include "schema/json_schema.h"

#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "tests/test_support.h"

namespace kiln::schema {

// For gtest's messages.
void PrintTo(const SchemaViolation& violation, std::ostream* out) { *out << to_string(violation); }

namespace {

rapidjson::Document json(const std::string& text) {
  rapidjson::Document doc;
  doc.Parse(text.c_str());
  EXPECT_FALSE(doc.HasParseError()) << text;
  return doc;
}

JsonSchema compiled(const std::string& text) {
  Result<JsonSchema> schema = JsonSchema::compile_text(text, "input_schema");
  EXPECT_TRUE(schema.ok()) << (schema.ok() ? "" : schema.error().message);
  if (!schema.ok()) std::abort();
  return std::move(schema).value();
}

Error refused(const std::string& text) {
  Result<JsonSchema> schema = JsonSchema::compile_text(text, "input_schema");
  EXPECT_FALSE(schema.ok()) << "accepted: " << text;
  if (schema.ok()) return {};
  EXPECT_EQ(schema.error().kind, ErrorKind::InvalidDefinition) << schema.error().message;
  EXPECT_NE(schema.error().message.find("input_schema"), std::string::npos) << schema.error().message;
  return schema.error();
}

std::string all_text(const std::vector<SchemaViolation>& violations) {
  std::string text;
  for (const auto& v : violations) text += to_string(v) + "\n";
  return text;
}

const char* kCartSchema = R"({
  "$schema": "http://json-schema.org/draft-07/schema#",
  "type": "object",
  "required": ["cart"],
  "properties": {
    "cart": {
      "type": "object",
      "required": ["lines"],
      "properties": {
        "lines": {
          "type": "array",
          "items": {
            "type": "object",
            "required": ["sku", "quantity"],
            "properties": {
              "sku": {"type": "string", "minLength": 1},
              "quantity": {"type": "integer", "minimum": 1}
            }
          }
        }
      }
    }
  }
})";

TEST(JsonSchema, AcceptsAValidDocument) {
  JsonSchema schema = compiled(kCartSchema);
  rapidjson::Document doc = json(R"({"cart": {"lines": [{"sku": "A", "quantity": 2}]}})");
  EXPECT_TRUE(schema.valid(doc));
  EXPECT_TRUE(schema.validate(doc).empty());
  EXPECT_TRUE(schema.check(doc, ErrorKind::InvalidInput).ok());
}

TEST(JsonSchema, NamesTheNestedValueKeywordAndLimit) {
  JsonSchema schema = compiled(kCartSchema);
  rapidjson::Document doc = json(R"({"cart": {"lines": [{"sku": "A", "quantity": 2}, {"sku": "B", "quantity": 0}]}})");
  EXPECT_FALSE(schema.valid(doc));
  std::vector<SchemaViolation> violations = schema.validate(doc);
  ASSERT_EQ(violations.size(), 1u) << all_text(violations);
  EXPECT_EQ(violations[0], (SchemaViolation{"/cart/lines/1/quantity", "minimum", "must be >= 1"}));
  Result<void> checked = schema.check(doc, ErrorKind::InvalidInput);
  ASSERT_FALSE(checked.ok());
  EXPECT_EQ(checked.error().kind, ErrorKind::InvalidInput);
  EXPECT_EQ(checked.error().message, "/cart/lines/1/quantity: must be >= 1 (minimum)");
  EXPECT_TRUE(checked.error().where.has_json_pointer);
  EXPECT_EQ(checked.error().where.json_pointer, "/cart/lines/1/quantity");
}

TEST(JsonSchema, ListsEveryViolationMostSpecificFirst) {
  JsonSchema schema = compiled(kCartSchema);
  rapidjson::Document doc = json(R"({"cart": {"lines": [{"quantity": 1.5}, {"sku": ""}, 7]}})");
  std::vector<SchemaViolation> violations = schema.validate(doc);
  std::vector<SchemaViolation> expected = {
      {"/cart/lines/0/quantity", "type", "must not be a number (the type is not allowed)"},
      {"/cart/lines/1/sku", "minLength", "must be at least 1 characters long"},
      {"/cart/lines/0", "required", "missing required property \"sku\""},
      {"/cart/lines/1", "required", "missing required property \"quantity\""},
      {"/cart/lines/2", "type", "must not be an integer (the type is not allowed)"},
  };
  EXPECT_EQ(violations, expected) << all_text(violations);
  Result<void> checked = schema.check(doc, ErrorKind::InvalidOutput);
  ASSERT_FALSE(checked.ok());
  EXPECT_EQ(checked.error().kind, ErrorKind::InvalidOutput);
  EXPECT_EQ(checked.error().where.json_pointer, "/cart/lines/0/quantity");

  rapidjson::Document root = json(R"([])");
  EXPECT_EQ(schema.validate(root),
            (std::vector<SchemaViolation>{{"", "type", "must not be an array (the type is not allowed)"}}));
  EXPECT_EQ(to_string(schema.validate(root)[0]), "(root): must not be an array (the type is not allowed) (type)");
}

TEST(JsonSchema, EscapesPointerTokens) {
  JsonSchema schema = compiled(R"({"properties": {"a/b": {"type": "string"}, "m~n": {"maximum": 3},
                                   "": {"const": 1}, "x": {"additionalProperties": false}}})");
  std::vector<SchemaViolation> violations =
      schema.validate(json(R"({"a/b": 1, "m~n": 4, "": 2, "x": {"~/": 0}})"));
  auto has = [&](const std::string& pointer, const std::string& keyword) {
    for (const auto& v : violations) {
      if (v.pointer == pointer && v.keyword == keyword) return true;
    }
    return false;
  };
  EXPECT_TRUE(has("/a~1b", "type")) << all_text(violations);
  EXPECT_TRUE(has("/m~0n", "maximum")) << all_text(violations);
  EXPECT_TRUE(has("/", "const")) << all_text(violations);
  EXPECT_TRUE(has("/x/~0~1", "additionalProperties")) << all_text(violations);
  EXPECT_EQ(violations.size(), 4u) << all_text(violations);
}

// Every keyword, its pointer and its name: this also holds each of
// valijson 1.0's sentences to the keyword it stands for.
TEST(JsonSchema, NamesEveryKeyword) {
  struct Case {
    const char* schema;
    const char* document;
    const char* pointer;
    const char* keyword;
    const char* message;
  };
  const Case cases[] = {
      {R"({"type": "string"})", "1", "", "type", "must not be an integer (the type is not allowed)"},
      {R"({"enum": [1, 2]})", "3", "", "enum", "must be one of the allowed values"},
      {R"({"const": "x"})", R"("y")", "", "const", "must be equal to the constant"},
      {R"({"maximum": 2.5})", "3", "", "maximum", "must be <= 2.5"},
      {R"({"exclusiveMaximum": 3})", "3", "", "exclusiveMaximum", "must be < 3"},
      {R"({"minimum": -1})", "-2", "", "minimum", "must be >= -1"},
      {R"({"exclusiveMinimum": 0})", "0", "", "exclusiveMinimum", "must be > 0"},
      {R"({"multipleOf": 3})", "4", "", "multipleOf", "must be a multiple of 3"},
      {R"({"multipleOf": 0.5})", "0.3", "", "multipleOf", "must be a multiple of 0.5"},
      {R"({"maxLength": 2})", R"("abc")", "", "maxLength", "must be at most 2 characters long"},
      {R"({"minLength": 2})", R"("a")", "", "minLength", "must be at least 2 characters long"},
      {R"({"maxItems": 1})", "[1, 2]", "", "maxItems", "must have at most 1 items"},
      {R"({"minItems": 3})", "[1, 2]", "", "minItems", "must have at least 3 items"},
      {R"({"uniqueItems": true})", "[1, 2, 1]", "", "uniqueItems", "must have unique items (items 0 and 2 are equal)"},
      {R"({"maxProperties": 1})", R"({"a": 1, "b": 2})", "", "maxProperties", "must have at most 1 properties"},
      {R"({"minProperties": 1})", "{}", "", "minProperties", "must have at least 1 properties"},
      {R"({"pattern": "^[a-z]+$"})", R"("A")", "", "pattern", "must match the pattern"},
      {R"({"required": ["id"]})", "{}", "", "required", "missing required property \"id\""},
      {R"({"dependencies": {"a": ["b"]}})", R"({"a": 1})", "", "dependencies",
       "missing property \"b\", which another property depends on"},
      {R"({"dependencies": {"a": {"required": ["c"]}}})", R"({"a": 1})", "", "required",
       "missing required property \"c\""},
      {R"({"properties": {"a": {}}, "additionalProperties": false})", R"({"a": 1, "b": 2})", "/b",
       "additionalProperties", "is not allowed (no property of that name)"},
      {R"({"additionalProperties": {"type": "string"}})", R"({"b": 2})", "/b", "type",
       "must not be an integer (the type is not allowed)"},
      {R"({"patternProperties": {"^n_": {"type": "number"}}})", R"({"n_1": "x"})", "/n_1", "type",
       "must not be a string (the type is not allowed)"},
      {R"({"items": [{"type": "string"}], "additionalItems": false})", R"(["a", 1])", "", "additionalItems",
       "has more items than `items` allows"},
      {R"({"items": [{}], "additionalItems": {"type": "string"}})", R"([0, 1])", "/1", "type",
       "must not be an integer (the type is not allowed)"},
      {R"({"items": [{"type": "string"}]})", R"([1])", "/0", "type", "must not be an integer (the type is not allowed)"},
      {R"({"anyOf": [{"type": "string"}, {"minimum": 5}]})", "1", "", "anyOf",
       "must match at least one of the allowed schemas"},
      {R"({"oneOf": [{"type": "string"}, {"minimum": 5}]})", "1", "", "oneOf",
       "must match exactly one of the allowed schemas (it matches none)"},
      {R"({"oneOf": [{"type": "integer"}, {"minimum": 0}]})", "1", "", "oneOf",
       "must match exactly one of the allowed schemas (it matches more than one)"},
      {R"({"allOf": [{"type": "integer"}, {"minimum": 5}]})", "1", "", "minimum", "must be >= 5"},
      {R"({"not": {"type": "integer"}})", "1", "", "not", "must not match the `not` schema"},
      {R"({"contains": {"const": 3}})", "[1, 2]", "", "contains",
       "must contain an item that matches the `contains` schema"},
      {R"({"if": {"type": "integer"}, "then": {"minimum": 3}})", "1", "", "minimum", "must be >= 3"},
      {R"({"if": {"type": "integer"}, "else": {"maxLength": 1}})", R"("ab")", "", "maxLength",
       "must be at most 1 characters long"},
      // A false subschema says nothing itself: the property it guards is named.
      {R"({"properties": {"a": false}})", R"({"a": 1})", "/a", "properties", "does not match its schema"},
      {R"({"items": false})", R"([1])", "/0", "items", "does not match the items schema"},
      {R"({"allOf": [false]})", "1", "", "allOf", "does not match all of the allOf schemas"},
      {"false", "1", "", "false", "no value is allowed (the schema is false)"},
      // valijson says nothing for propertyNames: the value is named.
      {R"({"propertyNames": {"maxLength": 2}})", R"({"abc": 1})", "", "", "does not match the schema"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(std::string(c.schema) + " with " + c.document);
    JsonSchema schema = compiled(c.schema);
    rapidjson::Document doc = json(c.document);
    EXPECT_FALSE(schema.valid(doc));
    std::vector<SchemaViolation> violations = schema.validate(doc);
    ASSERT_FALSE(violations.empty());
    EXPECT_EQ(violations[0], (SchemaViolation{c.pointer, c.keyword, c.message})) << all_text(violations);
  }
}

TEST(JsonSchema, IntegerMeansNoFractionalPartAsRapidJsonParsedIt) {
  JsonSchema schema = compiled(R"({"type": "integer"})");
  EXPECT_TRUE(schema.valid(json("1")));
  EXPECT_TRUE(schema.valid(json("-9007199254740993")));
  EXPECT_FALSE(schema.valid(json("1.5")));
  EXPECT_FALSE(schema.valid(json(R"("1")")));
}

TEST(JsonSchema, BooleanSchemas) {
  JsonSchema yes = compiled("true");
  JsonSchema no = compiled("false");
  for (const char* doc : {"1", "null", "{}", R"({"a": [1]})"}) {
    EXPECT_TRUE(yes.valid(json(doc))) << doc;
    EXPECT_FALSE(no.valid(json(doc))) << doc;
    EXPECT_FALSE(no.check(json(doc), ErrorKind::InvalidConfig).ok());
  }
}

TEST(JsonSchema, LocalRefsAndDefinitions) {
  JsonSchema schema = compiled(R"({
    "definitions": {
      "money": {"type": "integer", "minimum": 0},
      "node": {"type": "object", "properties": {"value": {"$ref": "#/definitions/money"},
                                                "children": {"type": "array", "items": {"$ref": "#/definitions/node"}}}},
      "a~b/c": {"type": "string"}
    },
    "properties": {"total": {"$ref": "#/definitions/money"}, "tree": {"$ref": "#/definitions/node"},
                   "odd": {"$ref": "#/definitions/a~0b~1c"}, "self": {"$ref": "#"}}
  })");
  EXPECT_TRUE(schema.valid(json(R"({"total": 5, "tree": {"value": 1, "children": [{"value": 2}]}, "odd": "x"})")));
  EXPECT_EQ(schema.validate(json(R"({"tree": {"children": [{"children": [{"value": -1}]}]}})")),
            (std::vector<SchemaViolation>{{"/tree/children/0/children/0/value", "minimum", "must be >= 0"}}));
  EXPECT_EQ(schema.validate(json(R"({"odd": 1})"))[0].pointer, "/odd");
  EXPECT_EQ(schema.validate(json(R"({"self": {"total": -1}})"))[0].pointer, "/self/total");
}

TEST(JsonSchema, AcceptsDraft7SchemaUriWithOrWithoutHash) {
  compiled(R"({"$schema": "http://json-schema.org/draft-07/schema#"})");
  compiled(R"({"$schema": "http://json-schema.org/draft-07/schema"})");
  compiled(R"({"$id": "https://example.com/cart.schema.json", "type": "object"})");
}

TEST(JsonSchema, RefusesWhatItCannotHonour) {
  struct Case {
    const char* schema;
    const char* pointer;
    const char* says;
  };
  const Case cases[] = {
      {"5", "", "a schema must be a JSON object or a boolean, not an integer"},
      {R"("object")", "", "not a string"},
      {"[]", "", "not an array"},
      {"null", "", "not null"},
      {R"({"$schema": "http://json-schema.org/draft-04/schema#"})", "/$schema", "draft 7 only"},
      {R"({"$schema": "https://json-schema.org/draft/2019-09/schema"})", "/$schema", "draft 7 only"},
      {R"({"$schema": 7})", "/$schema", "unsupported $schema"},
      {R"({"$ref": "http://example.com/other.json"})", "/$ref", "\"http://example.com/other.json\" is not supported"},
      {R"({"properties": {"a": {"$ref": "other.json#/x"}}})", "/properties/a/$ref", "inside the same schema"},
      {R"({"items": {"$ref": "#foo"}})", "/items/$ref", "plain-name fragments"},
      {R"({"type": 5})", "/type", "not a valid draft 7 schema"},
      {R"({"properties": {"a": {"type": "strnig"}}})", "/properties/a/type", "not a valid draft 7 schema"},
      {R"({"minLength": -1})", "/minLength", "must be >= 0"},
      {R"({"required": "a"})", "/required", "not a valid draft 7 schema"},
      {R"({"pattern": "("})", "/pattern", "not a valid ECMAScript regular expression"},
      {R"({"patternProperties": {"[": {}}})", "/patternProperties/[", "not a valid ECMAScript regular expression"},
      {R"({"$ref": "#/definitions/missing"})", "/$ref", "points at nothing"},
      {R"({"$ref": "#"})", "/$ref", "circle of $refs"},
      {R"({"properties": {"a": {"$ref": "#/definitions/b"}}, "definitions": {"b": {"$ref": "#/properties/a"}}})",
       "/properties/a/$ref", "circle of $refs"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.schema);
    Error error = refused(c.schema);
    EXPECT_NE(error.message.find(c.says), std::string::npos) << error.message;
    EXPECT_TRUE(error.where.has_json_pointer);
    EXPECT_EQ(error.where.json_pointer, c.pointer) << error.message;
  }
  Error error = refused(R"({"type": 5})");
  EXPECT_EQ(error.message.substr(0, 28), "input_schema: at /type: not ") << error.message;

  Error not_json = refused(R"({"type": )");
  EXPECT_NE(not_json.message.find("not JSON"), std::string::npos) << not_json.message;
  EXPECT_EQ(not_json.where.offset, 9u);

  rapidjson::Document number = json("5");
  Result<JsonSchema> direct = JsonSchema::compile(number, "output_schema");
  ASSERT_FALSE(direct.ok());
  EXPECT_EQ(direct.error().message.rfind("output_schema: ", 0), 0u) << direct.error().message;
}

TEST(JsonSchema, FormatIsAnAnnotationOnly) {
  JsonSchema schema = compiled(R"({"properties": {"at": {"format": "date-time"}, "format": {"type": "string"}}})");
  EXPECT_TRUE(schema.valid(json(R"({"at": "not a date"})")));
  EXPECT_TRUE(schema.valid(json(R"({"at": 5})")));
  // A property named "format" is still checked.
  EXPECT_FALSE(schema.valid(json(R"({"format": 5})")));
}

// libstdc++'s std::regex recurses per character: a long string would
// overflow the stack. kiln refuses to match more than 1024 bytes.
TEST(JsonSchema, PatternsAreMatchedOnlyAgainstBoundedStrings) {
  JsonSchema schema = compiled(R"({"properties": {"code": {"pattern": "^(a|b)*$"}, "free": {"type": "string"}},
                                   "propertyNames": {"pattern": "^[a-z]+$"}})");
  rapidjson::Document doc;
  doc.SetObject();
  std::string ok(1024, 'a'), long_text(200000, 'a');
  doc.AddMember("code", rapidjson::Value(ok.c_str(), doc.GetAllocator()), doc.GetAllocator());
  doc.AddMember("free", rapidjson::Value(long_text.c_str(), doc.GetAllocator()), doc.GetAllocator());
  EXPECT_TRUE(schema.valid(doc));
  doc["code"].SetString(long_text.c_str(), static_cast<rapidjson::SizeType>(long_text.size()), doc.GetAllocator());
  EXPECT_FALSE(schema.valid(doc));
  EXPECT_EQ(schema.validate(doc),
            (std::vector<SchemaViolation>{
                {"/code", "pattern", "is 200000 bytes long; kiln matches a pattern against at most 1024 bytes"}}));

  JsonSchema names = compiled(R"({"patternProperties": {"^(x|y)*$": {"type": "integer"}}})");
  rapidjson::Document keyed;
  keyed.SetObject();
  rapidjson::Value inner(rapidjson::kObjectType);
  rapidjson::Value long_name(long_text.c_str(), keyed.GetAllocator());
  rapidjson::Value one(1);
  inner.AddMember(long_name, one, keyed.GetAllocator());
  keyed.AddMember("nested", inner, keyed.GetAllocator());
  EXPECT_FALSE(names.valid(keyed));
  std::vector<SchemaViolation> violations = names.validate(keyed);
  ASSERT_EQ(violations.size(), 1u);
  EXPECT_EQ(violations[0].keyword, "patternProperties");
  EXPECT_EQ(violations[0].pointer, "/nested/" + long_text);
  EXPECT_TRUE(names.valid(json(R"({"xy": 1, "other": "s"})")));
  EXPECT_FALSE(names.valid(json(R"({"xy": "s"})")));
}

TEST(JsonSchema, DeclaresProperty) {
  JsonSchema plain = compiled(R"({"properties": {"config": {}, "cart": {"properties": {"inner": {}}}}})");
  EXPECT_TRUE(plain.declares_property("config"));
  EXPECT_TRUE(plain.declares_property("cart"));
  EXPECT_FALSE(plain.declares_property("inner"));
  EXPECT_FALSE(plain.declares_property("conf"));
  EXPECT_TRUE(compiled(R"({"required": ["config"]})").declares_property("config"));
  EXPECT_TRUE(compiled(R"({"allOf": [{"properties": {"config": {}}}]})").declares_property("config"));
  EXPECT_TRUE(compiled(R"({"if": {}, "then": {"anyOf": [{"required": ["config"]}]}})").declares_property("config"));
  EXPECT_TRUE(compiled(R"({"$ref": "#/definitions/in", "definitions": {"in": {"properties": {"config": {}}}}})")
                  .declares_property("config"));
  EXPECT_FALSE(compiled(R"({"definitions": {"in": {"properties": {"config": {}}}}})").declares_property("config"));
  EXPECT_FALSE(compiled("true").declares_property("config"));
}

TEST(JsonSchema, CopiesShareTheCompiledSchema) {
  std::optional<JsonSchema> copy;
  {
    JsonSchema original = compiled(R"({"maximum": 1})");
    copy = original;
  }
  EXPECT_TRUE(copy->valid(json("1")));
  EXPECT_FALSE(copy->valid(json("2")));
}

TEST(JsonSchema, ValidatesFromManyThreadsAtOnce) {
  JsonSchema schema = compiled(R"({"type": "object",
      "properties": {"code": {"type": "string", "pattern": "^[A-Z]{3}-[0-9]+$"},
                     "n": {"type": "integer", "maximum": 100}},
      "patternProperties": {"^x-": {"type": "string", "pattern": "^ok"}}, "required": ["code"]})");
  rapidjson::Document good = json(R"({"code": "ABC-12", "n": 3, "x-a": "okay"})");
  rapidjson::Document bad = json(R"({"code": "abc", "n": 300, "x-a": "no"})");
  const std::vector<SchemaViolation> bad_expected = schema.validate(bad);
  ASSERT_EQ(bad_expected.size(), 3u) << all_text(bad_expected);
  std::atomic<int> mismatches{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 500; ++i) {
        if (!schema.valid(good) || schema.valid(bad)) ++mismatches;
        if (!schema.validate(good).empty() || schema.validate(bad) != bad_expected) ++mismatches;
        if (!schema.check(good, ErrorKind::InvalidInput).ok()) ++mismatches;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(mismatches.load(), 0);
}

// ---- kiln schema check --------------------------------------------------------

class SchemaCheckCommand : public testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "kiln-schema-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string write(const std::string& name, const std::string& text) {
    std::string path = (dir_ / name).string();
    std::ofstream(path) << text;
    return path;
  }
  std::filesystem::path dir_;
};

TEST_F(SchemaCheckCommand, ExitsZeroForAValidDocument) {
  std::string schema = write("cart.json", kCartSchema);
  std::string doc = write("doc.json", R"({"cart": {"lines": []}})");
  test::ProcessResult result = test::run_kiln({"schema", "check", schema, doc});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, "valid\n");
  EXPECT_EQ(result.err, "");
  // The document from stdin.
  result = test::run_kiln({"schema", "check", schema}, R"({"cart": {"lines": [{"sku": "a", "quantity": 1}]}})");
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, "valid\n");
}

TEST_F(SchemaCheckCommand, ExitsOneAndListsEveryViolation) {
  std::string schema = write("cart.json", kCartSchema);
  std::string doc = write("doc.json", R"({"cart": {"lines": [{"sku": "A", "quantity": 0}, {"sku": "B"}]}})");
  test::ProcessResult result = test::run_kiln({"schema", "check", schema, doc});
  EXPECT_EQ(result.exit_code, 1) << result.err;
  EXPECT_EQ(result.out,
            "/cart/lines/0/quantity: must be >= 1 (minimum)\n"
            "/cart/lines/1: missing required property \"quantity\" (required)\n");
  EXPECT_EQ(result.err, "");
}

TEST_F(SchemaCheckCommand, ExitsTwoForABadSchemaAnUnreadableFileOrADocumentThatIsNotJson) {
  std::string schema = write("cart.json", kCartSchema);
  std::string bad_schema = write("bad.json", R"({"type": 5})");
  std::string remote = write("remote.json", R"({"$ref": "http://example.com/s.json"})");
  std::string not_json = write("doc.json", "{\"cart\": [1,}");

  test::ProcessResult result = test::run_kiln({"schema", "check", bad_schema, not_json});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_EQ(result.out, "");
  EXPECT_NE(result.err.find(bad_schema + ": at /type: not a valid draft 7 schema"), std::string::npos) << result.err;

  result = test::run_kiln({"schema", "check", remote}, "{}");
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.err.find("is not supported"), std::string::npos) << result.err;

  result = test::run_kiln({"schema", "check", schema, not_json});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_EQ(result.out, "");
  EXPECT_NE(result.err.find(not_json + " is not JSON at offset 12: "), std::string::npos) << result.err;

  result = test::run_kiln({"schema", "check", schema}, "not json");
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.err.find("<stdin> is not JSON"), std::string::npos) << result.err;

  // Nesting past kiln's limit is refused before the validator (which recurses) sees it.
  result = test::run_kiln({"schema", "check", schema}, std::string(100000, '[') + std::string(100000, ']'));
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.err.find("<stdin> nests deeper than 128 levels"), std::string::npos) << result.err;

  result = test::run_kiln({"schema", "check", (dir_ / "missing.json").string(), not_json});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.err.find("missing.json: cannot read the schema"), std::string::npos) << result.err;

  result = test::run_kiln({"schema", "check", schema, dir_.string()});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.err.find("cannot read the document"), std::string::npos) << result.err;

  result = test::run_kiln({"schema", "check"});
  EXPECT_EQ(result.exit_code, 2);
}

}  // namespace
}  // namespace kiln::schema
