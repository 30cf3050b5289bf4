// One remap rule's filter inside Traffic Server: the module its parameters
// name, loaded (compiled once, through kiln's artifact cache), and the
// proxy-wasm VMs that run it, one per worker thread.
//
// A rule holds its current FilterGeneration; reload() loads the module and
// configurations again into a new generation and swaps it in, so requests
// that started on the old one finish on it (each holds its generation and
// VM) while new requests get the new one. A reload that fails keeps the
// old generation and says why.
//
// A VM serves every stream of its thread, as a proxy-wasm VM serves a
// worker: streams are contexts inside it, not VMs of their own. Its mutex
// is uncontended as long as Traffic Server runs a transaction's hooks on
// the transaction's thread, which it does; it makes a hook that runs
// elsewhere correct, not slow.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "ats/filter_options.h"
#include "host/proxy_wasm/proxy_wasm_vm.h"
#include "kiln/engine.h"
#include "kiln/module.h"

namespace kiln::ats {

class FilterVm;

// What a rule needs from its proxy: somewhere for the filter's log lines,
// a count of the VMs alive and the linear memory they hold, and a timer
// for the ticks a filter asks for (returning what stops it).
struct FilterReports {
  std::function<void(const std::string& rule, const host::proxy_wasm::LogLine& line)> log;
  std::function<void(int64_t vms, int64_t memory_bytes)> vms_changed;
  std::function<std::function<void()>(std::weak_ptr<FilterVm> vm, uint32_t period_ms)> schedule_ticks;
};

// A VM and the lock that gives it to one thread at a time.
class FilterVm {
 public:
  FilterVm(std::unique_ptr<host::proxy_wasm::ProxyWasmVm> vm, std::shared_ptr<const FilterReports> reports);
  ~FilterVm();
  FilterVm(const FilterVm&) = delete;
  FilterVm& operator=(const FilterVm&) = delete;

  std::mutex mutex;
  host::proxy_wasm::ProxyWasmVm& vm() { return *vm_; }
  // After callbacks ran (under `mutex`): reports a change in memory.
  void account_memory();
  // A trapped VM is retired: no new stream starts on it.
  std::atomic<bool> retired{false};
  // Starts the ticks the filter asked for when it started (its tick period).
  void start_ticks(const std::shared_ptr<FilterVm>& self);

 private:
  std::function<void()> stop_ticks_;
  std::unique_ptr<host::proxy_wasm::ProxyWasmVm> vm_;
  std::shared_ptr<const FilterReports> reports_;
  uint64_t memory_bytes_ = 0;
};

class FilterGeneration {
 public:
  // Loads the module and configurations `options` name and starts one VM
  // to check that the filter accepts them (then drops it).
  static Result<std::shared_ptr<FilterGeneration>> load(const FilterOptions& options,
                                                        std::shared_ptr<host::proxy_wasm::SharedData> shared,
                                                        std::shared_ptr<host::proxy_wasm::Metrics> metrics,
                                                        std::shared_ptr<const FilterReports> reports);

  // The calling thread's VM, started on its first request; a new one after
  // the thread's VM was retired.
  Result<std::shared_ptr<FilterVm>> vm_for_this_thread();
  // Takes a VM whose callback trapped out of service.
  void retire(const std::shared_ptr<FilterVm>& vm);

  // The rule's name (--name), for log lines.
  const std::string& name() const { return name_; }
  size_t max_body_bytes() const { return max_body_bytes_; }
  bool has_response_callback() const { return has_response_callback_; }
  // Whether the filter exports proxy_on_log, _done or _delete: without
  // them a stream that needs no response callback ends in the remap step,
  // and the transaction carries no hooks of ours.
  bool has_end_callbacks() const { return has_end_callbacks_; }
  bool has_request_body_callback() const { return has_request_body_callback_; }
  bool has_response_body_callback() const { return has_response_body_callback_; }

 private:
  FilterGeneration(Module module, host::proxy_wasm::ProxyWasmConfig config,
                   std::shared_ptr<const FilterReports> reports);
  Result<std::shared_ptr<FilterVm>> start_vm() const;

  Module module_;
  host::proxy_wasm::ProxyWasmConfig config_;
  std::shared_ptr<const FilterReports> reports_;
  const std::string name_;
  size_t max_body_bytes_ = 0;
  const uint64_t serial_;  // tells this generation apart in threads' caches
  bool has_response_callback_ = false;
  bool has_end_callbacks_ = false;
  bool has_request_body_callback_ = false;
  bool has_response_body_callback_ = false;
  std::mutex mutex_;
  std::unordered_map<std::thread::id, std::shared_ptr<FilterVm>> vms_;
};

class FilterRule {
 public:
  static Result<std::unique_ptr<FilterRule>> create(FilterOptions options, std::shared_ptr<const FilterReports> reports);

  std::shared_ptr<FilterGeneration> current() const;
  // Loads the module and configurations again; on failure the current
  // generation stays and the error says why.
  Result<void> reload();
  const FilterOptions& options() const { return options_; }

 private:
  FilterRule(FilterOptions options, std::shared_ptr<const FilterReports> reports);

  FilterOptions options_;
  std::shared_ptr<const FilterReports> reports_;
  std::shared_ptr<host::proxy_wasm::SharedData> shared_;
  std::shared_ptr<host::proxy_wasm::Metrics> metrics_;
  mutable std::mutex mutex_;
  std::shared_ptr<FilterGeneration> current_;
};

}  // namespace kiln::ats
