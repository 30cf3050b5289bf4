#include "execute/kiln_reactor.h"

#include <algorithm>

#include "execute/wasi_command.h"
#include "kiln/store.h"

namespace kiln::execute {
namespace {

std::string range_text(uint64_t offset, uint64_t length) {
  return "[" + std::to_string(offset) + ", " + std::to_string(offset + length) + ")";
}

void fail(ExecResult& result, ExecStatus status, Error error) {
  result.status = status;
  result.error = std::move(error);
}

// How a typed call that did not return ends the ExecResult.
void fail_with_call(const RawCallStatus& call, std::string_view what, ExecResult& result) {
  if (call.status == CallResult::Status::Trapped) return fail_with_trap(call.trap, result);
  if (call.status == CallResult::Status::Exited) {
    // Only a WASI guest can exit (proc_exit): its code, as wasi-command's.
    result.exit_code = call.exit_code;
    return fail(result, ExecStatus::ExtensionFailed,
                make_error(ErrorKind::ExtensionFailed, std::string(what) + " exited with code " +
                                                           std::to_string(call.exit_code) + " (see its log)"));
  }
  fail(result, ExecStatus::Error, make_error(ErrorKind::Internal, std::string(what) + ": " + call.error));
}

}  // namespace

std::optional<GuestSlice> write_reactor_input(const Instance& instance, const ConfigSplice& splice,
                                              ExecResult& result) {
  const std::string who = result.extension + " v" + std::to_string(result.version);
  if (splice.size() > UINT32_MAX) {
    fail(result, ExecStatus::InvalidInput, make_error(ErrorKind::InvalidInput, "input: larger than 4 GiB"));
    return std::nullopt;
  }
  const auto size = static_cast<uint32_t>(splice.size());
  // Checked at deploy (the contract's exports), so a lookup, not a search.
  auto alloc = instance.typed<uint32_t(uint32_t)>(registry::kReactorAllocator);
  if (!alloc) {
    fail(result, ExecStatus::Error, make_error(ErrorKind::Contract, who + ": " + alloc.error().message));
    return std::nullopt;
  }
  auto allocated = alloc->call(size);
  result.fuel_used += allocated.fuel_used;
  if (!allocated.returned()) {
    fail_with_call(allocated, who + ": kiln_alloc", result);
    return std::nullopt;
  }
  const uint64_t memory_size = instance.memory().size();
  if (allocated.value == 0 || uint64_t{allocated.value} + size > memory_size) {
    std::string what = allocated.value == 0 ? "null" : range_text(allocated.value, size);
    fail(result, ExecStatus::Error,
         make_error(ErrorKind::Contract, who + ": kiln_alloc(" + std::to_string(size) + ") returned " + what +
                                             ", not a range inside its memory (" + std::to_string(memory_size) +
                                             " bytes)"));
    return std::nullopt;
  }
  splice.write_to(instance.memory().data() + allocated.value);
  return GuestSlice{allocated.value, size};
}

std::optional<uint64_t> call_reactor_entry(const Instance& instance, const registry::ExtensionPoint& ep,
                                           GuestSlice input, ExecResult& result) {
  const std::string who = result.extension + " v" + std::to_string(result.version);
  auto entry = instance.typed<int64_t(uint32_t, uint32_t)>(ep.entry);
  if (!entry) {
    fail(result, ExecStatus::Error, make_error(ErrorKind::Contract, who + ": " + entry.error().message));
    return std::nullopt;
  }
  // One budget for the whole call: what kiln_alloc left.
  Store& store = instance.store();
  store.limits().fuel = result.fuel_limit - std::min(result.fuel_used, result.fuel_limit);
  auto ran = entry->call(input.offset, input.length);
  result.fuel_used += ran.fuel_used;
  if (!ran.returned()) {
    fail_with_call(ran, who, result);
    return std::nullopt;
  }
  if (ran.value < -INT32_MAX) {
    // A pointer of 2 GiB or more, or garbage: neither an output nor a code.
    fail(result, ExecStatus::InvalidOutput,
         make_error(ErrorKind::InvalidOutput, "output: the guest returned " + std::to_string(ran.value) +
                                                  ", neither (ptr << 32 | len) below 2 GiB nor a failure code"));
    return std::nullopt;
  }
  if (ran.value < 0) {
    // The guest's own failure (kiln_guest.h: kiln_fail(code)), like a
    // command's non-zero exit.
    result.exit_code = static_cast<int>(-ran.value);
    fail(result, ExecStatus::ExtensionFailed,
         make_error(ErrorKind::ExtensionFailed,
                    who + " failed with code " + std::to_string(result.exit_code) + " (see its log)"));
    return std::nullopt;
  }
  return static_cast<uint64_t>(ran.value);
}

Result<std::string_view> reactor_output(const Instance& instance, const registry::ExtensionPoint& ep, uint64_t packed) {
  const uint64_t offset = packed >> 32;
  const uint64_t length = packed & 0xffffffffu;
  std::span<uint8_t> memory = instance.memory();
  // Both halves are 32-bit, so offset + length cannot wrap in 64 bits.
  if (offset + length > memory.size()) {
    return make_error(ErrorKind::InvalidOutput, "output: the guest returned the range " + range_text(offset, length) +
                                                    ", outside its memory (" + std::to_string(memory.size()) +
                                                    " bytes)");
  }
  if (length > ep.limits.max_output) {
    return make_error(ErrorKind::InvalidOutput, "output: " + std::to_string(length) +
                                                    " bytes, over the extension point's limit of " +
                                                    std::to_string(ep.limits.max_output) + " bytes");
  }
  return std::string_view(reinterpret_cast<const char*>(memory.data()) + offset, length);
}

}  // namespace kiln::execute
