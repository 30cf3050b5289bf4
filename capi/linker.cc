// kiln_linker_* and host functions written in C (include/kiln/kiln.h,
// "Linker and host functions").
#include <array>
#include <cstring>

#include "capi/internal.h"

using kiln::capi::fail;
using kiln::capi::guarded;

// The call in progress, as a C host function sees it.
struct kiln_caller_t {
  kiln::HostContext* context;
  enum class Outcome { Return, Trap, Exit } outcome = Outcome::Return;
  std::string trap_message;
  int32_t exit_code = 0;
};

namespace {

// What a definition owns: the C callback, its user data and finalizer.
// Shared by every copy of the HostFunc (linker, stores, pools), so the
// finalizer runs once, when the last of them is gone.
struct CallbackState {
  kiln_host_callback_t callback;
  void* user_data;
  void (*finalizer)(void*);
  ~CallbackState() {
    if (finalizer) finalizer(user_data);
  }
};

// Hot path: a guest calls a C host function. Up to 16 values stay on the
// stack; more go to the heap.
kiln::HostResult call_c(const CallbackState& state, kiln::HostContext& context, std::span<const kiln::Value> args,
                        std::span<kiln::Value> results) {
  constexpr size_t kInline = 16;
  std::array<kiln_val_t, kInline> inline_args, inline_results;
  std::vector<kiln_val_t> heap_args, heap_results;
  kiln_val_t* c_args = inline_args.data();
  kiln_val_t* c_results = inline_results.data();
  if (args.size() > kInline) c_args = (heap_args = std::vector<kiln_val_t>(args.size())).data();
  if (results.size() > kInline) c_results = (heap_results = std::vector<kiln_val_t>(results.size())).data();
  for (size_t i = 0; i < args.size(); ++i) c_args[i] = *kiln::capi::to_c(args[i]);
  for (size_t i = 0; i < results.size(); ++i) {
    std::memset(&c_results[i], 0, sizeof(kiln_val_t));
    c_results[i].kind = *kiln::capi::to_c(results[i].type);
  }
  kiln_caller_t caller{&context, kiln_caller_t::Outcome::Return, {}, 0};
  state.callback(state.user_data, &caller, c_args, args.size(), c_results, results.size());
  if (caller.outcome == kiln_caller_t::Outcome::Trap) {
    return kiln::HostResult::trapped(kiln::TrapKind::HostError, std::move(caller.trap_message));
  }
  if (caller.outcome == kiln_caller_t::Outcome::Exit) return kiln::HostResult::exited(caller.exit_code);
  for (size_t i = 0; i < results.size(); ++i) {
    // A callback that changed a result's kind broke the function's type:
    // trapping says so instead of handing the guest a mistyped value.
    if (kiln::capi::to_val_type(c_results[i].kind) != results[i].type) {
      return kiln::HostResult::trapped(kiln::TrapKind::HostError,
                                       "host function set result " + std::to_string(i) + " to another kind");
    }
    results[i] = kiln::capi::to_value(c_results[i]);
  }
  return kiln::HostResult::ok();
}

kiln_status_t to_types(const char* what, const kiln_valkind_t* kinds, size_t count, std::vector<kiln::ValType>& out) {
  if (!kinds && count > 0) return fail(KILN_ERR_INVALID_ARGUMENT, std::string("kiln_linker_define_func: ") + what + " is NULL");
  for (size_t i = 0; i < count; ++i) {
    auto type = kiln::capi::to_val_type(kinds[i]);
    if (!type) {
      return fail(KILN_ERR_INVALID_ARGUMENT, std::string("kiln_linker_define_func: ") + what + "[" + std::to_string(i) +
                                                 "] is not a value kind (" + std::to_string(kiln::capi::raw_enum(kinds[i])) + ")");
    }
    out.push_back(*type);
  }
  return KILN_OK;
}

}  // namespace

extern "C" {

kiln_status_t kiln_linker_new(kiln_linker_t** out) {
  return guarded("kiln_linker_new", [&] {
    KILN_CAPI_REQUIRE("kiln_linker_new", out);
    *out = new kiln_linker_t{};
    return KILN_OK;
  });
}

void kiln_linker_delete(kiln_linker_t* linker) { delete linker; }

kiln_status_t kiln_linker_define_instance(kiln_linker_t* linker, const char* module, kiln_instance_t* instance) {
  return guarded("kiln_linker_define_instance", [&] {
    KILN_CAPI_REQUIRE("kiln_linker_define_instance", linker);
    KILN_CAPI_REQUIRE("kiln_linker_define_instance", module);
    KILN_CAPI_REQUIRE("kiln_linker_define_instance", instance);
    linker->linker.define_instance(module, instance->instance);
    return KILN_OK;
  });
}

kiln_status_t kiln_linker_define_func(kiln_linker_t* linker, const char* module, const char* name,
                                      const kiln_valkind_t* params, size_t nparams, const kiln_valkind_t* results,
                                      size_t nresults, kiln_host_callback_t callback, void* user_data,
                                      void (*finalizer)(void* user_data)) {
  return guarded("kiln_linker_define_func", [&] {
    KILN_CAPI_REQUIRE("kiln_linker_define_func", linker);
    KILN_CAPI_REQUIRE("kiln_linker_define_func", module);
    KILN_CAPI_REQUIRE("kiln_linker_define_func", name);
    KILN_CAPI_REQUIRE("kiln_linker_define_func", callback);
    kiln::FuncType type;
    if (auto status = to_types("params", params, nparams, type.params); status != KILN_OK) return status;
    if (auto status = to_types("results", results, nresults, type.results); status != KILN_OK) return status;
    // Built in place: a temporary copy would run the finalizer early.
    std::shared_ptr<CallbackState> state(new CallbackState{callback, user_data, finalizer});
    linker->linker.define(module, name,
                          kiln::HostFunc{std::move(type), [state](kiln::HostContext& context,
                                                                  std::span<const kiln::Value> args,
                                                                  std::span<kiln::Value> out) {
                                           return call_c(*state, context, args, out);
                                         }});
    return KILN_OK;
  });
}

uint8_t* kiln_caller_memory(kiln_caller_t* caller, size_t* size) {
  if (size) *size = 0;
  if (!caller) return nullptr;
  std::span<uint8_t> memory = caller->context->memory();
  if (memory.empty()) return nullptr;
  if (size) *size = memory.size();
  return memory.data();
}

void kiln_caller_trap(kiln_caller_t* caller, const char* message) {
  if (!caller) return;
  caller->outcome = kiln_caller_t::Outcome::Trap;
  caller->trap_message = message ? message : "";
}

void kiln_caller_exit(kiln_caller_t* caller, int32_t code) {
  if (!caller) return;
  caller->outcome = kiln_caller_t::Outcome::Exit;
  caller->exit_code = code;
}

}  // extern "C"
