#include "execute/reducer.h"

#include <rapidjson/document.h>
#include <rapidjson/pointer.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace kiln::execute {
namespace {

using registry::Reducer;
using rapidjson::Document;
using rapidjson::Value;

using Op = Reducer::Op;

// The outputs as documents, and the value at the reducer's pointer in each.
struct Parsed {
  std::vector<Document> docs;
  std::vector<const Value*> at;  // null: nothing at the pointer
};

Parsed parse_all(const Reducer& reducer, std::span<const std::string_view> outputs) {
  Parsed parsed;
  rapidjson::Pointer pointer(reducer.pointer.c_str(), reducer.pointer.size());
  parsed.docs.resize(outputs.size());
  for (size_t i = 0; i < outputs.size(); ++i) {
    parsed.docs[i].Parse<rapidjson::kParseIterativeFlag>(outputs[i].data(), outputs[i].size());
    parsed.at.push_back(parsed.docs[i].HasParseError() ? nullptr : pointer.Get(parsed.docs[i]));
  }
  return parsed;
}

Error rejection(const Reducer& reducer, const char* wanted) {
  ErrorLocation where;
  where.json_pointer = reducer.pointer;
  where.has_json_pointer = true;
  return make_error(ErrorKind::InvalidOutput,
                    std::string("output: ") + (reducer.pointer.empty() ? "(root)" : reducer.pointer) + ": " + wanted +
                        " (the extension point reduces with " + to_string(reducer.op) + ")",
                    std::move(where));
}

// Marks what `op` cannot use; returns the first usable output's index.
std::optional<size_t> screen(const Reducer& reducer, const Parsed& parsed, Reduction& out) {
  std::optional<size_t> base;
  for (size_t i = 0; i < parsed.at.size(); ++i) {
    const Value* v = parsed.at[i];
    const bool numeric = reducer.op == Op::Min || reducer.op == Op::Max || reducer.op == Op::Sum;
    if (numeric && !(v && v->IsNumber())) out.rejected[i] = rejection(reducer, "expected a number");
    if (reducer.op == Op::Concat && v && !v->IsArray()) out.rejected[i] = rejection(reducer, "expected an array");
    if (reducer.op == Op::Merge && v && !v->IsObject()) out.rejected[i] = rejection(reducer, "expected an object");
    if (!out.rejected[i] && !base) base = i;
  }
  return base;
}

std::string serialized(const Value& value) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  value.Accept(writer);
  return std::string(buffer.GetString(), buffer.GetSize());
}

// concat and merge: the first usable output, the others' values folded
// into the value at the pointer (made when it has none).
std::string fold(const Reducer& reducer, Parsed& parsed, const Reduction& out, size_t base) {
  Document& result = parsed.docs[base];
  auto& alloc = result.GetAllocator();
  rapidjson::Pointer pointer(reducer.pointer.c_str(), reducer.pointer.size());
  Value& target = parsed.at[base] ? *pointer.Get(result)
                                  : pointer.Set(result, reducer.op == Op::Concat ? Value(rapidjson::kArrayType)
                                                                                  : Value(rapidjson::kObjectType));
  for (size_t i = base + 1; i < parsed.at.size(); ++i) {
    if (out.rejected[i] || !parsed.at[i]) continue;
    if (reducer.op == Op::Concat) {
      for (const Value& item : parsed.at[i]->GetArray()) target.PushBack(Value(item, alloc), alloc);
      continue;
    }
    for (auto m = parsed.at[i]->MemberBegin(); m != parsed.at[i]->MemberEnd(); ++m) {
      if (!target.HasMember(m->name)) target.AddMember(Value(m->name, alloc), Value(m->value, alloc), alloc);
    }
  }
  return serialized(result);
}

size_t pick_extreme(const Reducer& reducer, const Parsed& parsed, const Reduction& out, size_t base) {
  size_t best = base;
  for (size_t i = base + 1; i < parsed.at.size(); ++i) {
    if (out.rejected[i]) continue;
    const double value = parsed.at[i]->GetDouble(), current = parsed.at[best]->GetDouble();
    if (reducer.op == Op::Min ? value < current : value > current) best = i;
  }
  return best;
}

std::string sum(const Reducer& reducer, Parsed& parsed, const Reduction& out, size_t base) {
  int64_t whole = 0;
  double real = 0;
  bool integral = true;
  for (size_t i = base; i < parsed.at.size(); ++i) {
    if (out.rejected[i]) continue;
    const Value& v = *parsed.at[i];
    real += v.GetDouble();
    integral = integral && v.IsInt64() && !__builtin_add_overflow(whole, v.GetInt64(), &whole);
  }
  Document& result = parsed.docs[base];
  Value total = integral ? Value(whole) : Value(real);
  rapidjson::Pointer(reducer.pointer.c_str(), reducer.pointer.size()).Set(result, total);
  return serialized(result);
}

}  // namespace

Reduction reduce(const Reducer& reducer, std::span<const std::string_view> outputs) {
  Reduction out;
  out.rejected.resize(outputs.size());
  if (outputs.empty()) return out;
  if (reducer.op == Op::First) {  // no parsing: the first output is the answer
    out.base = 0;
    out.output.assign(outputs[0]);
    return out;
  }
  Parsed parsed = parse_all(reducer, outputs);
  std::optional<size_t> base = screen(reducer, parsed, out);
  if (!base) return out;
  switch (reducer.op) {
    case Op::Concat:
    case Op::Merge:
      out.base = base;
      out.output = fold(reducer, parsed, out, *base);
      break;
    case Op::Min:
    case Op::Max:
      out.base = pick_extreme(reducer, parsed, out, *base);
      out.output.assign(outputs[*out.base]);
      break;
    case Op::Sum:
      out.base = base;
      out.output = sum(reducer, parsed, out, *base);
      break;
    case Op::First:
      break;
  }
  return out;
}

}  // namespace kiln::execute
