#include "cli/function_run_report.h"

#include <rapidjson/document.h>
#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>

#include <algorithm>

namespace kiln::cli {

namespace {

// A larger input buys more instructions, as an extension point's
// fuel_per_kib does: one base budget per 64 KB of input, up to ten.
constexpr uint64_t kScaleStepBytes = 64'000;
constexpr uint64_t kMaxScale = 10;

std::string pretty(const rapidjson::Value& value) {
  rapidjson::StringBuffer buffer;
  rapidjson::PrettyWriter<rapidjson::StringBuffer> writer(buffer);
  writer.SetIndent(' ', 2);
  value.Accept(writer);
  return buffer.GetString();
}

// `text` pretty-printed when it is JSON, else as it is.
std::string pretty_or_raw(const std::string& text) {
  rapidjson::Document document;
  if (document.Parse(text.data(), text.size()).HasParseError()) return text;
  return pretty(document);
}

// Length of the valid UTF-8 sequence at `s[i]`, or 0.
size_t utf8_sequence(const std::string& s, size_t i) {
  auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char lead = byte(i);
  size_t length = lead < 0x80 ? 1 : (lead >> 5) == 0x6 ? 2 : (lead >> 4) == 0xE ? 3 : (lead >> 3) == 0x1E ? 4 : 0;
  if (length == 0 || i + length > s.size()) return 0;
  for (size_t k = 1; k < length; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
  }
  return length;
}

// A guest's bytes as JSON text can hold them: each byte that is not part
// of valid UTF-8 becomes U+FFFD, as function-runner prints them.
std::string utf8_lossy(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    size_t length = utf8_sequence(s, i);
    if (length == 0) {
      out += "\xEF\xBF\xBD";
      ++i;
      continue;
    }
    out.append(s, i, length);
    i += length;
  }
  return out;
}

std::string kib(uint64_t bytes) { return std::to_string(bytes / 1024) + " KiB"; }

// "label: value" and, past the limit, why it matters in production.
std::string measure(const std::string& label, uint64_t value, uint64_t limit, const std::string& unit) {
  std::string line = "  " + label + ": " + std::to_string(value) + unit + " (limit " + std::to_string(limit) + unit + ")";
  if (value > limit) line += "  ** EXCEEDED: " + std::to_string(value) + " > " + std::to_string(limit) + " **";
  return line + "\n";
}

}  // namespace

FunctionLimits function_limits_for(uint64_t input_bytes) {
  FunctionLimits limits;
  uint64_t scale = std::clamp<uint64_t>((input_bytes + kScaleStepBytes - 1) / kScaleStepBytes, 1, kMaxScale);
  limits.instructions *= scale;
  return limits;
}

std::string report_text(const FunctionRunReport& report, const FunctionLimits& limits) {
  std::string text = "Input:\n" + pretty_or_raw(report.input) + "\n\nLogs:\n" + report.logs;
  if (!report.logs.empty() && report.logs.back() != '\n') text += "\n";
  if (report.logs.size() > limits.log_bytes) {
    text += "** Logs would be truncated in production, length " + std::to_string(report.logs.size()) + " > " +
            std::to_string(limits.log_bytes) + " limit **\n";
  }
  text += "\nOutput:\n" + pretty_or_raw(report.output) + "\n";
  if (!report.output_error.empty()) text += "** Invalid output: " + report.output_error + " **\n";
  text += "\n";
  text += "Summary (" + report.name + ", " + (report.success ? "success" : "failed") + "):\n";
  text += measure("instructions", report.instructions, limits.instructions, "");
  text += "  memory used: " + kib(report.memory_bytes) + "\n";
  text += "  module size: " + kib(report.size_bytes) + "\n";
  text += measure("input size", report.input.size(), limits.input_bytes, " bytes");
  text += measure("output size", report.output.size(), limits.output_bytes, " bytes");
  text += measure("log size", report.logs.size(), limits.log_bytes, " bytes");
  return text;
}

std::string report_json(const FunctionRunReport& report) {
  rapidjson::Document object(rapidjson::kObjectType);
  auto& alloc = object.GetAllocator();
  auto text = [&](const std::string& raw) {
    std::string s = utf8_lossy(raw);
    return rapidjson::Value(s.data(), static_cast<rapidjson::SizeType>(s.size()), alloc);
  };
  // input and output as JSON values; an output that is not JSON is kept as
  // its text, with the parser's complaint beside it.
  auto json_or = [&](const std::string& s, const std::string* error) {
    rapidjson::Document parsed(&alloc);
    if ((!error || error->empty()) && !parsed.Parse(s.data(), s.size()).HasParseError()) {
      return rapidjson::Value(parsed, alloc);
    }
    if (!error) return text(s);
    rapidjson::Value invalid(rapidjson::kObjectType);
    invalid.AddMember("stdout", text(s), alloc);
    invalid.AddMember("error", text(error->empty() ? "the output is not JSON" : *error), alloc);
    return invalid;
  };
  object.AddMember("name", text(report.name), alloc);
  object.AddMember("size", report.size_bytes / 1024, alloc);
  object.AddMember("memory_usage", report.memory_bytes / 1024, alloc);
  object.AddMember("instructions", report.instructions, alloc);
  object.AddMember("logs", text(report.logs), alloc);
  object.AddMember("input", json_or(report.input, nullptr), alloc);
  object.AddMember("output", json_or(report.output, &report.output_error), alloc);
  object.AddMember("success", report.success, alloc);
  return pretty(object) + "\n";
}

}  // namespace kiln::cli
