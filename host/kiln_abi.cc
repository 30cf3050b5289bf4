#include "host/kiln_abi.h"

#include "kiln/host_function.h"
#include "kiln/linker.h"
#include "kiln/store.h"

namespace kiln::host {
namespace {

// The Store's host-data key for the call's KilnCall.
const char kKilnCallKey = 0;

// Hot path (a guest logging): a bounds check and an append, no lookup but
// the Store's host data.
HostResult kiln_log(HostContext& context, std::span<const Value> args, std::span<Value>) {
  const uint32_t ptr = static_cast<uint32_t>(args[0].i32);
  const uint32_t len = static_cast<uint32_t>(args[1].i32);
  std::span<uint8_t> memory = context.memory();
  // 64-bit sum: ptr + len cannot wrap.
  if (uint64_t{ptr} + len > memory.size()) {
    return HostResult::trapped(TrapKind::HostError, "kiln.log: range [" + std::to_string(ptr) + ", " +
                                                        std::to_string(uint64_t{ptr} + len) +
                                                        ") is outside the guest's memory (" +
                                                        std::to_string(memory.size()) + " bytes)");
  }
  auto* call = static_cast<KilnCall*>(context.store().host_data(&kKilnCallKey));
  if (call) call->log_line(std::string_view(reinterpret_cast<const char*>(memory.data()) + ptr, len));
  return HostResult::ok();
}

}  // namespace

void KilnCall::log_line(std::string_view line) {
  const uint64_t room = max_log_ > log_.size() ? max_log_ - log_.size() : 0;
  if (line.size() + 1 > room) {
    truncated_ = true;
    log_.append(line.substr(0, room));
    return;
  }
  log_.append(line);
  log_.push_back('\n');
}

void add_kiln_abi(Linker& linker) {
  linker.define("kiln", "log", HostFunc{FuncType{{ValType::I32, ValType::I32}, {}}, kiln_log});
}

std::shared_ptr<KilnCall> attach_kiln_call(Store& store, uint64_t max_log) {
  auto call = std::make_shared<KilnCall>(max_log);
  store.set_host_data(&kKilnCallKey, call);
  return call;
}

}  // namespace kiln::host
