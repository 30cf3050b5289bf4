#include "base/units.h"

#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>
#include <string>

namespace kiln::base {

namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Splits "12.5ms" into the number 12.5 and the unit "ms".
bool split_number(std::string_view text, double* number, std::string* unit) {
  size_t end = 0;
  while (end < text.size() && (std::isdigit(static_cast<unsigned char>(text[end])) || text[end] == '.')) ++end;
  if (end == 0) return false;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + end, *number);
  if (ec != std::errc() || ptr != text.data() + end || !std::isfinite(*number)) return false;
  *unit = lower(text.substr(end));
  return true;
}

}  // namespace

Result<uint64_t> parse_size(std::string_view text) {
  double number = 0;
  std::string unit;
  auto bad = [&] {
    return make_error(ErrorKind::InvalidArgument, "invalid size '" + std::string(text) + "' (use bytes or K, M, G, KiB, MiB, GiB)");
  };
  if (!split_number(text, &number, &unit)) return bad();
  if (!unit.empty() && unit.back() == 'b') unit.pop_back();
  if (unit.size() == 2 && unit[1] == 'i') unit.pop_back();
  double scale = unit.empty() ? 1 : unit == "k" ? 1024.0 : unit == "m" ? 1048576.0 : unit == "g" ? 1073741824.0 : 0;
  if (scale == 0) return bad();
  double bytes = number * scale;
  if (bytes > static_cast<double>(std::numeric_limits<uint64_t>::max() / 2)) return bad();
  return static_cast<uint64_t>(bytes);
}

Result<std::chrono::nanoseconds> parse_duration(std::string_view text) {
  double number = 0;
  std::string unit;
  auto bad = [&] { return make_error(ErrorKind::InvalidArgument, "invalid duration '" + std::string(text) + "' (use ms, s or m, e.g. 500ms)"); };
  if (!split_number(text, &number, &unit)) return bad();
  double scale = unit == "ms" ? 1e6 : unit == "s" ? 1e9 : unit == "m" ? 60e9 : 0;
  if (scale == 0 || number * scale > 1e18) return bad();
  return std::chrono::nanoseconds(static_cast<int64_t>(number * scale));
}

}  // namespace kiln::base
