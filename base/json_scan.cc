#include "base/json_scan.h"

#include <rapidjson/error/en.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>

namespace kiln::base {
namespace {

struct Scanner : rapidjson::BaseReaderHandler<rapidjson::UTF8<>, Scanner> {
  int max_depth = kMaxJsonDepth;
  int depth = 0;
  bool too_deep = false;
  JsonScan scan;

  bool Default() { return true; }
  bool open(bool object) {
    if (depth == 0) scan.root_is_object = object;
    if (++depth > max_depth) {
      too_deep = true;
      return false;
    }
    return true;
  }
  bool StartObject() { return open(true); }
  bool StartArray() { return open(false); }
  bool EndObject(rapidjson::SizeType) { return --depth, true; }
  bool EndArray(rapidjson::SizeType) { return --depth, true; }
  bool Key(const char* text, rapidjson::SizeType length, bool) {
    if (depth == 1 && std::string_view(text, length) == "config") scan.has_config_member = true;
    return true;
  }
};

}  // namespace

Result<JsonScan> scan_json(std::string_view text, ErrorKind kind, std::string_view what, int max_depth) {
  Scanner scanner;
  scanner.max_depth = max_depth;
  rapidjson::Reader reader;
  rapidjson::MemoryStream stream(text.data(), text.size());
  constexpr unsigned kFlags = rapidjson::kParseIterativeFlag | rapidjson::kParseValidateEncodingFlag;
  rapidjson::ParseResult parsed = reader.Parse<kFlags>(stream, scanner);
  // RapidJSON's streams read a NUL byte as the end of the text, so
  // `{}\0anything` parses; the bytes past it are not JSON.
  if (parsed && stream.Tell() != text.size()) {
    parsed.Set(rapidjson::kParseErrorDocumentRootNotSingular, stream.Tell());
  }
  if (parsed) return scanner.scan;
  ErrorLocation where;
  where.offset = parsed.Offset();
  std::string at = " at offset " + std::to_string(parsed.Offset());
  std::string message = scanner.too_deep
                            ? std::string(what) + " nests deeper than " + std::to_string(max_depth) + " levels" + at
                            : std::string(what) + " is not JSON" + at + ": " + rapidjson::GetParseError_En(parsed.Code());
  return make_error(kind, std::move(message), std::move(where));
}

}  // namespace kiln::base
