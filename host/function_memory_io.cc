#include "host/function_memory_io.h"

#include <array>

namespace kiln::host {

namespace {

Error provider_error(const std::string& what, const CallResult& result) {
  std::string why = result.trapped() ? result.trap.describe() : result.error;
  if (result.status == CallResult::Status::Exited) why = "exited with code " + std::to_string(result.exit_code);
  return make_error(ErrorKind::Link, "the provider's " + what + " failed: " + why);
}

uint32_t little_endian_u32(const uint8_t* bytes) {
  return uint32_t{bytes[0]} | uint32_t{bytes[1]} << 8 | uint32_t{bytes[2]} << 16 | uint32_t{bytes[3]} << 24;
}

Result<std::string> copy_out(const Instance& provider, uint32_t offset, uint32_t length) {
  auto range = provider.memory_range(GuestSlice{offset, length});
  if (!range) return range.error();
  return std::string(reinterpret_cast<const char*>(range->data()), range->size());
}

}  // namespace

Result<void> write_memory_input(const Instance& provider, std::string_view input) {
  Value length[] = {Value::from_i32(static_cast<int32_t>(input.size()))};
  CallResult result = provider.call("initialize", length);
  if (!result.returned() || result.values.size() != 1) return provider_error("initialize", result);
  const auto* bytes = reinterpret_cast<const uint8_t*>(input.data());
  return provider.write_memory(result.values[0].i32, std::span<const uint8_t>(bytes, input.size()));
}

Result<MemoryOutput> read_memory_output(const Instance& provider) {
  CallResult result = provider.call("finalize", {});
  if (!result.returned() || result.values.size() != 1) return provider_error("finalize", result);
  auto header = provider.memory_range(GuestSlice{result.values[0].i32, 24});
  if (!header) return header.error();
  std::array<uint32_t, 6> fields{};
  for (size_t i = 0; i < fields.size(); ++i) fields[i] = little_endian_u32(header->data() + 4 * i);
  MemoryOutput out;
  auto output = copy_out(provider, fields[0], fields[1]);
  if (!output) return output.error();
  out.output = std::move(*output);
  for (size_t part = 0; part < 2; ++part) {
    auto logs = copy_out(provider, fields[2 + 2 * part], fields[3 + 2 * part]);
    if (!logs) return logs.error();
    out.logs += *logs;
  }
  return out;
}

}  // namespace kiln::host
