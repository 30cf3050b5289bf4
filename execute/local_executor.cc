#include "execute/local_executor.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>
#include <tuple>
#include <unordered_map>

#include "execute/combine.h"
#include "execute/config_splice.h"
#include "execute/guest_format.h"
#include "execute/kiln_reactor.h"
#include "execute/lineup.h"
#include "execute/wasi_command.h"
#include "execute/worker_pool.h"
#include "host/function_memory_io.h"
#include "host/function_providers.h"
#include "host/kiln_abi.h"
#include "kiln/kiln.hpp"
#include "kiln/wasi.h"
#include "registry/canary_share.h"
#include "registry/registry.h"

namespace kiln::execute {
namespace {

using Clock = std::chrono::steady_clock;

// Lets the index be searched by string_view without making a string.
struct NameHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
struct NameEq {
  using is_transparent = void;
  bool operator()(std::string_view a, std::string_view b) const { return a == b; }
};

struct EpStats {
  std::array<StageHistogram, kStageCount> stages;
  StageHistogram overhead;
  std::array<std::atomic<uint64_t>, kExecStatusCount> by_status{};
  std::array<std::atomic<uint64_t>, kErrorKindSlots> errors_by_kind{};
  std::atomic<uint64_t> calls{0};  // drives input-validation sampling
  // combine all: a moving average of one extension's run time, in ns,
  // that decides whether side by side pays.
  std::atomic<uint64_t> link_run_ns{0};
};

// Folds one call's average run time per extension into the moving average
// (weight 1/8; the first call sets it). Races between calls lose a sample,
// which an average can afford.
// A module's pool, within its extension point's limits.
InstancePoolConfig pool_config_for(const registry::ExtensionPointLimits& limits, std::size_t max_instances) {
  InstancePoolConfig pool_config;
  pool_config.max_instances = max_instances;
  pool_config.limits.fuel = limits.fuel;
  pool_config.limits.max_memory_bytes = limits.memory;
  pool_config.limits.timeout = limits.timeout;
  return pool_config;
}

void record_link_run(EpStats& stats, const ExecResult& result) {
  if (result.extensions.empty()) return;
  const uint64_t sample = static_cast<uint64_t>(result.run_time.count()) / result.extensions.size();
  const uint64_t old = stats.link_run_ns.load(std::memory_order_relaxed);
  stats.link_run_ns.store(old == 0 ? sample : (old * 7 + sample) / 8, std::memory_order_relaxed);
}

// A module made ready for one extension point's limits. It lives as long
// as an index or a call in flight holds a binding to it: a redeploy drains
// it, and the last call to return releases its instances and artifact.
struct LoadedModule {
  std::optional<Module> module;
  // A Shopify function's slots hold its provider's instance too, made
  // first in the same Store and reset with it.
  std::shared_ptr<InstancePool> pool;
  // A Shopify function's provider (deploy/extension_deploy.h): its import
  // name, empty for any other module. The pool makes its instances.
  std::string provider_name;
  bool provider_memory_io = false, provider_messagepack = false;
  bool imports_wasi = false;  // a kiln-reactor guest its extension point lets use WASI: it gets a context
  // The first binding that loaded it, for pool_stats().
  std::string extension_point, extension, module_sha256;
  int64_t version = 0;
};

struct Binding {
  registry::Extension extension;
  std::string config_json;  // what goes in as the input's "config"
  std::string config_msgpack;  // the same for a msgpack guest (the extension point's format)
  std::shared_ptr<LoadedModule> loaded;
  std::optional<Error> load_error;  // why it cannot run, when loaded is null
  bool is_canary = false;
  // A canary of this binding's extension, and the share of scopes it
  // runs for (registry/canary_share.h); null: none.
  std::shared_ptr<const Binding> canary;
  int canary_percent = 0;
};

// The binding that answers `scope`: the canary for its share of scopes.
const Binding& for_scope(const Binding& live, std::string_view scope) {
  if (live.canary && registry::runs_canary(scope, live.canary_percent)) return *live.canary;
  return live;
}

// What runs for one scope, highest priority first: one binding for
// combine single, every one that runs for chain and all.
using Lineup = std::vector<std::shared_ptr<const Binding>>;

struct EpEntry {
  std::shared_ptr<const registry::ExtensionPoint> ep;
  std::shared_ptr<EpStats> stats;
  std::unordered_map<std::string, Lineup, NameHash, NameEq> by_scope;  // "*" included
};

struct Index {
  std::unordered_map<std::string, EpEntry, NameHash, NameEq> eps;
};

// Deterministic sampling: exactly `rate` of calls, spread evenly.
bool sampled(uint64_t n, double rate) {
  if (rate >= 1.0) return true;
  if (rate <= 0.0) return false;
  return static_cast<uint64_t>(static_cast<double>(n + 1) * rate) > static_cast<uint64_t>(static_cast<double>(n) * rate);
}

ExecResult failed(ExecResult result, ExecStatus status, Error error) {
  result.status = status;
  result.error = std::move(error);
  return result;
}

// Ends `stage` at now, adding its time to the result (a stage may come in
// two parts); the next stage starts at `mark`.
std::chrono::nanoseconds end_stage(ExecResult& result, Stage stage, Clock::time_point& mark) {
  Clock::time_point now = Clock::now();
  std::chrono::nanoseconds took = now - mark;
  result.stages[static_cast<int>(stage)] += took;
  mark = now;
  return took;
}

// `more` after what the log holds, within the extension point's limit (a
// reactor's WASI stderr after its kiln.log lines, a provider's logs).
void append_log(const registry::ExtensionPoint& ep, std::string_view more, ExecResult& result) {
  const uint64_t room = ep.limits.max_log > result.log.size() ? ep.limits.max_log - result.log.size() : 0;
  if (more.size() > room) result.log_truncated = true;
  result.log.append(more.substr(0, room));
}

// A wasi-command guest's output checked and taken in the caller's format.
void take_command_output(const registry::ExtensionPoint& ep, ExecResult& result, const CallOptions& options) {
  if (result.status != ExecStatus::Ok) return;
  auto taken = take_guest_output(ep, result.output, options.output_format, result.output, &result.output_is_plain_object);
  if (!taken) {
    result.status = ExecStatus::InvalidOutput;
    result.error = taken.error();
    return;
  }
  result.output_format = options.output_format;
  if (options.output_format != ep.format) result.bytes_copied[static_cast<int>(Stage::ValidateOutput)] += *taken;
}

// What every run of a binding says about it, before it runs.
void describe_binding(const registry::ExtensionPoint& ep, const Binding& binding, ExecResult& result,
                      bool with_module = true) {
  const registry::Extension& ext = binding.extension;
  result.matched_scope = ext.scope;
  result.extension = ext.name;
  result.version = ext.version;
  result.canary = binding.is_canary;
  result.memory_limit_bytes = ep.limits.memory;
  if (!with_module) return;
  result.module_sha256 = ext.module.sha256;
  result.module_size = ext.module.size;
  // A function runs on its provider's backend (load_function).
  result.backend = !ext.provider.empty() && ext.provider_module.backend == "interp" ? "interp" : ext.module.backend;
}

}  // namespace

struct LocalExecutor::Impl {
  LocalExecutorConfig config;
  std::optional<Engine> engine;
  Linker linker;

  std::atomic<std::shared_ptr<const Index>> index;
  std::atomic<uint64_t> generation{0};

  // Refresh state: one refresher at a time.
  std::mutex refresh_mutex;
  std::unique_ptr<registry::Registry> registry;
  int64_t seen_data_version = -1;
  std::map<std::string, std::shared_ptr<EpStats>> stats_by_ep;
  std::map<std::string, std::shared_ptr<const registry::ExtensionPoint>> definitions;  // "name@version"
  // "ep@version@sha": what an index binds now, and what is draining.
  std::map<std::string, std::weak_ptr<LoadedModule>> modules;

  std::unique_ptr<WorkerPool> workers;  // combine all's side-by-side runs; null: one after another
  std::unique_ptr<ReplayRecorder> recorder;  // config.replay_capture; null: no capture

  std::mutex poll_mutex;
  std::condition_variable poll_wake;
  bool stopping = false;
  std::thread poller;

  Result<void> refresh(bool force);
  Result<std::shared_ptr<const registry::ExtensionPoint>> definition(const std::string& name, int64_t version);
  std::shared_ptr<Binding> make_binding(const registry::ExtensionPoint& ep, const registry::Extension& ext);
  ExecResult run(const EpEntry& entry, const Binding& binding, ExecResult result, std::span<const uint8_t> input,
                 Clock::time_point& mark, const CallOptions& options);
  // run(), recording the call when replay capture is on.
  ExecResult run_single(const EpEntry& entry, const Binding& binding, ExecResult result,
                        std::span<const uint8_t> input, Clock::time_point& mark, const CallOptions& options);
  // combine chain or all: the lineup through execute/combine.h.
  // The links exchange `links` (the input, each output, the call's output).
  ExecResult run_several(const EpEntry& entry, const Lineup& lineup, std::string_view scope, ExecResult result,
                         std::span<const uint8_t> input, base::DataFormat links = base::DataFormat::Json);
  // run_several() in the caller's formats. A chain's links speak the
  // guest's format end to end (no conversion between links); `all`'s speak
  // JSON, the reducer's. The call's input and output convert at its edges
  // where the caller's format differs.
  ExecResult run_several_as(const EpEntry& entry, const Lineup& lineup, std::string_view scope, ExecResult result,
                            std::span<const uint8_t> input, const CallOptions& options);
  // One binding of several, its input (in `format`) already checked, within `budget`.
  ExecResult run_link(const EpEntry& entry, const Binding& binding, std::string_view scope,
                      std::span<const uint8_t> input, const LinkBudget& budget, base::DataFormat format);
  void save_replay(ExecResult result, std::span<const uint8_t> input, base::DataFormat format,
                   const host::WasiTape& tape);
  bool sample_input(const EpEntry& entry);
  // The ABI's part of run(): from the validated input to the validated output.
  ExecResult run_command(const registry::ExtensionPoint& ep, const Binding& binding, ExecResult result,
                         std::span<const uint8_t> input, Clock::time_point& mark, const CallOptions& options);
  ExecResult run_reactor(const registry::ExtensionPoint& ep, const Binding& binding, ExecResult result,
                         std::span<const uint8_t> input, Clock::time_point& mark, const CallOptions& options);
  ExecResult run_function(const registry::ExtensionPoint& ep, const Binding& binding, ExecResult result,
                          std::string input, Clock::time_point& mark, const CallOptions& options);
  // The interpreter engine, made on first use: a function whose provider
  // stays on the interpreter runs there with it.
  Result<Engine> interp_engine();
  Result<std::shared_ptr<LoadedModule>> load_function(const registry::Extension& ext,
                                                      const registry::ExtensionPointLimits& ep_limits,
                                                      const std::vector<uint8_t>& bytes, const std::string& name);
  std::optional<Engine> interp;
};

// Definitions are parsed (their schemas compiled) once per version.
Result<std::shared_ptr<const registry::ExtensionPoint>> LocalExecutor::Impl::definition(const std::string& name,
                                                                                        int64_t version) {
  std::string key = name + "@" + std::to_string(version);
  if (auto found = definitions.find(key); found != definitions.end()) return found->second;
  auto ep = registry->extension_point(name, version);
  if (!ep) return ep.error();
  auto parsed = std::make_shared<const registry::ExtensionPoint>(std::move(*ep));
  definitions[key] = parsed;
  return parsed;
}

std::shared_ptr<Binding> LocalExecutor::Impl::make_binding(const registry::ExtensionPoint& ep,
                                                           const registry::Extension& ext) {
  auto binding = std::make_shared<Binding>();
  binding->extension = ext;
  binding->config_json = ext.config.empty() ? "{}" : ext.config;
  if (ep.format == base::DataFormat::Msgpack) binding->config_msgpack = config_as_msgpack(binding->config_json);
  std::string key = ep.name + "@" + std::to_string(ep.version) + "@" + ext.module.sha256 + "@" + ext.provider_module.sha256;
  if (auto found = modules.find(key); found != modules.end()) {
    if (auto alive = found->second.lock()) {
      binding->loaded = std::move(alive);
      return binding;
    }
  }
  auto fail = [&](Error error) {
    binding->load_error = std::move(error);
    return binding;
  };
  auto bytes = registry->module_bytes(ext.module.sha256);
  if (!bytes) return fail(bytes.error());
  std::string name = ext.name + " v" + std::to_string(ext.version);
  if (!ext.provider.empty()) {
    auto loaded = load_function(ext, ep.limits, *bytes, name);
    if (!loaded) return fail(loaded.error());
    modules[key] = *loaded;
    binding->loaded = std::move(*loaded);
    return binding;
  }
  auto module = Module::compile(*engine, *bytes, name);
  if (!module) return fail(module.error());
  auto pre = InstancePre::create(*module, linker);
  if (!pre) return fail(pre.error());
  InstancePoolConfig pool_config = pool_config_for(ep.limits, config.max_instances_per_module);
  // A reactor's _initialize runs once per instance, never per call.
  if (ep.is_reactor()) pool_config.reactor_reset = InstancePoolConfig::ReactorReset::Snapshot;
  auto loaded = std::make_shared<LoadedModule>();
  loaded->imports_wasi = std::any_of(module->info().imports.begin(), module->info().imports.end(),
                                     [](const ImportDesc& i) { return i.module == "wasi_snapshot_preview1"; });
  loaded->module = std::move(*module);
  loaded->extension_point = ep.name;
  loaded->extension = ext.name;
  loaded->version = ext.version;
  loaded->module_sha256 = ext.module.sha256;
  loaded->pool = InstancePool::create(std::move(*pre), pool_config);
  modules[key] = loaded;
  binding->loaded = std::move(loaded);
  return binding;
}

Result<Engine> LocalExecutor::Impl::interp_engine() {
  if (!interp) {
    auto made = Engine::create(EngineConfig{.backend = BackendKind::Interp});
    if (!made) return made.error();
    interp = std::move(*made);
  }
  return *interp;
}

// A Shopify function and the provider its deploy stored: both on the
// provider's backend (host::kLargestAotProvider), pooled together — each
// slot's Store holds a provider instance and the function's instance
// linked to it. (The interpreter cannot reset instances: there a slot is
// made afresh for every call.)
Result<std::shared_ptr<LoadedModule>> LocalExecutor::Impl::load_function(const registry::Extension& ext,
                                                                          const registry::ExtensionPointLimits& ep_limits,
                                                                          const std::vector<uint8_t>& bytes,
                                                                          const std::string& name) {
  auto provider_bytes = registry->module_bytes(ext.provider_module.sha256);
  if (!provider_bytes) return provider_bytes.error();
  Engine on = *engine;
  if (ext.provider_module.backend == "interp") {
    auto made = interp_engine();
    if (!made) return made.error();
    on = *made;
  }
  auto provider = Module::compile(on, *provider_bytes, ext.provider + ".wasm");
  if (!provider) return provider.error();
  auto module = Module::compile(on, bytes, name);
  if (!module) return module.error();
  auto loaded = std::make_shared<LoadedModule>();
  loaded->module = std::move(*module);
  loaded->provider_name = ext.provider;
  loaded->provider_memory_io = host::provider_uses_memory_io(ext.provider);
  loaded->provider_messagepack = host::provider_uses_messagepack(ext.provider);
  loaded->imports_wasi = true;
  loaded->extension_point = ext.extension_point;
  loaded->extension = ext.name;
  loaded->version = ext.version;
  loaded->module_sha256 = ext.module.sha256;
  loaded->pool = InstancePool::create(
      *loaded->module,
      [name = ext.provider, provider = std::move(*provider), function = *loaded->module](
          Store& store, std::optional<Trap>* trap) -> Result<Instance> {
        Linker linker;
        host::add_wasi(linker);
        auto linked = host::link_provider(name, provider, store, linker);
        if (!linked) return linked.error();
        return store.instantiate(function, linker, trap);
      },
      pool_config_for(ep_limits, config.max_instances_per_module));
  return loaded;
}

Result<void> LocalExecutor::Impl::refresh(bool force) {
  std::lock_guard lock(refresh_mutex);
  auto version = registry->data_version();
  if (!version) return version.error();
  if (!force && *version == seen_data_version) return {};
  auto summaries = registry->list_extension_points();
  if (!summaries) return summaries.error();
  auto extensions = registry->list_extensions();
  if (!extensions) return extensions.error();
  auto canaries = registry->list_canaries();
  if (!canaries) return canaries.error();
  std::map<std::tuple<std::string, std::string, std::string>, const registry::Extension*> canary_of;
  for (const registry::Extension& canary : *canaries) {
    canary_of[{canary.extension_point, canary.scope, canary.name}] = &canary;
  }

  auto next = std::make_shared<Index>();
  for (const registry::ExtensionPointSummary& summary : *summaries) {
    auto ep = definition(summary.name, summary.version);
    if (!ep) return ep.error();
    EpEntry& entry = next->eps[summary.name];
    entry.ep = *ep;
    auto& stats = stats_by_ep[summary.name];
    if (!stats) stats = std::make_shared<EpStats>();
    entry.stats = stats;
  }
  std::map<std::string, std::vector<const registry::Extension*>> bound;  // by extension point
  for (const registry::Extension& ext : *extensions) {
    if (ext.enabled && next->eps.contains(ext.extension_point)) bound[ext.extension_point].push_back(&ext);
  }
  for (const auto& [name, exts] : bound) {
    EpEntry& entry = next->eps.find(name)->second;
    for (const auto& [scope, lineup] : lineups(*entry.ep, exts)) {
      Lineup& bindings = entry.by_scope[scope];
      for (const registry::Extension* ext : lineup) {
        auto binding = make_binding(*entry.ep, *ext);
        if (auto canary = canary_of.find({ext->extension_point, ext->scope, ext->name}); canary != canary_of.end()) {
          auto canary_binding = make_binding(*entry.ep, *canary->second);
          canary_binding->is_canary = true;
          binding->canary = std::move(canary_binding);
          binding->canary_percent = canary->second->canary_percent;
        }
        bindings.push_back(std::move(binding));
      }
    }
  }
  // Forget the modules that have drained (their last holder is gone).
  std::erase_if(modules, [](const auto& item) { return item.second.expired(); });
  index.store(std::move(next));
  seen_data_version = *version;
  generation.fetch_add(1, std::memory_order_relaxed);
  return {};
}

LocalExecutor::LocalExecutor(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

LocalExecutor::~LocalExecutor() {
  {
    std::lock_guard lock(impl_->poll_mutex);
    impl_->stopping = true;
  }
  impl_->poll_wake.notify_all();
  if (impl_->poller.joinable()) impl_->poller.join();
}

Result<std::unique_ptr<LocalExecutor>> LocalExecutor::open(LocalExecutorConfig config) {
  auto impl = std::make_unique<Impl>();
  if (config.registry_path.empty()) config.registry_path = registry::Registry::default_path();
  auto registry = registry::Registry::open(config.registry_path);
  if (!registry) return registry.error();
  if (config.cache_dir.empty()) config.cache_dir = (*registry)->cache_dir();
  EngineConfig engine_config;
  engine_config.backend = BackendKind::Aot;
  engine_config.cache_dir = config.cache_dir;
  auto engine = Engine::create(engine_config);
  if (!engine) return engine.error();
  impl->engine = std::move(*engine);
  host::add_wasi(impl->linker);
  host::add_kiln_abi(impl->linker);
  impl->registry = std::move(*registry);
  impl->config = config;
  if (config.combine_workers > 0) impl->workers = std::make_unique<WorkerPool>(config.combine_workers);
  if (!config.replay_capture.dir.empty()) {
    impl->recorder = std::make_unique<ReplayRecorder>(config.replay_capture, config.registry_path);
  }
  if (auto first = impl->refresh(true); !first) return first.error();

  Impl* raw = impl.get();
  impl->poller = std::thread([raw] {
    std::unique_lock lock(raw->poll_mutex);
    while (!raw->poll_wake.wait_for(lock, raw->config.poll_interval, [raw] { return raw->stopping; })) {
      lock.unlock();
      (void)raw->refresh(false);  // a failed poll keeps the index it has; the next one tries again
      lock.lock();
    }
  });
  return std::unique_ptr<LocalExecutor>(new LocalExecutor(std::move(impl)));
}

Result<void> LocalExecutor::refresh() { return impl_->refresh(false); }
uint64_t LocalExecutor::generation() const { return impl_->generation.load(std::memory_order_relaxed); }

// Hot path: no SQLite, no lock; one snapshot load, then the stages.
ExecResult LocalExecutor::execute(std::string_view extension_point, std::string_view scope,
                                  std::span<const uint8_t> input) {
  static const CallOptions kNone;
  return execute(extension_point, scope, input, kNone);
}

ExecResult LocalExecutor::execute(std::string_view extension_point, std::string_view scope,
                                  std::span<const uint8_t> input, const CallOptions& options) {
  const Clock::time_point start = Clock::now();
  ExecResult result;
  result.extension_point = extension_point;
  result.scope = scope;
  result.input_bytes = input.size();

  std::shared_ptr<const Index> index = impl_->index.load(std::memory_order_acquire);
  auto ep_it = index->eps.find(extension_point);
  if (ep_it == index->eps.end()) {
    result.stages[static_cast<int>(Stage::Lookup)] = Clock::now() - start;
    result.stages[static_cast<int>(Stage::Total)] = result.stages[0];
    return failed(std::move(result), ExecStatus::Error,
                  make_error(ErrorKind::NotFound, "no extension point " + std::string(extension_point)));
  }
  const EpEntry& entry = ep_it->second;
  auto binding_it = entry.by_scope.find(scope);
  if (binding_it == entry.by_scope.end()) binding_it = entry.by_scope.find(std::string_view("*"));
  Clock::time_point mark = Clock::now();
  result.stages[static_cast<int>(Stage::Lookup)] = mark - start;
  if (binding_it == entry.by_scope.end()) {
    result.status = ExecStatus::NotRun;
  } else if (entry.ep->combine_mode == registry::CombineMode::Single) {
    const Binding& binding = for_scope(*binding_it->second.front(), scope);
    result = impl_->run_single(entry, binding, std::move(result), input, mark, options);
  } else {
    result = impl_->run_several_as(entry, binding_it->second, scope, std::move(result), input, options);
  }
  const auto total = Clock::now() - start;
  result.stages[static_cast<int>(Stage::Total)] = total;

  EpStats& stats = *entry.stats;
  for (int s = 0; s < kStageCount; ++s) stats.stages[s].record(static_cast<uint64_t>(result.stages[s].count()));
  stats.overhead.record(static_cast<uint64_t>((total - result.stage(Stage::Run)).count()));
  stats.by_status[static_cast<int>(result.status)].fetch_add(1, std::memory_order_relaxed);
  if (result.error) {
    const auto kind = static_cast<size_t>(result.error->kind);
    if (kind < stats.errors_by_kind.size()) stats.errors_by_kind[kind].fetch_add(1, std::memory_order_relaxed);
  }
  return result;
}

// With replay capture on, a call without a tape of its own records one, and
// a failed or slow call leaves its bundle behind.
ExecResult LocalExecutor::Impl::run_single(const EpEntry& entry, const Binding& binding, ExecResult result,
                                           std::span<const uint8_t> input, Clock::time_point& mark,
                                           const CallOptions& options) {
  if (!recorder || options.tape) return run(entry, binding, std::move(result), input, mark, options);
  const Clock::time_point start = mark;
  CallOptions recording = options;
  recording.tape = host::WasiTape::recording();
  result = run(entry, binding, std::move(result), input, mark, recording);
  // What wants() judges "slow" by; execute() sets the final figure.
  result.stages[static_cast<int>(Stage::Total)] = Clock::now() - start + result.stage(Stage::Lookup);
  if (recorder->wants(result)) save_replay(result, input, options.input_format, *recording.tape);
  return result;
}

// A bundle keeps its input and output as JSON: replays run as JSON callers.
void LocalExecutor::Impl::save_replay(ExecResult result, std::span<const uint8_t> input, base::DataFormat format,
                                      const host::WasiTape& tape) {
  std::string_view saved(reinterpret_cast<const char*>(input.data()), input.size());
  std::string converted;
  if (format == base::DataFormat::Msgpack) {
    auto json = convert_value(saved, format, base::DataFormat::Json, ErrorKind::InvalidInput, "input");
    converted = json ? std::move(*json) : std::string();
    saved = converted;
  }
  if (result.output_format == base::DataFormat::Msgpack && !result.output.empty()) {
    auto json = convert_value(result.output, result.output_format, base::DataFormat::Json, ErrorKind::InvalidOutput,
                              "output");
    result.output = json ? std::move(*json) : std::string();
  }
  recorder->save(result, saved, tape);
}

ExecResult LocalExecutor::Impl::run(const EpEntry& entry, const Binding& binding, ExecResult result,
                                    std::span<const uint8_t> input, Clock::time_point& mark,
                                    const CallOptions& options) {
  const registry::ExtensionPoint& ep = *entry.ep;
  describe_binding(ep, binding, result);
  result.fuel_limit = options.fuel_limit.value_or(ep.limits.fuel_for_input(input.size()));
  result.time_limit = options.time_limit.value_or(ep.limits.timeout);
  if (!binding.loaded) return failed(std::move(result), ExecStatus::Error, *binding.load_error);

  // Validate input: always its size, its JSON and its shape; the schema on
  // the sampled share of calls.
  result.input_validated = sample_input(entry);
  // An output is in the guest's format until it is taken in the caller's:
  // a failed call's output (stdout up to a trap, a refused output) stays so.
  result.output_format = ep.format;
  auto checked = check_input(ep, input, result.input_validated, options.input_format);
  end_stage(result, Stage::ValidateInput, mark);
  if (!checked) return failed(std::move(result), ExecStatus::InvalidInput, checked.error());

  return ep.is_reactor() ? run_reactor(ep, binding, std::move(result), input, mark, options)
                         : run_command(ep, binding, std::move(result), input, mark, options);
}

bool LocalExecutor::Impl::sample_input(const EpEntry& entry) {
  double rate = config.validate_input_override >= 0 ? config.validate_input_override : entry.ep->validate_input;
  return sampled(entry.stats->calls.fetch_add(1, std::memory_order_relaxed), rate);
}

ExecResult LocalExecutor::Impl::run_several(const EpEntry& entry, const Lineup& lineup, std::string_view scope,
                                            ExecResult result, std::span<const uint8_t> input,
                                            base::DataFormat links) {
  const registry::ExtensionPoint& ep = *entry.ep;
  CombinedCall call;
  call.ep = &ep;
  call.count = lineup.size();
  call.validate_schema = sample_input(entry);
  call.check_input = [&ep, links](std::span<const uint8_t> in, bool with_schema) {
    return check_input(ep, in, with_schema, links);
  };
  call.describe = [&](size_t i) {
    ExecResult described;
    describe_binding(ep, for_scope(*lineup[i], scope), described);
    return described;
  };
  call.run_one = [&](size_t i, std::span<const uint8_t> in, const LinkBudget& budget) {
    return run_link(entry, for_scope(*lineup[i], scope), scope, in, budget, links);
  };
  const auto min_run = std::chrono::nanoseconds(config.combine_parallel_min_run).count();
  if (entry.stats->link_run_ns.load(std::memory_order_relaxed) >= static_cast<uint64_t>(min_run)) {
    call.workers = workers.get();
  }
  ExecResult combined = run_combined(call, input, std::move(result));
  record_link_run(*entry.stats, combined);
  return combined;
}

ExecResult LocalExecutor::Impl::run_several_as(const EpEntry& entry, const Lineup& lineup, std::string_view scope,
                                               ExecResult result, std::span<const uint8_t> input,
                                               const CallOptions& options) {
  using base::DataFormat;
  const DataFormat links = entry.ep->combine_mode == registry::CombineMode::Chain ? entry.ep->format : DataFormat::Json;
  // Until converted, an output is in the links' format (a failed call's too).
  result.output_format = links;
  if (options.input_format == links && options.output_format == links) {
    return run_several(entry, lineup, scope, std::move(result), input, links);
  }
  std::string converted_input;
  if (options.input_format != links) {
    if (input.size() > entry.ep->limits.max_input) {
      // Refused there, by size (as given), before any conversion.
      return run_several(entry, lineup, scope, std::move(result), input, options.input_format);
    }
    auto converted = convert_value({reinterpret_cast<const char*>(input.data()), input.size()}, options.input_format,
                                   links, ErrorKind::InvalidInput, "input");
    if (!converted) return failed(std::move(result), ExecStatus::InvalidInput, converted.error());
    converted_input = std::move(*converted);
    input = {reinterpret_cast<const uint8_t*>(converted_input.data()), converted_input.size()};
  }
  result = run_several(entry, lineup, scope, std::move(result), input, links);
  result.output_format = links;
  if (result.status == ExecStatus::Ok && options.output_format != links) {
    auto converted = convert_value(result.output, links, options.output_format, ErrorKind::InvalidOutput, "output");
    if (!converted) return failed(std::move(result), ExecStatus::InvalidOutput, converted.error());
    result.output = std::move(*converted);
    result.output_format = options.output_format;
  }
  return result;
}

// With replay capture on, a link that fails leaves a bundle of its own: its
// input as it received it, its share of the budget, replayed alone.
ExecResult LocalExecutor::Impl::run_link(const EpEntry& entry, const Binding& binding, std::string_view scope,
                                         std::span<const uint8_t> input, const LinkBudget& budget,
                                         base::DataFormat format) {
  const registry::ExtensionPoint& ep = *entry.ep;
  ExecResult result;
  result.input_bytes = input.size();
  describe_binding(ep, binding, result, /*with_module=*/recorder != nullptr);
  if (recorder) {  // a link's bundle names them; the combined result has them already
    result.extension_point = ep.name;
    result.scope = scope;
  }
  result.fuel_limit = budget.fuel;
  result.time_limit = budget.time;
  if (!binding.loaded) return failed(std::move(result), ExecStatus::Error, *binding.load_error);
  Clock::time_point mark = Clock::now();
  CallOptions options;
  options.input_format = format;
  options.output_format = format;
  if (recorder) options.tape = host::WasiTape::recording();
  result = ep.is_reactor() ? run_reactor(ep, binding, std::move(result), input, mark, options)
                           : run_command(ep, binding, std::move(result), input, mark, options);
  if (recorder && result.status != ExecStatus::Ok && recorder->wants(result)) {
    save_replay(result, input, format, *options.tape);
  }
  return result;
}

ExecResult LocalExecutor::Impl::run_command(const registry::ExtensionPoint& ep, const Binding& binding,
                                            ExecResult result, std::span<const uint8_t> input,
                                            Clock::time_point& mark, const CallOptions& options) {
  auto planned = guest_input(ep, input, options.input_format, binding.config_json, binding.config_msgpack);
  if (!planned) return failed(std::move(result), ExecStatus::InvalidInput, planned.error());
  std::string stdin_data(planned->splice.size(), '\0');
  planned->splice.write_to(reinterpret_cast<uint8_t*>(stdin_data.data()));
  const uint64_t stdin_bytes = stdin_data.size();
  result.bytes_copied[static_cast<int>(Stage::Serialize)] += planned->converted_bytes + stdin_bytes;
  end_stage(result, Stage::Serialize, mark);
  if (!binding.loaded->provider_name.empty()) return run_function(ep, binding, std::move(result), std::move(stdin_data), mark, options);

  std::optional<Trap> init_trap;
  auto lease = binding.loaded->pool->acquire(&init_trap);
  if (!lease) return failed(std::move(result), ExecStatus::Error, lease.error());
  auto context =
      attach_call_io(lease->store(), ep, binding.extension, std::move(stdin_data), result.fuel_limit, options.tape);
  lease->store().limits().timeout = result.time_limit;  // a combined call's share of its time limit
  end_stage(result, Stage::Acquire, mark);

  CallResult call = lease->instance().call(ep.entry, {});
  // WASI: the guest reads its stdin into its memory, writes its stdout out.
  result.bytes_copied[static_cast<int>(Stage::Run)] += stdin_bytes + context->stdout_data().size();
  end_stage(result, Stage::Run, mark);

  read_call(ep, *context, call, result);
  lease->release();
  result.bytes_copied[static_cast<int>(Stage::ReadOutput)] += result.output.size();
  end_stage(result, Stage::ReadOutput, mark);
  take_command_output(ep, result, options);
  end_stage(result, Stage::ValidateOutput, mark);
  return result;
}

// A Shopify function and its provider, leased together from their pool and
// reset together after the call, so each call sees fresh instances as
// Shopify runs them: the input in MessagePack where the provider speaks
// it, through the provider's memory where it takes it so
// (host/function_memory_io.h). One fuel budget, deadline and memory limit
// cover both modules.
ExecResult LocalExecutor::Impl::run_function(const registry::ExtensionPoint& ep, const Binding& binding,
                                             ExecResult result, std::string input, Clock::time_point& mark,
                                             const CallOptions& options) {
  const LoadedModule& loaded = *binding.loaded;
  // The function's format is its provider's; the extension point's may differ.
  const base::DataFormat speaks = loaded.provider_messagepack ? base::DataFormat::Msgpack : base::DataFormat::Json;
  if (speaks != ep.format) {
    auto converted = convert_value(input, ep.format, speaks, ErrorKind::InvalidInput, "input");
    if (!converted) return failed(std::move(result), ExecStatus::InvalidInput, converted.error());
    input = std::move(*converted);
  }
  std::optional<Trap> init_trap;
  auto lease = loaded.pool->acquire(&init_trap);
  if (!lease) return failed(std::move(result), ExecStatus::Error, lease.error());
  auto context = attach_call_io(lease->store(), ep, binding.extension, loaded.provider_memory_io ? "" : input,
                                result.fuel_limit, options.tape);
  lease->store().limits().timeout = result.time_limit;  // a combined call's share of its time limit
  Instance provider = lease->linked(0);
  if (loaded.provider_memory_io) {
    if (auto written = host::write_memory_input(provider, input); !written) {
      return failed(std::move(result), ExecStatus::Error, written.error());
    }
  }
  end_stage(result, Stage::Acquire, mark);

  CallResult call = lease->instance().call(ep.entry, {});
  end_stage(result, Stage::Run, mark);

  read_call(ep, *context, call, result);
  result.memory_peak_bytes = std::max<uint64_t>(result.memory_peak_bytes, provider.memory().size());
  if (result.status == ExecStatus::Ok && loaded.provider_memory_io) {
    auto produced = host::read_memory_output(provider);
    if (!produced) return failed(std::move(result), ExecStatus::InvalidOutput, produced.error());
    append_log(ep, produced->logs, result);
    if (produced->output.size() > ep.limits.max_output) {
      return failed(std::move(result), ExecStatus::InvalidOutput,
                    make_error(ErrorKind::InvalidOutput, "output: over the extension point's limit of " +
                                                             std::to_string(ep.limits.max_output) + " bytes"));
    }
    result.output = std::move(produced->output);
  }
  lease->release();
  if (result.status == ExecStatus::Ok && speaks != ep.format) {
    auto converted = convert_value(result.output, speaks, ep.format, ErrorKind::InvalidOutput, "output");
    if (!converted) return failed(std::move(result), ExecStatus::InvalidOutput, converted.error());
    result.output = std::move(*converted);
  }
  result.bytes_copied[static_cast<int>(Stage::ReadOutput)] += result.output.size();
  end_stage(result, Stage::ReadOutput, mark);
  take_command_output(ep, result, options);
  end_stage(result, Stage::ValidateOutput, mark);
  return result;
}

// The input is written into guest memory once; the output is validated
// where the guest left it and copied once, into the result, before the
// instance goes back to its pool. Acquire comes before serialize here: the
// input goes into the leased instance's memory.
ExecResult LocalExecutor::Impl::run_reactor(const registry::ExtensionPoint& ep, const Binding& binding,
                                            ExecResult result, std::span<const uint8_t> input,
                                            Clock::time_point& mark, const CallOptions& options) {
  std::optional<Trap> init_trap;
  auto lease = binding.loaded->pool->acquire(&init_trap);
  if (!lease) return failed(std::move(result), ExecStatus::Error, lease.error());
  Store& store = lease->store();
  store.limits().fuel = result.fuel_limit;
  store.limits().timeout = result.time_limit;  // a combined call's share of its time limit
  auto call = host::attach_kiln_call(store, ep.limits.max_log);
  std::shared_ptr<host::WasiContext> wasi;
  if (binding.loaded->imports_wasi) {
    wasi = attach_call_io(store, ep, binding.extension, "", result.fuel_limit, options.tape);
  }
  end_stage(result, Stage::Acquire, mark);

  const Instance& instance = lease->instance();
  std::optional<GuestSlice> slice;
  auto planned = guest_input(ep, input, options.input_format, binding.config_json, binding.config_msgpack);
  if (!planned) {
    result = failed(std::move(result), ExecStatus::InvalidInput, planned.error());
  } else {
    slice = write_reactor_input(instance, planned->splice, result);
    result.bytes_copied[static_cast<int>(Stage::Serialize)] += planned->converted_bytes + (slice ? slice->length : 0);
  }
  end_stage(result, Stage::Serialize, mark);

  std::optional<uint64_t> packed;
  if (slice) packed = call_reactor_entry(instance, ep, *slice, result);
  result.run_time = end_stage(result, Stage::Run, mark);
  result.memory_peak_bytes = instance.memory().size();

  result.log.assign(call->log());
  result.log_truncated = call->log_truncated();
  if (wasi) append_log(ep, wasi->stderr_data(), result);
  std::optional<std::string_view> output;
  if (packed) {
    auto range = reactor_output(instance, ep, *packed);
    if (range) output = *range;
    else result = failed(std::move(result), ExecStatus::InvalidOutput, range.error());
  }
  end_stage(result, Stage::ReadOutput, mark);

  if (output) {
    if (auto taken = take_guest_output(ep, *output, options.output_format, result.output,
                                       &result.output_is_plain_object);
        !taken) {
      result = failed(std::move(result), ExecStatus::InvalidOutput, taken.error());
    } else {
      result.bytes_copied[static_cast<int>(Stage::ValidateOutput)] += *taken;
      result.output_format = options.output_format;
      result.status = ExecStatus::Ok;
    }
  }
  end_stage(result, Stage::ValidateOutput, mark);
  lease->release();
  end_stage(result, Stage::ReadOutput, mark);  // returning the instance, as wasi-command counts it
  return result;
}

std::vector<StageStats> LocalExecutor::stats() const {
  std::vector<StageStats> out;
  std::lock_guard lock(impl_->refresh_mutex);
  for (const auto& [name, stats] : impl_->stats_by_ep) {
    StageStats s;
    s.extension_point = name;
    for (int i = 0; i < kStageCount; ++i) s.stages[i] = stats->stages[i].percentiles();
    s.overhead = stats->overhead.percentiles();
    for (size_t i = 0; i < s.by_status.size(); ++i) s.by_status[i] = stats->by_status[i].load(std::memory_order_relaxed);
    for (int i = 0; i < kStageCount; ++i) s.stage_buckets[i] = stats->stages[i].latency_buckets();
    s.overhead_buckets = stats->overhead.latency_buckets();
    for (size_t i = 0; i < s.errors_by_kind.size(); ++i) {
      s.errors_by_kind[i] = stats->errors_by_kind[i].load(std::memory_order_relaxed);
    }
    out.push_back(std::move(s));
  }
  return out;
}

// Off the hot path: the refresh lock, then each pool's own lock briefly.
// Every module still loaded is listed: the current index's, and those a
// redeploy left draining until their calls return.
std::vector<PoolStats> LocalExecutor::pool_stats() const {
  std::shared_ptr<const Index> index = impl_->index.load(std::memory_order_acquire);
  std::vector<const LoadedModule*> bound;
  auto note = [&](const Binding& binding) {
    if (binding.loaded) bound.push_back(binding.loaded.get());
  };
  for (const auto& [name, entry] : index->eps) {
    for (const auto& [scope, lineup] : entry.by_scope) {
      for (const auto& binding : lineup) {
        note(*binding);
        if (binding->canary) note(*binding->canary);
      }
    }
  }
  std::vector<PoolStats> out;
  std::lock_guard lock(impl_->refresh_mutex);
  for (const auto& [key, weak] : impl_->modules) {
    std::shared_ptr<LoadedModule> loaded = weak.lock();
    if (!loaded || !loaded->pool) continue;
    InstancePoolStats pool_stats = loaded->pool->stats();
    PoolStats s;
    s.extension_point = loaded->extension_point;
    s.extension = loaded->extension;
    s.version = loaded->version;
    s.module_sha256 = loaded->module_sha256;
    s.idle = pool_stats.idle;
    s.leased = pool_stats.leased;
    s.draining = std::find(bound.begin(), bound.end(), loaded.get()) == bound.end();
    out.push_back(std::move(s));
  }
  std::sort(out.begin(), out.end(), [](const PoolStats& a, const PoolStats& b) {
    return std::tie(a.extension_point, a.extension, a.version, a.module_sha256) <
           std::tie(b.extension_point, b.extension, b.version, b.module_sha256);
  });
  return out;
}

}  // namespace kiln::execute
