// WASI preview1 (wasi_snapshot_preview1) host functions. Every preview1
// function is defined with its exact signature, so any program built with
// wasi-libc links; guests get no filesystem and no network: those calls
// return the proper errno.
//
// The WASI state of a guest (args, environment, standard streams) lives in a
// WasiContext attached to its Store, which shares ownership of it; the
// functions themselves are defined once in a Linker and serve every Store.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace kiln {
class Linker;
class Store;
}  // namespace kiln

namespace kiln::host {

class WasiTape;

struct WasiConfig {
  std::vector<std::string> args;  // argv; args[0] is the program name
  std::vector<std::string> env;   // "KEY=VALUE" entries

  // Inherit: fds 0/1/2 are the process's own (the CLI streams them).
  // Buffered: stdin reads from `stdin_data`; stdout and stderr go to memory
  // buffers capped at `max_output_bytes` each. What is beyond the cap is
  // dropped and counted; the guest still sees its writes complete.
  enum class Stdio { Inherit, Buffered };
  Stdio stdio = Stdio::Buffered;
  std::string stdin_data;
  uint64_t max_output_bytes = uint64_t{1} << 20;
  // Clocks and randomness recorded on, or replayed from, a tape
  // (kiln/wasi_tape.h); null: the host's own, unrecorded.
  std::shared_ptr<WasiTape> tape;
};

class WasiContext {
 public:
  explicit WasiContext(WasiConfig config);
  ~WasiContext();
  WasiContext(const WasiContext&) = delete;
  WasiContext& operator=(const WasiContext&) = delete;

  const WasiConfig& config() const;
  // What the guest wrote, in Buffered mode (empty in Inherit mode).
  std::string_view stdout_data() const;
  std::string_view stderr_data() const;
  // Bytes written beyond the cap, stdout and stderr together.
  uint64_t output_dropped_bytes() const;

  // The state the WASI functions work on (host/wasi_state.h).
  struct State;
  State& state();

 private:
  std::unique_ptr<State> state_;
};

// Defines every wasi_snapshot_preview1 function in `linker`.
void add_wasi(Linker& linker);

// Attaches the WASI context the Store's guests see. A WASI function called
// in a Store without one traps with a host error.
void attach_wasi(Store& store, std::shared_ptr<WasiContext> context);
WasiContext* wasi_context(Store& store);

}  // namespace kiln::host
