// The kiln-reactor ABI's host functions: the "kiln" import module a reactor
// guest uses to talk to the platform (docs/abi.md). Today one function:
//
//   kiln.log(ptr: i32, len: i32) -> ()   one line of the call's log
//
// Per-call state (the log) is a KilnCall the caller attaches to the Store
// for one call; a pool drops it on release with the rest of the Store's host
// data, so one call's log never reaches the next. Written against the
// Linker, like WASI, never inside a backend.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

namespace kiln {
class Linker;
class Store;
}  // namespace kiln

namespace kiln::host {

// One call's log, kept to `max_log` bytes (what is cut is counted, not kept).
class KilnCall {
 public:
  explicit KilnCall(uint64_t max_log) : max_log_(max_log) {}

  // Appends `line` and a newline, within the limit.
  void log_line(std::string_view line);
  std::string_view log() const { return log_; }
  bool log_truncated() const { return truncated_; }

 private:
  std::string log_;
  uint64_t max_log_;
  bool truncated_ = false;
};

// Defines kiln.* in `linker`. A guest calling kiln.log with a range outside
// its memory traps (a host error naming the range); with no KilnCall
// attached (during `_initialize`), its lines are dropped.
void add_kiln_abi(Linker& linker);

// Attaches a fresh KilnCall to `store` for the next call and returns it.
std::shared_ptr<KilnCall> attach_kiln_call(Store& store, uint64_t max_log);

}  // namespace kiln::host
