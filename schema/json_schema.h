// JsonSchema: a JSON Schema (draft 7) compiled once, then checked against
// many documents: an extension point's input, output and config contracts.
// Built on valijson (its RapidJSON adapter); docs/schema.md says what is
// supported, what is refused and why.
#pragma once

#include <rapidjson/document.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "kiln/result.h"

namespace kiln::schema {

// One way a document breaks a schema.
struct SchemaViolation {
  std::string pointer;  // RFC 6901 JSON Pointer of the bad value in the document, "" = the root
  std::string keyword;  // the schema keyword that failed, e.g. "required", "type", "maximum"
  std::string message;  // what is wrong, e.g. "must be >= 1"; no pointer, no keyword

  bool operator==(const SchemaViolation&) const = default;
};

// "POINTER: message (keyword)", the root shown as "(root)", e.g.
// "/cart/lines/0/quantity: must be >= 1 (minimum)".
std::string to_string(const SchemaViolation& violation);

// The draft 7 `$schema` URIs compile() accepts (or no `$schema` at all).
inline constexpr std::string_view kDraft7Uri = "http://json-schema.org/draft-07/schema#";

class JsonSchema {  // immutable once compiled; validate() is const and safe from many threads at once
 public:
  // Parses a schema given as a RapidJSON value. `field` names where it came
  // from in messages (e.g. "input_schema"). Refuses, with an Error of kind
  // InvalidDefinition naming `field`, where.json_pointer the place in the
  // schema: a schema that is not an object or a boolean; a `$schema` other
  // than draft 7's; a schema the draft 7 metaschema rejects (e.g.
  // "type": 5); a `$ref` that is not a JSON Pointer into this same schema
  // ("#", "#/definitions/x"); a `pattern` or patternProperties key that is
  // not a valid ECMAScript regular expression; anything valijson refuses.
  // `format` is an annotation only: never checked. A string longer than
  // 1024 bytes fails `pattern` (std::regex would overflow the stack on it),
  // and a property name that long fails a schema with patternProperties
  // (docs/schema.md).
  static Result<JsonSchema> compile(const rapidjson::Value& schema, std::string_view field);
  // The same from JSON text; text that is not JSON is refused the same way.
  static Result<JsonSchema> compile_text(std::string_view json_text, std::string_view field);

  // Whether `document` is valid. The fast path: it stops at the first
  // violation and builds no messages.
  bool valid(const rapidjson::Value& document) const;
  // All violations (empty = valid), most specific (deepest pointer) first.
  std::vector<SchemaViolation> validate(const rapidjson::Value& document) const;
  // The first violation as an Error of `kind`, its message "POINTER:
  // message (keyword)" and where.json_pointer set; ok when valid.
  Result<void> check(const rapidjson::Value& document, ErrorKind kind) const;

  // Whether the schema declares a top-level property named `name`: in
  // `properties` or `required` of the root schema, or of a schema that
  // applies to the root value too (allOf, anyOf, oneOf, if, then, else, a
  // local $ref). The platform refuses an input schema that declares "config".
  bool declares_property(std::string_view name) const;

 struct Impl;  // opaque: the compiled schema, shared by every copy

 private:
  explicit JsonSchema(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<const Impl> impl_;
};

}  // namespace kiln::schema
