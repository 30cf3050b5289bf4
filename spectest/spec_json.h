// Checked access to the JSON that wast2json writes. A script is untrusted
// input: every member may be missing or of the wrong type, and the runner
// must report that as a failed command, never crash on it.
#pragma once

#include <rapidjson/document.h>

#include <optional>
#include <string>
#include <string_view>

namespace kiln::spectest {

using Json = rapidjson::Value;

// Member `key` of `object`; null when `object` is not an object or lacks it.
inline const Json* member(const Json& object, const char* key) {
  if (!object.IsObject()) return nullptr;
  auto it = object.FindMember(key);
  return it == object.MemberEnd() ? nullptr : &it->value;
}

inline std::optional<std::string_view> string_member(const Json& object, const char* key) {
  const Json* value = member(object, key);
  if (!value || !value->IsString()) return std::nullopt;
  return std::string_view(value->GetString(), value->GetStringLength());
}

inline const Json* array_member(const Json& object, const char* key) {
  const Json* value = member(object, key);
  return value && value->IsArray() ? value : nullptr;
}

// wast2json 1.0.32 writes the result types of an `action`, `assert_trap` or
// `assert_exhaustion` with several results without commas between them:
// `"expected": [{"type": "i32"}{"type": "i32"}]`. Outside strings, `}`
// followed by `{` is never valid JSON, so inserting a comma there repairs
// exactly that defect and changes nothing else.
std::string repair_missing_commas(std::string_view json);

}  // namespace kiln::spectest
