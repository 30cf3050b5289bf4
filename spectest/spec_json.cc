#include "spectest/spec_json.h"

namespace kiln::spectest {

namespace {

bool is_json_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

}  // namespace

std::string repair_missing_commas(std::string_view json) {
  std::string out;
  out.reserve(json.size());
  bool in_string = false;
  bool escaped = false;
  bool after_object = false;  // outside strings, the last non-space character was '}'
  for (char c : json) {
    if (in_string) {
      in_string = escaped || c != '"';
      escaped = !escaped && c == '\\';
    } else if (!is_json_space(c)) {
      if (after_object && c == '{') out += ',';
      after_object = c == '}';
      in_string = c == '"';
    }
    out += c;
  }
  return out;
}

}  // namespace kiln::spectest
