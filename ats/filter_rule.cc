#include "ats/filter_rule.h"

#include <map>
#include <vector>

namespace kiln::ats {
namespace {

using host::proxy_wasm::LogLine;
using host::proxy_wasm::Metrics;
using host::proxy_wasm::ProxyWasmConfig;
using host::proxy_wasm::ProxyWasmVm;
using host::proxy_wasm::SharedData;

std::atomic<uint64_t> g_next_serial{1};

// Rules whose filters have the same VM id share their data, as proxy-wasm
// VMs with one vm_id do: two rules running one counter count together.
std::shared_ptr<SharedData> shared_data_for(const std::string& vm_id) {
  static std::mutex mutex;
  static std::map<std::string, std::weak_ptr<SharedData>> by_id;
  std::lock_guard lock(mutex);
  std::weak_ptr<SharedData>& slot = by_id[vm_id];
  auto shared = slot.lock();
  if (!shared) {
    shared = std::make_shared<SharedData>();
    slot = shared;
  }
  return shared;
}

// A thread's last VM per generation, so that a request finds its VM
// without the generation's lock. Entries of dead generations expire.
struct CachedVm {
  uint64_t serial;
  std::weak_ptr<FilterVm> vm;
};
thread_local std::vector<CachedVm> t_cached_vms;

void remember(uint64_t serial, const std::shared_ptr<FilterVm>& vm) {
  std::erase_if(t_cached_vms, [&](const CachedVm& cached) { return cached.serial == serial || cached.vm.expired(); });
  t_cached_vms.push_back({serial, vm});
}

}  // namespace

// ---- FilterVm --------------------------------------------------------------

FilterVm::FilterVm(std::unique_ptr<ProxyWasmVm> vm, std::shared_ptr<const FilterReports> reports)
    : vm_(std::move(vm)), reports_(std::move(reports)), memory_bytes_(vm_->memory_bytes()) {
  if (reports_->vms_changed) reports_->vms_changed(1, static_cast<int64_t>(memory_bytes_));
}

FilterVm::~FilterVm() {
  if (stop_ticks_) stop_ticks_();
  if (reports_->vms_changed) reports_->vms_changed(-1, -static_cast<int64_t>(memory_bytes_));
}

void FilterVm::start_ticks(const std::shared_ptr<FilterVm>& self) {
  const uint32_t period = vm_->tick_period_ms();
  if (period > 0 && reports_->schedule_ticks) stop_ticks_ = reports_->schedule_ticks(self, period);
}

void FilterVm::account_memory() {
  const uint64_t now = vm_->memory_bytes();
  if (now == memory_bytes_) return;
  if (reports_->vms_changed) reports_->vms_changed(0, static_cast<int64_t>(now) - static_cast<int64_t>(memory_bytes_));
  memory_bytes_ = now;
}

// ---- FilterGeneration ------------------------------------------------------

FilterGeneration::FilterGeneration(Module module, ProxyWasmConfig config, std::shared_ptr<const FilterReports> reports)
    : module_(std::move(module)),
      config_(std::move(config)),
      reports_(std::move(reports)),
      name_(config_.properties.at("plugin_name")),
      serial_(g_next_serial.fetch_add(1)),
      has_response_callback_(module_.info().find_export("proxy_on_response_headers") != nullptr),
      has_end_callbacks_(module_.info().find_export("proxy_on_log") || module_.info().find_export("proxy_on_done") ||
                         module_.info().find_export("proxy_on_delete")),
      has_request_body_callback_(module_.info().find_export("proxy_on_request_body") != nullptr),
      has_response_body_callback_(module_.info().find_export("proxy_on_response_body") != nullptr) {}

Result<std::shared_ptr<FilterGeneration>> FilterGeneration::load(const FilterOptions& options,
                                                                 std::shared_ptr<SharedData> shared,
                                                                 std::shared_ptr<Metrics> metrics,
                                                                 std::shared_ptr<const FilterReports> reports) {
  ProxyWasmConfig config;
  if (!options.plugin_config_path.empty()) {
    auto bytes = read_whole_file(options.plugin_config_path);
    if (!bytes) return bytes.error();
    config.plugin_configuration = std::move(*bytes);
  }
  if (!options.vm_config_path.empty()) {
    auto bytes = read_whole_file(options.vm_config_path);
    if (!bytes) return bytes.error();
    config.vm_configuration = std::move(*bytes);
  }
  config.log_level = options.log_level;
  config.limits = options.limits;
  config.shared = std::move(shared);
  config.metrics = std::move(metrics);
  config.properties["plugin_name"] = options.name;
  config.properties["plugin_vm_id"] = options.vm_id;
  if (reports->log) {
    config.log_sink = [reports, name = options.name](const LogLine& line) { reports->log(name, line); };
  }

  EngineConfig engine_config{.backend = BackendKind::Aot};
  engine_config.cache_dir = options.cache_dir;
  engine_config.compiler_command = options.kiln_command;
  // Only compiled code runs in a proxy's worker threads.
  engine_config.aot_interp_fallback = false;
  auto engine = Engine::create(engine_config);
  if (!engine) return engine.error();
  auto module = Module::from_file(*engine, options.module_path);
  if (!module) return module.error();

  std::shared_ptr<FilterGeneration> generation(new FilterGeneration(std::move(*module), std::move(config), reports));
  generation->max_body_bytes_ = options.max_body_bytes;
  if (auto check = generation->start_vm(); !check) return check.error();
  return generation;
}

Result<std::shared_ptr<FilterVm>> FilterGeneration::start_vm() const {
  auto vm = ProxyWasmVm::start(module_, config_);
  if (!vm) return vm.error();
  return std::make_shared<FilterVm>(std::move(*vm), reports_);
}

Result<std::shared_ptr<FilterVm>> FilterGeneration::vm_for_this_thread() {
  for (const CachedVm& cached : t_cached_vms) {
    if (cached.serial != serial_) continue;
    if (auto vm = cached.vm.lock(); vm && !vm->retired.load(std::memory_order_relaxed)) return vm;
    break;
  }
  std::lock_guard lock(mutex_);
  std::shared_ptr<FilterVm>& slot = vms_[std::this_thread::get_id()];
  if (!slot || slot->retired.load()) {
    auto started = start_vm();
    if (!started) return started.error();
    slot = std::move(*started);
    slot->start_ticks(slot);
  }
  remember(serial_, slot);
  return slot;
}

void FilterGeneration::retire(const std::shared_ptr<FilterVm>& vm) {
  vm->retired.store(true);
  std::lock_guard lock(mutex_);
  std::erase_if(vms_, [&](const auto& entry) { return entry.second == vm; });
}

// ---- FilterRule ------------------------------------------------------------

FilterRule::FilterRule(FilterOptions options, std::shared_ptr<const FilterReports> reports)
    : options_(std::move(options)),
      reports_(std::move(reports)),
      shared_(shared_data_for(options_.vm_id)),
      metrics_(std::make_shared<Metrics>()) {}

Result<std::unique_ptr<FilterRule>> FilterRule::create(FilterOptions options,
                                                       std::shared_ptr<const FilterReports> reports) {
  std::unique_ptr<FilterRule> rule(new FilterRule(std::move(options), std::move(reports)));
  if (auto loaded = rule->reload(); !loaded) return loaded.error();
  return rule;
}

std::shared_ptr<FilterGeneration> FilterRule::current() const {
  std::lock_guard lock(mutex_);
  return current_;
}

Result<void> FilterRule::reload() {
  auto generation = FilterGeneration::load(options_, shared_, metrics_, reports_);
  if (!generation) return generation.error();
  std::lock_guard lock(mutex_);
  current_ = std::move(*generation);
  return {};
}

}  // namespace kiln::ats
