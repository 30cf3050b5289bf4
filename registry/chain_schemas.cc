#include "registry/chain_schemas.h"

#include <algorithm>
#include <optional>
#include <set>
#include <string_view>
#include <vector>

namespace kiln::registry {
namespace {

using rapidjson::Value;

const Value* member(const Value& object, const char* key) {
  if (!object.IsObject()) return nullptr;
  auto it = object.FindMember(key);
  return it == object.MemberEnd() ? nullptr : &it->value;
}

// A schema's `type` as a list; nullopt when it has none (any type).
std::optional<std::vector<std::string>> types_of(const Value& schema) {
  const Value* type = member(schema, "type");
  if (!type) return std::nullopt;
  std::vector<std::string> types;
  if (type->IsString()) types.emplace_back(type->GetString());
  if (type->IsArray()) {
    for (const Value& t : type->GetArray()) {
      if (t.IsString()) types.emplace_back(t.GetString());
    }
  }
  return types;
}

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& name : names) out += (out.empty() ? "" : ", ") + name;
  return out;
}

// The first of `output`'s types that `input`'s do not admit; "" if none.
// Called only when the input constrains the type.
std::string type_not_admitted(const std::optional<std::vector<std::string>>& output,
                              const std::vector<std::string>& input) {
  if (!output) return "any type";
  auto admitted = [&](const std::string& t) {
    return std::find(input.begin(), input.end(), t) != input.end() ||
           (t == "integer" && std::find(input.begin(), input.end(), "number") != input.end());
  };
  for (const std::string& t : *output) {
    if (!admitted(t)) return t;
  }
  return "";
}

std::set<std::string> names_in(const Value* array) {
  std::set<std::string> names;
  if (!array || !array->IsArray()) return names;
  for (const Value& name : array->GetArray()) {
    if (name.IsString()) names.emplace(name.GetString());
  }
  return names;
}

std::set<std::string> keys_of(const Value* object) {
  std::set<std::string> keys;
  if (!object || !object->IsObject()) return keys;
  for (auto it = object->MemberBegin(); it != object->MemberEnd(); ++it) keys.emplace(it->name.GetString());
  return keys;
}

ChainMismatch check_property(const std::string& name, const Value& output_schema, const Value& input_schema) {
  const Value* input_properties = member(input_schema, "properties");
  const Value* input_property = input_properties ? member(*input_properties, name.c_str()) : nullptr;
  const Value* closed = member(input_schema, "additionalProperties");
  if (!input_property && closed && closed->IsBool() && !closed->GetBool()) {
    return {"output_schema.properties." + name,
            "the output may have \"" + name + "\", which input_schema does not allow (additionalProperties is "
            "false and it is not in its properties)"};
  }
  const Value* output_properties = member(output_schema, "properties");
  const Value* output_property = output_properties ? member(*output_properties, name.c_str()) : nullptr;
  if (!input_property || !output_property) return {};
  auto input_types = types_of(*input_property);
  if (!input_types) return {};
  std::string bad = type_not_admitted(types_of(*output_property), *input_types);
  if (bad.empty()) return {};
  return {"output_schema.properties." + name + ".type",
          "the output's \"" + name + "\" may be " + bad + ", but input_schema wants " + joined(*input_types)};
}

}  // namespace

ChainMismatch check_chain_schemas(const Value& output_schema, const Value& input_schema) {
  if (input_schema.IsBool()) {
    if (input_schema.GetBool()) return {};
    return {"input_schema", "is false: it accepts nothing, so no output can be passed on"};
  }
  if (auto input_types = types_of(input_schema)) {
    std::string bad = type_not_admitted(types_of(output_schema), *input_types);
    if (!bad.empty()) {
      return {"output_schema.type", "the output may be " + bad + ", but input_schema wants " + joined(*input_types)};
    }
  }
  const std::set<std::string> output_required = names_in(member(output_schema, "required"));
  for (const std::string& name : names_in(member(input_schema, "required"))) {
    if (!output_required.contains(name)) {
      return {"output_schema.required", "input_schema requires \"" + name + "\", which output_schema does not"};
    }
  }
  std::set<std::string> declared = keys_of(member(output_schema, "properties"));
  declared.insert(output_required.begin(), output_required.end());
  for (const std::string& name : declared) {
    ChainMismatch mismatch = check_property(name, output_schema, input_schema);
    if (!mismatch.field.empty()) return mismatch;
  }
  return {};
}

}  // namespace kiln::registry
