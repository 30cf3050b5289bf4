// DataFormat: how a value crosses a boundary — JSON text or MessagePack.
// An extension point names its guest's format; each call names the
// caller's (execute/call_options.h). Both describe the same data model,
// JSON's: MessagePack values without a JSON meaning are refused.
#pragma once

#include <optional>
#include <string_view>

namespace kiln::base {

enum class DataFormat { Json, Msgpack };

// "json", "msgpack": the names used in definitions, flags and results.
const char* to_string(DataFormat format);
std::optional<DataFormat> data_format_named(std::string_view name);

}  // namespace kiln::base
