// WASI preview1 (wasi_snapshot_preview1) host functions. Every preview1
// function is defined, so any program built with wasi-libc links; guests get
// no filesystem and no network: those calls return the proper errno.
//
// The WASI state of a call (args, environment, stdio) lives in a
// WasiContext attached to the Store; the functions themselves are defined
// once in a Linker and shared by every Store.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace kiln {
class Linker;
class Store;
}  // namespace kiln

namespace kiln::host {

struct WasiConfig {
  std::vector<std::string> args;  // argv, args[0] is the program name
  std::vector<std::string> env;   // "KEY=VALUE" entries

  // Inherit: fds 0/1/2 are the process's own (the CLI streams them).
  // Buffered: stdin reads from `stdin_data`; stdout and stderr go to memory
  // buffers capped at `max_output_bytes` each (excess is dropped and counted).
  enum class Stdio { Inherit, Buffered };
  Stdio stdio = Stdio::Buffered;
  std::string stdin_data;
  uint64_t max_output_bytes = uint64_t{1} << 20;
};

class WasiContext {
 public:
  explicit WasiContext(WasiConfig config);
  ~WasiContext();

  const WasiConfig& config() const;
  const std::string& stdout_data() const;   // Buffered mode
  const std::string& stderr_data() const;   // Buffered mode
  uint64_t output_dropped_bytes() const;    // bytes beyond the cap

  struct State;
  State& state();

 private:
  std::unique_ptr<State> state_;
};

// Defines all wasi_snapshot_preview1 functions in `linker`.
void add_wasi(Linker& linker);

// Attaches the WASI context a Store's guests see; functions called in a
// Store without one fail with a host error trap.
void attach_wasi(Store& store, std::shared_ptr<WasiContext> context);
WasiContext* wasi_context(Store& store);

}  // namespace kiln::host
