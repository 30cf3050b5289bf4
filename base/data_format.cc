#include "base/data_format.h"

namespace kiln::base {

const char* to_string(DataFormat format) { return format == DataFormat::Msgpack ? "msgpack" : "json"; }

std::optional<DataFormat> data_format_named(std::string_view name) {
  if (name == "json") return DataFormat::Json;
  if (name == "msgpack") return DataFormat::Msgpack;
  return std::nullopt;
}

}  // namespace kiln::base
