// JsonSchema on valijson 1.0 (Debian's libvalijson-dev, unpacked by
// scripts/install-valijson.sh) and its RapidJSON adapter.
//
// What valijson gives and what this file adds:
// - valijson parses the schema into constraints and validates documents.
//   Before it sees a schema, compile() checks it against the draft 7
//   metaschema (with valijson itself), refuses non-local $refs, invalid
//   regular expressions and unknown $schema URIs, and removes `format`
//   (valijson 1.0 checks only date, time and date-time, builds a std::regex
//   per call, and throws on a non-string value; draft 7 makes format
//   assertion optional, so kiln treats it as an annotation), and matches
//   `pattern` itself, never against more than 1024 bytes (SafePattern).
// - valijson reports errors as a context ("<root>", "[cart]", "[0]") and an
//   English sentence, without the keyword. violations() turns the context
//   into a JSON Pointer and recognises each of valijson 1.0's sentences to
//   name the keyword and say it kiln's way; json_schema_test.cc holds every
//   keyword to its sentence, so a valijson upgrade that rewords one fails
//   a test rather than a user.
#include "schema/json_schema.h"

#include "base/json_scan.h"

// The RapidJSON adapter, with VALIJSON_USE_EXCEPTIONS, would redefine
// RAPIDJSON_ASSERT to throw; it leaves the definition alone when RapidJSON
// is already included (above), which keeps every kiln file's RapidJSON the
// same (one definition), and says so in a #warning that we silence.
#if defined(__clang__)
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-W#warnings"
#elif defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wcpp"
#endif
#include <valijson/adapters/rapidjson_adapter.hpp>
#if defined(__clang__)
#pragma clang diagnostic pop
#elif defined(__GNUC__)
#pragma GCC diagnostic pop
#endif
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validation_results.hpp>
#include <valijson/validator.hpp>

#include <rapidjson/error/en.h>
#include <rapidjson/pointer.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <exception>
#include <regex>
#include <set>

#if !VALIJSON_USE_EXCEPTIONS
#error "valijson must be built with VALIJSON_USE_EXCEPTIONS=1 (CMakeLists.txt), else it abort()s on a bad schema"
#endif

namespace kiln::schema {
namespace {

// The draft 7 metaschema, as published at http://json-schema.org/draft-07/schema
// (the same text as python3-jsonschema's schemas/draft7.json).
constexpr const char* kDraft7Metaschema = R"json({
    "$schema": "http://json-schema.org/draft-07/schema#",
    "$id": "http://json-schema.org/draft-07/schema#",
    "title": "Core schema meta-schema",
    "definitions": {
        "schemaArray": { "type": "array", "minItems": 1, "items": { "$ref": "#" } },
        "nonNegativeInteger": { "type": "integer", "minimum": 0 },
        "nonNegativeIntegerDefault0": {
            "allOf": [ { "$ref": "#/definitions/nonNegativeInteger" }, { "default": 0 } ]
        },
        "simpleTypes": {
            "enum": [ "array", "boolean", "integer", "null", "number", "object", "string" ]
        },
        "stringArray": { "type": "array", "items": { "type": "string" }, "uniqueItems": true, "default": [] }
    },
    "type": ["object", "boolean"],
    "properties": {
        "$id": { "type": "string", "format": "uri-reference" },
        "$schema": { "type": "string", "format": "uri" },
        "$ref": { "type": "string", "format": "uri-reference" },
        "$comment": { "type": "string" },
        "title": { "type": "string" },
        "description": { "type": "string" },
        "default": true,
        "readOnly": { "type": "boolean", "default": false },
        "examples": { "type": "array", "items": true },
        "multipleOf": { "type": "number", "exclusiveMinimum": 0 },
        "maximum": { "type": "number" },
        "exclusiveMaximum": { "type": "number" },
        "minimum": { "type": "number" },
        "exclusiveMinimum": { "type": "number" },
        "maxLength": { "$ref": "#/definitions/nonNegativeInteger" },
        "minLength": { "$ref": "#/definitions/nonNegativeIntegerDefault0" },
        "pattern": { "type": "string", "format": "regex" },
        "additionalItems": { "$ref": "#" },
        "items": { "anyOf": [ { "$ref": "#" }, { "$ref": "#/definitions/schemaArray" } ], "default": true },
        "maxItems": { "$ref": "#/definitions/nonNegativeInteger" },
        "minItems": { "$ref": "#/definitions/nonNegativeIntegerDefault0" },
        "uniqueItems": { "type": "boolean", "default": false },
        "contains": { "$ref": "#" },
        "maxProperties": { "$ref": "#/definitions/nonNegativeInteger" },
        "minProperties": { "$ref": "#/definitions/nonNegativeIntegerDefault0" },
        "required": { "$ref": "#/definitions/stringArray" },
        "additionalProperties": { "$ref": "#" },
        "definitions": { "type": "object", "additionalProperties": { "$ref": "#" }, "default": {} },
        "properties": { "type": "object", "additionalProperties": { "$ref": "#" }, "default": {} },
        "patternProperties": {
            "type": "object",
            "additionalProperties": { "$ref": "#" },
            "propertyNames": { "format": "regex" },
            "default": {}
        },
        "dependencies": {
            "type": "object",
            "additionalProperties": { "anyOf": [ { "$ref": "#" }, { "$ref": "#/definitions/stringArray" } ] }
        },
        "propertyNames": { "$ref": "#" },
        "const": true,
        "enum": { "type": "array", "items": true },
        "type": {
            "anyOf": [
                { "$ref": "#/definitions/simpleTypes" },
                {
                    "type": "array",
                    "items": { "$ref": "#/definitions/simpleTypes" },
                    "minItems": 1,
                    "uniqueItems": true
                }
            ]
        },
        "format": { "type": "string" },
        "contentMediaType": { "type": "string" },
        "contentEncoding": { "type": "string" },
        "if": { "$ref": "#" },
        "then": { "$ref": "#" },
        "else": { "$ref": "#" },
        "allOf": { "$ref": "#/definitions/schemaArray" },
        "anyOf": { "$ref": "#/definitions/schemaArray" },
        "oneOf": { "$ref": "#/definitions/schemaArray" },
        "not": { "$ref": "#" }
    },
    "default": true
})json";

using valijson::adapters::RapidJsonAdapter;

// ---- JSON Pointers -----------------------------------------------------------

void append_token(std::string& pointer, std::string_view token) {
  pointer += '/';
  for (char c : token) {
    if (c == '~') pointer += "~0";
    else if (c == '/') pointer += "~1";
    else pointer += c;
  }
}

std::string child_pointer(const std::string& pointer, std::string_view token) {
  std::string child = pointer;
  append_token(child, token);
  return child;
}

// Whether `pointer` is `base` or lies under it.
bool at_or_under(const std::string& pointer, const std::string& base) {
  return pointer.compare(0, base.size(), base) == 0 && (pointer.size() == base.size() || pointer[base.size()] == '/');
}

const char* type_name(const rapidjson::Value& value) {
  switch (value.GetType()) {
    case rapidjson::kNullType: return "null";
    case rapidjson::kFalseType:
    case rapidjson::kTrueType: return "a boolean";
    case rapidjson::kObjectType: return "an object";
    case rapidjson::kArrayType: return "an array";
    case rapidjson::kStringType: return "a string";
    case rapidjson::kNumberType: return value.IsInt64() || value.IsUint64() ? "an integer" : "a number";
  }
  return "a value";
}

// ---- pattern, safely ----------------------------------------------------------

// libstdc++'s std::regex (which valijson uses) matches by recursion, a
// stack frame or more per character: "^[a-z]*$" against a 200 KB string,
// or "^(a|b)*$" against 20 KB, overflows an 8 MiB stack and kills the
// process. So kiln matches `pattern` itself (valijson's custom-constraint
// hook, under a keyword name of its own) and refuses to match longer
// strings; patternProperties, which valijson matches against property
// names, gets the same limit on names (JsonSchema::Impl::has_pattern_properties).
constexpr size_t kMaxPatternSubject = 1024;  // bytes
constexpr const char* kPatternKeyword = "$kiln:pattern";
constexpr std::string_view kTooLongSentence = "kiln: string too long for pattern: ";

class SafePattern : public valijson::constraints::PolyConstraint {
 public:
  explicit SafePattern(const std::string& pattern)
      : pattern_(std::make_shared<const std::regex>(pattern, std::regex::ECMAScript)) {}

  bool validate(const valijson::adapters::Adapter& target, const std::vector<std::string>& context,
                valijson::ValidationResults* results) const override {
    if (!target.isString()) return true;
    std::string subject = target.asString();
    if (subject.size() > kMaxPatternSubject) {
      if (results) results->pushError(context, std::string(kTooLongSentence) + std::to_string(subject.size()));
      return false;
    }
    bool matched = false;
    try {
      matched = std::regex_search(subject, *pattern_);
    } catch (const std::regex_error&) {
      matched = false;  // too complex for std::regex: treated as no match
    }
    if (!matched && results) results->pushError(context, "Failed to match regex specified by 'pattern' constraint.");
    return matched;
  }

 private:
  valijson::constraints::Constraint* cloneInto(void* memory) const override { return new (memory) SafePattern(*this); }
  size_t sizeOf() const override { return sizeof(SafePattern); }

  // Shared by copies; a const std::regex may be used by many threads.
  std::shared_ptr<const std::regex> pattern_;
};

class SafePatternBuilder : public valijson::ConstraintBuilder {
 public:
  valijson::constraints::Constraint* make(const valijson::adapters::Adapter& node) const override {
    std::string pattern;
    if (!node.getString(pattern)) valijson::throwRuntimeError("'pattern' must be a string");
    return new SafePattern(pattern);
  }
};

// The first property name longer than kMaxPatternSubject in `value`, as
// the pointer of its value; empty when there is none.
bool find_long_name(const rapidjson::Value& value, std::string& pointer, size_t& length) {
  if (value.IsObject()) {
    for (const auto& member : value.GetObject()) {
      std::string_view name(member.name.GetString(), member.name.GetStringLength());
      size_t mark = pointer.size();
      append_token(pointer, name);
      if (name.size() > kMaxPatternSubject) {
        length = name.size();
        return true;
      }
      if (find_long_name(member.value, pointer, length)) return true;
      pointer.resize(mark);
    }
  } else if (value.IsArray()) {
    for (rapidjson::SizeType i = 0; i < value.Size(); ++i) {
      size_t mark = pointer.size();
      append_token(pointer, std::to_string(i));
      if (find_long_name(value[i], pointer, length)) return true;
      pointer.resize(mark);
    }
  }
  return false;
}

// ---- the schema walk (compile time) -----------------------------------------

Error refuse(std::string_view field, const std::string& pointer, const std::string& what) {
  ErrorLocation where;
  where.json_pointer = pointer;
  where.has_json_pointer = true;
  std::string message(field);
  message += ": ";
  if (!pointer.empty()) message += "at " + pointer + ": ";
  message += what;
  return make_error(ErrorKind::InvalidDefinition, std::move(message), std::move(where));
}

std::string quoted(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) < 0x20) {
      out += '?';
      continue;
    }
    out += c;
  }
  return out + "\"";
}

bool regex_ok(const std::string& pattern, std::string& problem) {
  try {
    std::regex compiled(pattern);  // ECMAScript, as valijson compiles it
    return true;
  } catch (const std::regex_error& e) {
    problem = e.what();
    return false;
  }
}

// Keywords whose value is an object of schemas, keyed by names.
bool is_schema_map_keyword(std::string_view key) {
  return key == "properties" || key == "patternProperties" || key == "definitions" || key == "dependencies";
}
// Keywords whose value is a schema, or an array of schemas.
bool is_schema_keyword(std::string_view key) {
  return key == "items" || key == "additionalItems" || key == "additionalProperties" || key == "contains" ||
         key == "propertyNames" || key == "not" || key == "if" || key == "then" || key == "else" ||
         key == "allOf" || key == "anyOf" || key == "oneOf";
}

// Walks every schema in `node` (a copy of the user's schema): refuses what
// kiln does not support, and removes `format` (an annotation here).
class SchemaWalk {
 public:
  SchemaWalk(std::string_view field, rapidjson::Document& root)
      : field_(field), root_(&root), allocator_(&root.GetAllocator()) {}

  bool has_pattern_properties() const { return has_pattern_properties_; }

  Result<void> walk(rapidjson::Value& node, const std::string& pointer) {
    if (!node.IsObject()) return {};
    // Looked at through const: RapidJSON 1.1's mutable member iterators
    // compare ambiguously in C++20.
    const rapidjson::Value& view = node;
    auto ref = view.FindMember("$ref");
    if (ref != view.MemberEnd() && ref->value.IsString()) {
      std::string_view target(ref->value.GetString(), ref->value.GetStringLength());
      if (target.empty() || target[0] != '#') {
        return refuse(field_, child_pointer(pointer, "$ref"),
                      "$ref " + quoted(target) +
                          " is not supported: kiln resolves only references inside the same schema, "
                          "written as JSON Pointer fragments (\"#\", \"#/definitions/name\")");
      }
      if (target.size() > 1 && target[1] != '/') {
        return refuse(field_, child_pointer(pointer, "$ref"),
                      "$ref " + quoted(target) +
                          " is not supported: plain-name fragments ($id anchors) are not; use a JSON Pointer "
                          "fragment such as \"#/definitions/name\"");
      }
      // A chain of $refs that never reaches a schema ({"$ref": "#"} at the
      // root) would send valijson round it until the stack runs out.
      std::set<const rapidjson::Value*> chain{&view};
      const rapidjson::Value* at = &view;
      for (;;) {
        if (!at->IsObject()) break;
        auto next = at->FindMember("$ref");
        if (next == at->MemberEnd() || !next->value.IsString()) break;
        std::string_view hop(next->value.GetString(), next->value.GetStringLength());
        if (hop.empty() || hop[0] != '#' || (hop.size() > 1 && hop[1] != '/')) break;  // refused where it is
        rapidjson::Pointer fragment(hop.data(), hop.size());
        const rapidjson::Value* found = fragment.IsValid() ? fragment.Get(*root_) : nullptr;
        if (!found) {
          return refuse(field_, child_pointer(pointer, "$ref"),
                        "$ref " + quoted(hop) + " points at nothing in this schema");
        }
        if (!chain.insert(found).second) {
          return refuse(field_, child_pointer(pointer, "$ref"),
                        "$ref " + quoted(target) + " leads round a circle of $refs that never reaches a schema");
        }
        at = found;
      }
    }
    auto format = view.FindMember("format");
    if (format != view.MemberEnd() && format->value.IsString()) node.RemoveMember("format");
    auto pattern = view.FindMember("pattern");
    if (pattern != view.MemberEnd() && pattern->value.IsString()) {
      std::string problem;
      if (!regex_ok(pattern->value.GetString(), problem)) {
        return refuse(field_, child_pointer(pointer, "pattern"),
                      "pattern " + quoted(pattern->value.GetString()) +
                          " is not a valid ECMAScript regular expression: " + problem);
      }
      // Matched by SafePattern, not by valijson's std::regex.
      rapidjson::Value text(pattern->value, *allocator_);
      node.RemoveMember("pattern");
      node.AddMember(rapidjson::StringRef(kPatternKeyword), text, *allocator_);
    }
    if (view.HasMember("patternProperties")) has_pattern_properties_ = true;
    for (rapidjson::SizeType m = 0; m < node.MemberCount(); ++m) {
      auto& member = node.MemberBegin()[m];
      std::string_view key(member.name.GetString(), member.name.GetStringLength());
      std::string at = child_pointer(pointer, key);
      if (is_schema_map_keyword(key) && member.value.IsObject()) {
        for (rapidjson::SizeType e = 0; e < member.value.MemberCount(); ++e) {
          auto& entry = member.value.MemberBegin()[e];
          std::string_view name(entry.name.GetString(), entry.name.GetStringLength());
          std::string entry_at = child_pointer(at, name);
          if (key == "patternProperties") {
            std::string problem;
            if (!regex_ok(std::string(name), problem)) {
              return refuse(field_, entry_at,
                            "patternProperties key " + quoted(name) +
                                " is not a valid ECMAScript regular expression: " + problem);
            }
          }
          if (auto walked = walk(entry.value, entry_at); !walked) return walked;
        }
      } else if (is_schema_keyword(key)) {
        if (member.value.IsArray()) {
          for (rapidjson::SizeType i = 0; i < member.value.Size(); ++i) {
            if (auto walked = walk(member.value[i], child_pointer(at, std::to_string(i))); !walked) return walked;
          }
        } else if (auto walked = walk(member.value, at); !walked) {
          return walked;
        }
      }
    }
    return {};
  }

 private:
  std::string_view field_;
  const rapidjson::Value* root_;
  rapidjson::Document::AllocatorType* allocator_;
  bool has_pattern_properties_ = false;
};

// The names `properties` and `required` declare in `node` and in the
// schemas that apply to the same value (allOf, anyOf, oneOf, if, then,
// else, local $refs).
void collect_declared(const rapidjson::Value& root, const rapidjson::Value& node, std::set<std::string>& names,
                      std::set<const rapidjson::Value*>& seen) {
  if (!node.IsObject() || !seen.insert(&node).second) return;
  auto ref = node.FindMember("$ref");
  if (ref != node.MemberEnd() && ref->value.IsString()) {
    // As in draft 7, $ref's siblings are ignored.
    std::string target = ref->value.GetString();
    if (target.empty() || target[0] != '#') return;
    const rapidjson::Value* found = rapidjson::Pointer(rapidjson::StringRef(target.c_str(), target.size())).Get(root);
    if (target == "#") found = &root;
    if (found) collect_declared(root, *found, names, seen);
    return;
  }
  auto properties = node.FindMember("properties");
  if (properties != node.MemberEnd() && properties->value.IsObject()) {
    for (const auto& member : properties->value.GetObject()) names.emplace(member.name.GetString(), member.name.GetStringLength());
  }
  auto required = node.FindMember("required");
  if (required != node.MemberEnd() && required->value.IsArray()) {
    for (const auto& name : required->value.GetArray()) {
      if (name.IsString()) names.emplace(name.GetString(), name.GetStringLength());
    }
  }
  for (const char* key : {"allOf", "anyOf", "oneOf"}) {
    auto list = node.FindMember(key);
    if (list == node.MemberEnd() || !list->value.IsArray()) continue;
    for (const auto& branch : list->value.GetArray()) collect_declared(root, branch, names, seen);
  }
  for (const char* key : {"if", "then", "else"}) {
    auto branch = node.FindMember(key);
    if (branch != node.MemberEnd()) collect_declared(root, branch->value, names, seen);
  }
}

// ---- valijson's errors, kiln's way ------------------------------------------

std::string number_text(std::string_view digits) {
  // valijson prints doubles with std::to_string ("1.000000"): reprint them
  // in the shortest form that reads back the same ("1", "0.5", "1e+300").
  std::string copy(digits);
  char* end = nullptr;
  double value = std::strtod(copy.c_str(), &end);
  if (end == copy.c_str()) return copy;
  char buffer[64];
  auto [ptr, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
  if (ec != std::errc()) return copy;
  return std::string(buffer, ptr);
}

bool starts_with(std::string_view text, std::string_view prefix) { return text.substr(0, prefix.size()) == prefix; }

// The text between the first `open` and the last `close` in `text`.
std::string between(std::string_view text, char open, char close) {
  size_t begin = text.find(open);
  size_t end = text.rfind(close);
  if (begin == std::string_view::npos || end == std::string_view::npos || end <= begin) return {};
  return std::string(text.substr(begin + 1, end - begin - 1));
}

// The leading integer in text after `prefix` ("... #3 ...").
std::string after(std::string_view text, std::string_view prefix) {
  size_t at = text.find(prefix);
  if (at == std::string_view::npos) return {};
  std::string_view rest = text.substr(at + prefix.size());
  size_t end = 0;
  while (end < rest.size() && rest[end] != ' ' && rest[end] != '.') ++end;
  return std::string(rest.substr(0, end));
}

struct Classified {
  SchemaViolation violation;
  size_t depth = 0;
  // A summary repeats a failure already explained below it (e.g. "the
  // property 'x' failed its schema"); it is kept only when nothing at or
  // under `covers` explains it (a `false` subschema says nothing).
  bool summary = false;
  std::string covers;
};

const rapidjson::Value* value_at(const rapidjson::Value& document, const std::vector<std::string>& context) {
  const rapidjson::Value* node = &document;
  for (size_t i = 1; i < context.size() && node; ++i) {
    const std::string& token = context[i];
    std::string_view name(token);
    if (name.size() >= 2 && name.front() == '[' && name.back() == ']') name = name.substr(1, name.size() - 2);
    if (node->IsObject()) {
      auto member = node->FindMember(rapidjson::Value(rapidjson::StringRef(name.data(), name.size())));
      node = member == node->MemberEnd() ? nullptr : &member->value;
    } else if (node->IsArray()) {
      size_t index = 0;
      auto [p, ec] = std::from_chars(name.data(), name.data() + name.size(), index);
      node = ec == std::errc() && p == name.data() + name.size() && index < node->Size()
                 ? &(*node)[static_cast<rapidjson::SizeType>(index)]
                 : nullptr;
    } else {
      node = nullptr;
    }
  }
  return node;
}

Classified classify(const valijson::ValidationResults::Error& error, const rapidjson::Value& document) {
  Classified out;
  std::string pointer;
  for (size_t i = 1; i < error.context.size(); ++i) {
    std::string_view token(error.context[i]);
    if (token.size() >= 2 && token.front() == '[' && token.back() == ']') token = token.substr(1, token.size() - 2);
    append_token(pointer, token);
  }
  out.depth = error.context.empty() ? 0 : error.context.size() - 1;
  const std::string& d = error.description;
  auto set = [&](const char* keyword, std::string message) {
    out.violation = {pointer, keyword, std::move(message)};
  };
  auto summary = [&](const char* keyword, std::string covers, std::string message) {
    out.summary = true;
    out.covers = std::move(covers);
    out.violation = {out.covers, keyword, std::move(message)};
    if (out.covers != pointer) ++out.depth;
  };
  auto number = [&](std::string_view prefix) { return number_text(d.substr(prefix.size())); };

  // Order matters where one sentence begins another ("less than" / "less
  // than or equal to").
  if (starts_with(d, "Expected number less than or equal to ")) {
    set("maximum", "must be <= " + number("Expected number less than or equal to "));
  } else if (starts_with(d, "Expected number less than ")) {
    set("exclusiveMaximum", "must be < " + number("Expected number less than "));
  } else if (starts_with(d, "Expected number greater than or equal to ")) {
    set("minimum", "must be >= " + number("Expected number greater than or equal to "));
  } else if (starts_with(d, "Expected number greater than ")) {
    set("exclusiveMinimum", "must be > " + number("Expected number greater than "));
  } else if (starts_with(d, "Value should be a multiple of ")) {
    set("multipleOf", "must be a multiple of " + number("Value should be a multiple of "));
  } else if (starts_with(d, "Value could not be converted")) {
    set("multipleOf", "cannot be checked against multipleOf");
  } else if (starts_with(d, "Array should contain no more than ")) {
    set("maxItems", "must have at most " + after(d, "no more than ") + " items");
  } else if (starts_with(d, "Array should contain no fewer than ")) {
    set("minItems", "must have at least " + after(d, "no fewer than ") + " items");
  } else if (starts_with(d, "String should be no more than ")) {
    set("maxLength", "must be at most " + after(d, "no more than ") + " characters long");
  } else if (starts_with(d, "String should be no fewer than ")) {
    set("minLength", "must be at least " + after(d, "no fewer than ") + " characters long");
  } else if (starts_with(d, "Object should have no more than ")) {
    set("maxProperties", "must have at most " + after(d, "no more than ") + " properties");
  } else if (starts_with(d, "Object should have no fewer than ")) {
    set("minProperties", "must have at least " + after(d, "no fewer than ") + " properties");
  } else if (starts_with(d, "Missing required property '")) {
    set("required", "missing required property " + quoted(between(d, '\'', '\'')));
  } else if (starts_with(d, "Missing dependency '")) {
    set("dependencies", "missing property " + quoted(between(d, '\'', '\'')) + ", which another property depends on");
  } else if (starts_with(d, "Value type not permitted by 'type' constraint.")) {
    const rapidjson::Value* value = value_at(document, error.context);
    set("type", value ? std::string("must not be ") + type_name(*value) + " (the type is not allowed)"
                      : "has a type the schema does not allow");
  } else if (starts_with(d, "Failed to match against any enum values.")) {
    set("enum", "must be one of the allowed values");
  } else if (starts_with(d, "Failed to match expected value set by 'const' constraint.")) {
    set("const", "must be equal to the constant");
  } else if (starts_with(d, "Failed to match regex specified by 'pattern' constraint.")) {
    set("pattern", "must match the pattern");
  } else if (starts_with(d, kTooLongSentence)) {
    set("pattern", "is " + d.substr(kTooLongSentence.size()) + " bytes long; kiln matches a pattern against at most " +
                       std::to_string(kMaxPatternSubject) + " bytes");
  } else if (starts_with(d, "String should be a valid")) {
    set("format", "must be a valid " + d.substr(std::string_view("String should be a valid ").size()));
  } else if (starts_with(d, "Elements at indexes #")) {
    set("uniqueItems", "must have unique items (items " + after(d, "indexes #") + " and " + after(d, "and #") +
                           " are equal)");
  } else if (starts_with(d, "Object contains a property that could not be validated")) {
    std::string name = between(d.substr(d.find(':')), '\'', '\'');
    out.violation = {child_pointer(pointer, name), "additionalProperties", "is not allowed (no property of that name)"};
    ++out.depth;
  } else if (starts_with(d, "Cannot validate item #") || starts_with(d, "Array contains more items than allowed")) {
    set("additionalItems", "has more items than `items` allows");
  } else if (starts_with(d, "Failed to validate against any schemas allowed by anyOf")) {
    set("anyOf", "must match at least one of the allowed schemas");
  } else if (starts_with(d, "Failed to validate against any child schemas allowed by oneOf")) {
    set("oneOf", "must match exactly one of the allowed schemas (it matches none)");
  } else if (starts_with(d, "Failed to validate against exactly one child schema.")) {
    set("oneOf", "must match exactly one of the allowed schemas (it matches more than one)");
  } else if (starts_with(d, "Target should not validate against schema specified in 'not'")) {
    set("not", "must not match the `not` schema");
  } else if (starts_with(d, "Failed to any values against subschema in 'contains'")) {
    set("contains", "must contain an item that matches the `contains` schema");
  } else if (starts_with(d, "Failed to validate against schema associated with property name '")) {
    summary("properties", child_pointer(pointer, between(d, '\'', '\'')), "does not match its schema");
  } else if (starts_with(d, "Failed to validate against schema associated with pattern '")) {
    summary("patternProperties", pointer, "has a property that does not match its patternProperties schema");
  } else if (starts_with(d, "Failed to validate against additional properties schema")) {
    summary("additionalProperties", pointer, "has a property that does not match the additionalProperties schema");
  } else if (starts_with(d, "Failed to validate item #") && d.find("against additional items schema") != std::string::npos) {
    summary("additionalItems", child_pointer(pointer, after(d, "item #")), "does not match the additionalItems schema");
  } else if (starts_with(d, "Failed to validate item #") && d.find("against corresponding item schema") != std::string::npos) {
    // Already reported at the item itself.
    summary("items", pointer, "does not match its item schema");
  } else if (starts_with(d, "Failed to validate item #")) {
    summary("items", child_pointer(pointer, after(d, "item #")), "does not match the items schema");
  } else if (starts_with(d, "Failed to validate against dependent schema.")) {
    summary("dependencies", pointer, "does not match a dependencies schema");
  } else if (starts_with(d, "Failed to validate against a conditional schema")) {
    summary("if", pointer, "does not match the then/else schema its if selects");
  } else if (starts_with(d, "Failed to validate against child schema #")) {
    // Every child of allOf, anyOf and oneOf; anyOf and oneOf then say so
    // themselves, and a failing allOf child explains itself below.
    summary("allOf", pointer, "does not match all of the allOf schemas");
  } else {
    set("", d);  // a sentence this file does not know (a newer valijson)
  }
  return out;
}

std::vector<SchemaViolation> to_violations(const valijson::ValidationResults& results,
                                           const rapidjson::Value& document) {
  std::vector<Classified> all;
  for (const auto& error : results) all.push_back(classify(error, document));
  std::vector<Classified> kept;
  for (const Classified& c : all) {
    if (c.summary) {
      bool explained = std::any_of(all.begin(), all.end(), [&](const Classified& other) {
        return !other.summary && at_or_under(other.violation.pointer, c.covers);
      });
      if (explained) continue;
    }
    bool duplicate = std::any_of(kept.begin(), kept.end(),
                                 [&](const Classified& other) { return other.violation == c.violation; });
    if (!duplicate) kept.push_back(c);
  }
  // Deepest first; at one depth, an anyOf or oneOf before the failures of
  // its alternatives, which valijson lists before it.
  auto combinator = [](const Classified& c) { return c.violation.keyword == "anyOf" || c.violation.keyword == "oneOf"; };
  std::stable_sort(kept.begin(), kept.end(), [&](const Classified& a, const Classified& b) {
    if (a.depth != b.depth) return a.depth > b.depth;
    return combinator(a) && !combinator(b);
  });
  std::vector<SchemaViolation> violations;
  violations.reserve(kept.size());
  for (Classified& c : kept) violations.push_back(std::move(c.violation));
  return violations;
}

// One validator per thread: valijson's Validator caches compiled `pattern`
// regexes (by pattern text, so any schema may share it) in a map it
// mutates while validating.
valijson::Validator& thread_validator() {
  thread_local valijson::Validator validator(valijson::Validator::kStrongTypes);
  return validator;
}

}  // namespace

struct JsonSchema::Impl {
  valijson::Schema schema;
  std::set<std::string, std::less<>> declared;
  bool has_pattern_properties = false;
};

namespace {

// Parses `doc` (already walked) with valijson.
Result<std::shared_ptr<JsonSchema::Impl>> build(rapidjson::Document& doc, std::string_view field) {
  auto impl = std::make_shared<JsonSchema::Impl>();
  try {
    valijson::SchemaParser parser(valijson::SchemaParser::kDraft7);
    parser.addConstraintBuilder(kPatternKeyword, new SafePatternBuilder);
    RapidJsonAdapter adapter(doc);
    parser.populateSchema(adapter, impl->schema);
  } catch (const std::exception& e) {
    return refuse(field, "", std::string("not a schema kiln can use: ") + e.what());
  } catch (...) {
    return refuse(field, "", "not a schema kiln can use");
  }
  return impl;
}

std::shared_ptr<const JsonSchema::Impl> metaschema() {
  static const std::shared_ptr<const JsonSchema::Impl> compiled = [] {
    rapidjson::Document doc;
    doc.Parse(kDraft7Metaschema);
    if (doc.HasParseError()) return std::shared_ptr<const JsonSchema::Impl>();
    SchemaWalk walk("draft 7 metaschema", doc);
    if (!walk.walk(doc, "")) return std::shared_ptr<const JsonSchema::Impl>();
    auto built = build(doc, "draft 7 metaschema");
    return built ? std::shared_ptr<const JsonSchema::Impl>(*built) : std::shared_ptr<const JsonSchema::Impl>();
  }();
  return compiled;
}

}  // namespace

std::string to_string(const SchemaViolation& violation) {
  std::string text = violation.pointer.empty() ? "(root)" : violation.pointer;
  text += ": " + violation.message;
  if (!violation.keyword.empty()) text += " (" + violation.keyword + ")";
  return text;
}

Result<JsonSchema> JsonSchema::compile(const rapidjson::Value& schema, std::string_view field) {
  if (!schema.IsObject() && !schema.IsBool()) {
    return refuse(field, "", std::string("a schema must be a JSON object or a boolean, not ") + type_name(schema));
  }
  if (schema.IsObject()) {
    auto declared = schema.FindMember("$schema");
    if (declared != schema.MemberEnd()) {
      std::string_view uri = declared->value.IsString()
                                 ? std::string_view(declared->value.GetString(), declared->value.GetStringLength())
                                 : std::string_view();
      if (uri != kDraft7Uri && uri != kDraft7Uri.substr(0, kDraft7Uri.size() - 1)) {
        return refuse(field, "/$schema",
                      "unsupported $schema " + (declared->value.IsString() ? quoted(uri) : std::string("(not a string)")) +
                          ": kiln accepts JSON Schema draft 7 only, \"" + std::string(kDraft7Uri) +
                          "\" (with or without the '#'), or no $schema");
      }
    }
  }
  // Against the metaschema first: "type": 5 is refused here, at /type.
  if (std::shared_ptr<const Impl> meta = metaschema()) {
    JsonSchema metaschema_view(std::move(meta));
    if (!metaschema_view.valid(schema)) {
      std::vector<SchemaViolation> violations = metaschema_view.validate(schema);
      SchemaViolation first = violations.empty() ? SchemaViolation{"", "", "rejected"} : violations.front();
      return refuse(field, first.pointer,
                    "not a valid draft 7 schema: " + first.message + (first.keyword.empty() ? "" : " (" + first.keyword + ")"));
    }
  } else {
    return make_error(ErrorKind::Internal, "the draft 7 metaschema does not compile");
  }
  rapidjson::Document copy;
  copy.CopyFrom(schema, copy.GetAllocator());
  SchemaWalk walk(field, copy);
  if (auto walked = walk.walk(copy, ""); !walked) return walked.error();
  auto built = build(copy, field);
  if (!built) return built.error();
  std::shared_ptr<Impl> impl = std::move(*built);
  impl->has_pattern_properties = walk.has_pattern_properties();
  std::set<const rapidjson::Value*> seen;
  std::set<std::string> names;
  collect_declared(schema, schema, names, seen);
  impl->declared.insert(names.begin(), names.end());
  return JsonSchema(std::move(impl));
}

Result<JsonSchema> JsonSchema::compile_text(std::string_view json_text, std::string_view field) {
  // Depth first: valijson's parser recurses.
  if (auto scan = base::scan_json(json_text, ErrorKind::InvalidDefinition, field); !scan) return scan.error();
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseIterativeFlag>(json_text.data(), json_text.size());
  if (doc.HasParseError()) {
    ErrorLocation where;
    where.offset = doc.GetErrorOffset();
    return make_error(ErrorKind::InvalidDefinition,
                      std::string(field) + ": not JSON: " + rapidjson::GetParseError_En(doc.GetParseError()) +
                          " (at offset " + std::to_string(doc.GetErrorOffset()) + ")",
                      std::move(where));
  }
  return compile(doc, field);
}

bool JsonSchema::valid(const rapidjson::Value& document) const {
  if (impl_->has_pattern_properties) {
    std::string pointer;
    size_t length = 0;
    if (find_long_name(document, pointer, length)) return false;
  }
  try {
    RapidJsonAdapter adapter(document);
    return thread_validator().validate(impl_->schema, adapter, nullptr);
  } catch (...) {
    return false;
  }
}

std::vector<SchemaViolation> JsonSchema::validate(const rapidjson::Value& document) const {
  if (impl_->has_pattern_properties) {
    std::string pointer;
    size_t length = 0;
    if (find_long_name(document, pointer, length)) {
      return {{pointer, "patternProperties",
               "has a name " + std::to_string(length) + " bytes long; kiln matches patternProperties against names of "
               "at most " + std::to_string(kMaxPatternSubject) + " bytes"}};
    }
  }
  try {
    valijson::ValidationResults results;
    RapidJsonAdapter adapter(document);
    if (thread_validator().validate(impl_->schema, adapter, &results)) return {};
    std::vector<SchemaViolation> violations = to_violations(results, document);
    if (violations.empty()) {
      // A `false` schema, or propertyNames, fail without saying where.
      violations.push_back({"", impl_->schema.getAlwaysInvalid() ? "false" : "",
                            impl_->schema.getAlwaysInvalid() ? "no value is allowed (the schema is false)"
                                                             : "does not match the schema"});
    }
    return violations;
  } catch (const std::exception& e) {
    return {{"", "", std::string("cannot be validated: ") + e.what()}};
  } catch (...) {
    return {{"", "", "cannot be validated"}};
  }
}

Result<void> JsonSchema::check(const rapidjson::Value& document, ErrorKind kind) const {
  if (valid(document)) return {};
  std::vector<SchemaViolation> violations = validate(document);
  if (violations.empty()) violations.push_back({"", "", "does not match the schema"});
  ErrorLocation where;
  where.json_pointer = violations.front().pointer;
  where.has_json_pointer = true;
  return make_error(kind, to_string(violations.front()), std::move(where));
}

bool JsonSchema::declares_property(std::string_view name) const { return impl_->declared.count(name) != 0; }

}  // namespace kiln::schema
