// How kiln's WASI functions are written and registered. Each is a plain C++
// function taking a WasiCall and its wasm parameters as uint32_t (i32) or
// uint64_t (i64); define() derives the exact preview1 signature from the C++
// one, so a signature cannot drift from the code that reads its arguments.
//
// A function answers with an Errno (the guest's i32 result), an Answer (an
// Errno or an end to the call: a deadline trap), or a HostResult alone for
// proc_exit, which returns nothing to the guest.
#pragma once

#include <cstdint>
#include <type_traits>
#include <utility>
#include <variant>

#include "kiln/wasi.h"
#include "host/wasi_abi.h"
#include "host/wasi_errno.h"
#include "host/wasi_memory.h"
#include "host/wasi_state.h"
#include "kiln/host_function.h"
#include "kiln/linker.h"

namespace kiln::host::wasi {

// What a WASI function sees of the call that reached it. Lives for one host call.
class WasiCall {
 public:
  WasiCall(HostContext& host, WasiContext::State& state) : host_(host), state_(state), memory_(host.memory()) {}

  GuestMemory& memory() { return memory_; }
  WasiContext::State& state() { return state_; }
  // When the guest's call must end (its Store's timeout); nullopt if never.
  WaitLimit deadline();

 private:
  HostContext& host_;
  WasiContext::State& state_;
  GuestMemory memory_;
};

using Answer = std::variant<Errno, HostResult>;

// The trap for a wait cut short by the call's deadline.
HostResult deadline_trap(const char* function);

// The answer to an operation kiln does not offer on `fd`: Badf if the fd is
// not open, as a real system would say first, else `if_open`.
Errno refuse(WasiCall& call, uint32_t fd, Errno if_open);

namespace detail {

template <class T>
constexpr ValType wasm_type() {
  static_assert(std::is_same_v<T, uint32_t> || std::is_same_v<T, uint64_t>, "WASI parameters are i32 or i64");
  return std::is_same_v<T, uint32_t> ? ValType::I32 : ValType::I64;
}

template <class T>
T arg(const Value& value) {
  if constexpr (std::is_same_v<T, uint32_t>) return value.i32;
  else return value.i64;
}

inline HostResult finish(Errno error, std::span<Value> results) {
  results[0] = Value::from_i32(static_cast<int32_t>(error));
  return HostResult::ok();
}

inline HostResult finish(Answer answer, std::span<Value> results) {
  if (auto* error = std::get_if<Errno>(&answer)) return finish(*error, results);
  return std::get<HostResult>(std::move(answer));
}

inline HostResult finish(HostResult result, std::span<Value>) { return result; }

HostResult no_context_trap(const char* function);

template <class R, class... P, size_t... I>
R invoke(R (*fn)(WasiCall&, P...), WasiCall& call, std::span<const Value> args, std::index_sequence<I...>) {
  return fn(call, arg<P>(args[I])...);
}

}  // namespace detail

template <class R, class... P>
void define(Linker& linker, const char* name, R (*fn)(WasiCall&, P...)) {
  static_assert(std::is_same_v<R, Errno> || std::is_same_v<R, Answer> || std::is_same_v<R, HostResult>);
  FuncType type{{detail::wasm_type<P>()...}, {}};
  if constexpr (!std::is_same_v<R, HostResult>) type.results = {ValType::I32};
  auto callback = [name, fn](HostContext& host, std::span<const Value> args, std::span<Value> results) {
    WasiContext* context = wasi_context(host.store());
    if (!context) return detail::no_context_trap(name);
    WasiCall call(host, context->state());
    return detail::finish(detail::invoke(fn, call, args, std::index_sequence_for<P...>{}), results);
  };
  linker.define(kModuleName, name, HostFunc{std::move(type), std::move(callback)});
}

// Each adds one group of preview1 functions; add_wasi() calls them all.
void add_args_functions(Linker& linker);         // args_*, environ_*
void add_clock_functions(Linker& linker);        // clock_*
void add_poll_functions(Linker& linker);         // poll_oneoff, sched_yield
void add_stdio_fd_functions(Linker& linker);     // fd_* that stdio supports
void add_unsupported_fd_functions(Linker& linker);  // fd_* for files and directories
void add_path_functions(Linker& linker);         // path_*: no filesystem
void add_sock_functions(Linker& linker);         // sock_*: no network
void add_proc_functions(Linker& linker);         // proc_exit, proc_raise
void add_random_functions(Linker& linker);       // random_get

}  // namespace kiln::host::wasi
