#include "execute/guest_format.h"

#include "base/json_msgpack.h"
#include "base/msgpack_reader.h"
#include "base/json_scan.h"
#include "execute/scratch_document.h"

namespace kiln::execute {
namespace {

using base::DataFormat;

std::span<const uint8_t> bytes_of(std::string_view s) { return {reinterpret_cast<const uint8_t*>(s.data()), s.size()}; }

Error pointer_error(ErrorKind kind, std::string pointer, std::string message) {
  ErrorLocation where;
  where.json_pointer = std::move(pointer);
  where.has_json_pointer = true;
  return make_error(kind, std::move(message), std::move(where));
}

// "input: /cart/lines/0: ..." from the schema's own error.
Error prefixed(Error error, std::string_view what) {
  error.message = std::string(what) + " " + error.message;
  return error;
}

// The unsampled calls' check: the reader's walk alone, watching the root's
// shape and its keys (no document, no copy).
struct InputShape {
  int depth = 0;
  bool root_is_map = false;
  bool has_config = false;
  bool Null() { return true; }
  bool Bool(bool) { return true; }
  bool Int64(int64_t) { return true; }
  bool Uint64(uint64_t) { return true; }
  bool Double(double) { return true; }
  bool String(const char*, uint32_t, bool) { return true; }
  bool Key(const char* s, uint32_t n, bool) {
    if (depth == 1 && std::string_view(s, n) == "config") has_config = true;
    return true;
  }
  bool StartObject() {
    if (depth++ == 0) root_is_map = true;
    return true;
  }
  bool EndObject(uint32_t) { return --depth, true; }
  bool StartArray() { return ++depth, true; }
  bool EndArray(uint32_t) { return --depth, true; }
};

Result<void> check_shape(const registry::ExtensionPoint& ep, bool root_is_map, bool has_config) {
  if (!root_is_map) return pointer_error(ErrorKind::InvalidInput, "", "input: the root must be a map (a JSON object)");
  if (has_config) {
    return pointer_error(ErrorKind::InvalidInput, "/config",
                         "input: /config: the input may not have a top-level \"config\" member; the " + ep.abi +
                             " ABI puts the extension's config there");
  }
  return {};
}

// The conversion buffer of this thread: its capacity stays for the next call.
std::string& conversion_buffer() {
  thread_local std::string buffer;
  buffer.clear();
  return buffer;
}

}  // namespace

Result<void> check_msgpack_input(const registry::ExtensionPoint& ep, std::span<const uint8_t> input,
                                 bool with_schema) {
  if (!with_schema) {
    InputShape shape;
    if (auto read = base::read_msgpack(input, shape, ErrorKind::InvalidInput, "input"); !read) return read;
    return check_shape(ep, shape.root_is_map, shape.has_config);
  }
  rapidjson::Document& doc = scratch_document();
  if (auto read = base::msgpack_to_document(input, doc, ErrorKind::InvalidInput, "input"); !read) return read;
  if (auto shape = check_shape(ep, doc.IsObject(), doc.IsObject() && doc.HasMember("config")); !shape) return shape;
  if (auto valid = ep.input_schema->check(doc, ErrorKind::InvalidInput); !valid) return prefixed(valid.error(), "input:");
  return {};
}

Result<GuestInput> guest_input(const registry::ExtensionPoint& ep, std::span<const uint8_t> input, DataFormat caller,
                               std::string_view config_json, std::string_view config_msgpack) {
  if (caller == ep.format) {
    if (caller == DataFormat::Json) return GuestInput{ConfigSplice(input, config_json), 0};
    return GuestInput{ConfigSplice::msgpack(input, config_msgpack), 0};
  }
  std::string& buffer = conversion_buffer();
  Result<void> converted =
      caller == DataFormat::Json
          ? base::append_json_as_msgpack({reinterpret_cast<const char*>(input.data()), input.size()}, buffer,
                                         ErrorKind::InvalidInput, "input", "config", config_msgpack)
          : base::append_msgpack_as_json(input, buffer, ErrorKind::InvalidInput, "input", "config", config_json);
  if (!converted) return converted.error();
  return GuestInput{ConfigSplice::whole(buffer), buffer.size()};
}

Result<uint64_t> take_guest_output(const registry::ExtensionPoint& ep, std::string_view output, DataFormat wanted,
                                   std::string& out, bool* plain_object) {
  rapidjson::Document& doc = scratch_document();
  if (ep.format == DataFormat::Json) {
    if (auto scan = base::scan_json(output, ErrorKind::InvalidOutput, "output"); !scan) return scan.error();
    doc.Parse<rapidjson::kParseIterativeFlag>(output.data(), output.size());
    if (doc.HasParseError()) {
      return make_error(ErrorKind::InvalidOutput, "output is not JSON at offset " + std::to_string(doc.GetErrorOffset()));
    }
  } else if (auto read = base::msgpack_to_document(bytes_of(output), doc, ErrorKind::InvalidOutput, "output"); !read) {
    return read.error();
  }
  if (auto valid = ep.output_schema->check(doc, ErrorKind::InvalidOutput); !valid) {
    return prefixed(valid.error(), "output:");
  }
  if (plain_object) *plain_object = doc.IsObject() && !doc.HasMember("config");
  if (wanted == ep.format) {
    if (out.data() != output.data() || out.size() != output.size()) out.assign(output);
    return output.size();
  }
  // The document points into `output`, which may be `out`: write elsewhere first.
  std::string converted;
  if (wanted == DataFormat::Msgpack) base::append_value_as_msgpack(doc, converted);
  else base::append_value_as_json(doc, converted);
  out = std::move(converted);
  return out.size();
}

Result<std::string> convert_value(std::string_view bytes, DataFormat from, DataFormat to, ErrorKind kind,
                                  std::string_view what) {
  std::string out;
  if (from == to) return std::string(bytes);
  Result<void> converted = from == DataFormat::Json
                               ? base::append_json_as_msgpack(bytes, out, kind, what)
                               : base::append_msgpack_as_json(bytes_of(bytes), out, kind, what);
  if (!converted) return converted.error();
  return out;
}

// Through a document, off the hot path: the smallest MessagePack forms.
std::string config_as_msgpack(std::string_view config_json) {
  rapidjson::Document doc;
  doc.Parse(config_json.data(), config_json.size());
  if (doc.HasParseError()) return "\x80";  // {}: the config was checked at deploy
  std::string out;
  base::append_value_as_msgpack(doc, out);
  return out;
}

}  // namespace kiln::execute
