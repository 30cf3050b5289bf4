// kiln_function_bench: Shopify's function-runner fixtures, every one that
// runs successfully in function-runner's tests, four ways in one run
// (issue 17, item 6), each execution on a fresh instance as Shopify runs it:
//   (a) kiln's embedding API, pooled: instances from an InstancePool, reset
//       between executions; a function with a provider is pooled with it
//       (each slot's Store holds the provider's instance and the
//       function's, linked, and both are reset), as the executor does;
//   (b) kiln's embedding API, fresh: a new Store, provider and function per
//       execution, what `kiln function-run` does (cli/function_run_command.cc);
//   (c) `kiln function-run --json` as a whole process, artifacts cached;
//   (d) Node's V8 through bench/node/function_runner.mjs (node:wasi, the
//       provider linked by import name, fresh instances, modules compiled
//       once), timed inside the harness.
// Per fixture: p50 per execution each way, kiln's instructions (fuel) and
// memory, the ratio V8 / kiln pooled and the backend kiln ran it on; per
// provider, its one-time compile cost in V8 and in kiln. The output (and
// logs) of every way must equal the others', else the bench fails.
//
// Left out: the fixtures function-runner's tests run to fail
// (exit_code with code 1, js_function_that_throws, messagepack-invalid,
// invalid_import_combination) and wasm_api_v2 (kiln does not bridge
// shopify_function_v2's API). wasm_api_v1 runs in kiln only: V8 has no
// link-time trampoline, function-runner rewrites such a module first.
//
// Usage: kiln_function_bench [--runs N] [--process-runs N] [--only NAME]
//                            [--shopify DIR] [--node PATH]
// DIR defaults to $KILN_SHOPIFY_FUNCTIONS, else ../shared/shopify-functions
// beside the source tree; node to $NODE, else `command -v node`. Without
// the fixtures or node it says so and exits 77 (a skipped test to ctest).
#include <fcntl.h>
#include <rapidjson/document.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "backends/aot/aot_backend.h"
#include "base/base64.h"
#include "base/files.h"
#include "base/json_msgpack.h"
#include "host/function_memory_io.h"
#include "host/function_providers.h"
#include "host/shopify_function_trampoline.h"
#include "kiln/engine.h"
#include "kiln/instance_pool.h"
#include "kiln/instance_pre.h"
#include "kiln/linker.h"
#include "kiln/module.h"
#include "kiln/store.h"
#include "kiln/wasi.h"

extern char** environ;

namespace {

using Clock = std::chrono::steady_clock;
using namespace kiln;

constexpr int kSkipped = 77;

[[noreturn]] void fail(const std::string& what) {
  std::fprintf(stderr, "kiln_function_bench: %s\n", what.c_str());
  std::exit(1);
}

[[noreturn]] void skip(const std::string& why) {
  std::printf("kiln_function_bench: skipped: %s\n", why.c_str());
  std::exit(kSkipped);
}

std::string read_file(const std::string& path) {
  auto text = base::read_file(path);
  if (!text) fail("cannot read " + path);
  return std::move(*text);
}

// A fixture and how function-runner's tests run it.
struct FixtureSpec {
  const char* name;
  const char* input;         // a file in inputs/ when it ends in .json, else the JSON itself
  const char* export_name = "_start";
  bool messagepack = false;  // --codec messagepack: a WASI function speaking it without a provider
  bool in_v8 = true;
};

const FixtureSpec kFixtures[] = {
    {"noop", "js_function_input.json"},
    {"exit_code", R"({"code": 0})"},
    {"log_truncation_function", "{}"},
    {"exports", "{}", "export1"},
    {"linear_memory", "{}"},
    {"messagepack-valid", R"({"hello": "world", "n": [1, -2, 3.5, true, null]})", "_start", true},
    {"js_function", "js_function_input.json"},
    {"js_function_v2", "js_function_input.json"},
    {"js_function_v3", "js_function_input.json"},
    {"js_functions_javy_v1", "js_function_input.json"},
    {"js_function_javy_plugin_v2", "js_function_input.json", "run"},
    {"js_function_javy_plugin_v3", R"({"hello": "world"})"},
    {"js_function_javy_plugin_v4", R"({"hello": "world"})"},
    {"wasm_api_v1", R"({"hello": "world"})", "_start", false, false},
};

struct Quantiles {
  double p50 = 0, p95 = 0;  // microseconds
};

Quantiles quantiles(std::vector<double> samples) {
  if (samples.empty()) return {};
  std::sort(samples.begin(), samples.end());
  auto at = [&](double q) {
    size_t rank = static_cast<size_t>(q * static_cast<double>(samples.size()) + 0.999999);
    return samples[std::clamp<size_t>(rank, 1, samples.size()) - 1];
  };
  return {at(0.50), at(0.95)};
}

// Nearest rank over `runs` timed calls of `op`, after a warm-up.
template <class F>
Quantiles time_each(int runs, F&& op) {
  for (int i = 0; i < std::min(runs, 10); ++i) op();
  std::vector<double> samples;
  samples.reserve(runs);
  for (int i = 0; i < runs; ++i) {
    auto start = Clock::now();
    op();
    samples.push_back(std::chrono::duration<double, std::micro>(Clock::now() - start).count());
  }
  return quantiles(std::move(samples));
}

double ms_since(Clock::time_point start) { return std::chrono::duration<double, std::milli>(Clock::now() - start).count(); }

// What one execution gave: the output and logs as the function wrote them
// (MessagePack stays MessagePack), whether it succeeded, its fuel and memory.
struct Outcome {
  std::string output;
  std::string logs;
  bool success = false;
  uint64_t fuel = 0;
  uint64_t memory_bytes = 0;

  bool operator==(const Outcome& o) const { return output == o.output && logs == o.logs && success == o.success; }
};

// A fixture loaded for kiln: the function and its provider on one engine,
// chosen as `kiln function-run` chooses it.
struct Loaded {
  const FixtureSpec* spec;
  std::string path;
  std::string input_json;
  std::string guest_input;  // what the guest reads: the JSON, or MessagePack
  Module function;
  std::optional<std::string> provider_name;
  bool memory_io = false;
  bool messagepack = false;
  bool interp = false;
  host::FunctionProviders* providers;
};

// ---- the embedding API -----------------------------------------------------

std::shared_ptr<host::WasiContext> wasi_for(const Loaded& f) {
  host::WasiConfig config;
  config.stdio = host::WasiConfig::Stdio::Buffered;
  if (!f.memory_io) config.stdin_data = f.guest_input;
  config.args.push_back(f.spec->name + std::string(".wasm"));
  return std::make_shared<host::WasiContext>(std::move(config));
}

bool succeeded(const CallResult& r) { return r.returned() || (r.exited() && r.exit_code == 0); }

// The export called on `function` (provider linked, or none), the input
// written first for a memory-I/O provider, the outcome collected.
Outcome run_linked(const Loaded& f, Instance& function, const std::optional<Instance>& provider,
                   const host::WasiContext& wasi) {
  if (f.memory_io) {
    if (auto written = host::write_memory_input(*provider, f.guest_input); !written) fail(written.error().message);
  }
  CallResult r = function.call(f.spec->export_name, {});
  Outcome o{std::string(wasi.stdout_data()), std::string(wasi.stderr_data()), succeeded(r), r.fuel_used, 0};
  if (f.memory_io) {
    auto out = host::read_memory_output(*provider);
    if (!out) fail(out.error().message);
    o.output = std::move(out->output);
    o.logs += out->logs;
  }
  o.memory_bytes = function.memory().size();
  if (provider) o.memory_bytes = std::max<uint64_t>(o.memory_bytes, provider->memory().size());
  return o;
}

// (b): what cli/function_run_command.cc's execute() does, per execution.
Outcome run_fresh(const Loaded& f) {
  Store store(f.function.engine());
  auto wasi = wasi_for(f);
  host::attach_wasi(store, wasi);
  Linker linker;
  host::add_wasi(linker);
  auto provider = f.providers->link(f.function, store, linker);
  if (!provider) fail(std::string(f.spec->name) + ": " + provider.error().message);
  auto instance = store.instantiate(f.function, linker);
  if (!instance) fail(std::string(f.spec->name) + ": " + instance.error().message);
  return run_linked(f, *instance, *provider, *wasi);
}

// (a): a pool of the function, with its provider when it has one.
class Pooled {
 public:
  explicit Pooled(const Loaded& f) : f_(f) {
    if (!f.provider_name) {
      Linker linker;
      host::add_wasi(linker);
      auto pre = InstancePre::create(f.function, linker);
      if (!pre) fail(std::string(f.spec->name) + ": " + pre.error().message);
      pool_ = InstancePool::create(std::move(*pre));
      return;
    }
    auto provider = f.providers->provider(*f.provider_name);
    if (!provider) fail(provider.error().message);
    pool_ = InstancePool::create(f.function, [&f, provider = *provider](Store& store, std::optional<Trap>* trap)
                                     -> Result<Instance> {
      Linker linker;
      host::add_wasi(linker);
      auto linked = host::link_provider(*f.provider_name, provider, store, linker);
      if (!linked) return linked.error();
      return store.instantiate(f.function, linker, trap);
    });
  }

  Outcome run() {
    auto lease = pool_->acquire();
    if (!lease) fail(std::string(f_.spec->name) + ": " + lease.error().message);
    auto wasi = wasi_for(f_);
    host::attach_wasi(lease->store(), wasi);
    std::optional<Instance> provider;
    if (lease->linked_count() > 0) provider = lease->linked(0);
    Outcome o = run_linked(f_, lease->instance(), provider, *wasi);
    lease->release();
    return o;
  }

 private:
  const Loaded& f_;
  std::shared_ptr<InstancePool> pool_;
};

// ---- kiln function-run, whole processes --------------------------------------

// Runs `argv` with stdout to a pipe (stderr discarded); returns what it printed.
// stdout; stderr is dropped unless `show_stderr` (the node harness's
// errors are the only account of why it failed).
std::string spawn_and_read(const std::vector<std::string>& argv, int* status, bool show_stderr = false) {
  int out[2];
  if (pipe(out) != 0) fail("pipe failed");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  posix_spawn_file_actions_addclose(&actions, out[0]);
  if (!show_stderr) posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  int spawned = posix_spawn(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(out[1]);
  if (spawned != 0) fail("cannot run " + argv[0]);
  std::string text;
  char buffer[65536];
  for (ssize_t n; (n = read(out[0], buffer, sizeof buffer)) > 0;) text.append(buffer, static_cast<size_t>(n));
  close(out[0]);
  waitpid(pid, status, 0);
  return text;
}

// ---- the comparisons -----------------------------------------------------------

std::string shown(const std::string& bytes) {
  std::string s = bytes.substr(0, 200);
  for (char& c : s) {
    if (static_cast<unsigned char>(c) < 0x20 && c != '\n') c = '.';
  }
  return "\"" + s + (bytes.size() > 200 ? "...\"" : "\"") + " (" + std::to_string(bytes.size()) + " bytes)";
}

void expect_same(const Loaded& f, const char* way, const Outcome& got, const Outcome& want) {
  if (got == want) return;
  fail(std::string(f.spec->name) + ": " + way + " differs from kiln fresh:\n  output " + shown(got.output) +
       "\n  want   " + shown(want.output) + "\n  logs " + shown(got.logs) + "\n  want " + shown(want.logs) +
       "\n  success " + std::to_string(got.success) + " want " + std::to_string(want.success));
}

// `kiln function-run --json`'s report against the embedding API's outcome:
// the output as it converts it (MessagePack back to JSON; text that is not
// JSON under "stdout"), the logs, success and instructions.
void expect_report(const Loaded& f, const std::string& printed, const Outcome& want) {
  rapidjson::Document report;
  if (report.Parse(printed.data(), printed.size()).HasParseError() || !report.IsObject() || !report.HasMember("output")) {
    fail(std::string(f.spec->name) + ": kiln function-run printed no report: " + shown(printed));
  }
  std::string want_json = want.output;
  if (f.messagepack) {
    auto json = base::msgpack_to_json(want.output, ErrorKind::InvalidOutput, "output");
    if (!json) fail(std::string(f.spec->name) + ": " + json.error().message);
    want_json = *json;
  }
  const rapidjson::Value& output = report["output"];
  rapidjson::Document expected;
  bool same;
  if (!expected.Parse(want_json.data(), want_json.size()).HasParseError()) {
    same = output == expected;
  } else {
    same = output.IsObject() && output.HasMember("stdout") && output["stdout"].IsString() &&
           std::string(output["stdout"].GetString(), output["stdout"].GetStringLength()) == want_json;
  }
  const auto& logs = report["logs"];
  same = same && std::string(logs.GetString(), logs.GetStringLength()) == want.logs &&
         report["success"].GetBool() == want.success && report["instructions"].GetUint64() == want.fuel;
  if (!same) {
    fail(std::string(f.spec->name) + ": kiln function-run's report differs from kiln fresh: " + shown(printed) +
         "\n  want output " + shown(want_json) + " logs " + shown(want.logs) + " instructions " +
         std::to_string(want.fuel));
  }
}

// ---- the run ----------------------------------------------------------------------

struct Options {
  int runs = 200;
  int process_runs = 30;
  std::string only;
  std::string shopify;
  std::string node;
};

std::string command_v_node() {
  FILE* p = popen("command -v node 2>/dev/null", "r");
  if (!p) return "";
  char line[4096] = {0};
  std::string found = fgets(line, sizeof line, p) ? line : "";
  pclose(p);
  while (!found.empty() && (found.back() == '\n' || found.back() == ' ')) found.pop_back();
  return found;
}

Options parse(int argc, char** argv) {
  Options o;
  const char* env = std::getenv("KILN_SHOPIFY_FUNCTIONS");
  o.shopify = env && *env ? env : std::string(KILN_SOURCE_DIR) + "/../shared/shopify-functions";
  const char* node = std::getenv("NODE");
  o.node = node && *node ? node : "";
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) fail(a + " needs a value");
      return argv[++i];
    };
    if (a == "--runs") o.runs = std::max(1, std::atoi(value().c_str()));
    else if (a == "--process-runs") o.process_runs = std::max(1, std::atoi(value().c_str()));
    else if (a == "--only") o.only = value();
    else if (a == "--shopify") o.shopify = value();
    else if (a == "--node") o.node = value();
    else {
      fail("unknown argument " + a +
           " (usage: kiln_function_bench [--runs N] [--process-runs N] [--only NAME] [--shopify DIR] [--node PATH])");
    }
  }
  if (o.node.empty()) o.node = command_v_node();
  return o;
}

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string b64(const std::string& s) {
  return base::base64_encode({reinterpret_cast<const uint8_t*>(s.data()), s.size()});
}

std::string unb64(const rapidjson::Value& v) {
  auto bytes = base::base64_decode({v.GetString(), v.GetStringLength()});
  if (!bytes) fail("the node harness printed invalid base64");
  return {bytes->begin(), bytes->end()};
}

struct Row {
  const Loaded* f;
  Quantiles pooled, fresh, process, v8;
  bool has_v8 = false;
  Outcome outcome;
};

}  // namespace

int main(int argc, char** argv) {
  Options o = parse(argc, argv);
  if (!std::filesystem::is_directory(o.shopify + "/fixtures")) {
    skip("Shopify's function-runner fixtures are not at " + o.shopify + " (set KILN_SHOPIFY_FUNCTIONS or --shopify)");
  }
  if (o.node.empty()) skip("node is not installed (command -v node found nothing; set NODE or --node)");
  const std::string harness = std::string(KILN_SOURCE_DIR) + "/bench/node/function_runner.mjs";
  const std::string providers_dir = o.shopify + "/providers";

  auto aot = Engine::create(EngineConfig{.backend = BackendKind::Aot});
  auto interp = Engine::create(EngineConfig{.backend = BackendKind::Interp});
  if (!aot || !interp) fail("cannot create an engine");
  host::FunctionProviders aot_providers(*aot, providers_dir), interp_providers(*interp, providers_dir);

  // Each provider's one-time cost in kiln, on the backend it runs on: into
  // an empty artifact cache (a real compile), then as later loads find it.
  struct ProviderCost {
    std::string backend;
    double cold_ms = 0, cached_ms = 0;
  };
  std::map<std::string, ProviderCost> provider_costs;
  const std::filesystem::path cold_cache =
      std::filesystem::temp_directory_path() / ("kiln-fnbench-cache-" + std::to_string(getpid()));

  std::vector<std::unique_ptr<Loaded>> loaded;
  for (const FixtureSpec& spec : kFixtures) {
    if (!o.only.empty() && o.only != spec.name) continue;
    std::string path = o.shopify + "/fixtures/" + spec.name + ".wasm";
    std::string input = spec.input;
    if (input.ends_with(".json")) input = read_file(o.shopify + "/inputs/" + input);
    auto module = Module::from_file(*aot, path);
    if (!module) fail(module.error().message);
    auto provider_name = host::function_provider(module->info());
    if (!provider_name) fail(std::string(spec.name) + ": " + provider_name.error().message);
    bool on_interp = false;
    if (*provider_name) {
      // As cli/function_run_command.cc chooses: the QuickJS-sized providers
      // and those the AOT backend falls back on stay on the interpreter,
      // and the function with them.
      auto size = std::filesystem::file_size(providers_dir + "/" + **provider_name + ".wasm");
      on_interp = size > (uint64_t{1} << 20);
      if (!on_interp) {
        auto provider = aot_providers.provider(**provider_name);
        if (!provider) fail(provider.error().message);
        on_interp = backends::is_interp_fallback(provider->backend_module());
      }
      if (on_interp) {
        module = Module::from_file(*interp, path);
        if (!module) fail(module.error().message);
      }
      if (!provider_costs.count(**provider_name)) {
        std::filesystem::create_directories(cold_cache);
        auto cold_engine = Engine::create(EngineConfig{.backend = on_interp ? BackendKind::Interp : BackendKind::Aot,
                                                       .cache_dir = cold_cache.string()});
        if (!cold_engine) fail(cold_engine.error().message);
        host::FunctionProviders cold(*cold_engine, providers_dir);
        auto start = Clock::now();
        if (auto compiled = cold.provider(**provider_name); !compiled) fail(compiled.error().message);
        ProviderCost cost{on_interp ? "interp" : "aot", ms_since(start), 0};
        host::FunctionProviders warm(on_interp ? *interp : *aot, providers_dir);
        start = Clock::now();
        if (auto cached = warm.provider(**provider_name); !cached) fail(cached.error().message);
        cost.cached_ms = ms_since(start);
        provider_costs[**provider_name] = cost;
        std::filesystem::remove_all(cold_cache);
      }
    } else {
      on_interp = backends::is_interp_fallback(module->backend_module());
    }
    auto f = std::make_unique<Loaded>(Loaded{&spec, path, input, input, *module, *provider_name, false, spec.messagepack,
                                             on_interp, on_interp ? &interp_providers : &aot_providers});
    if (f->provider_name) {
      f->memory_io = host::provider_uses_memory_io(*f->provider_name);
      f->messagepack = host::provider_uses_messagepack(*f->provider_name);
    }
    if (f->messagepack) {
      auto packed = base::json_to_msgpack(input, ErrorKind::InvalidInput, spec.name);
      if (!packed) fail(packed.error().message);
      f->guest_input = *packed;
    }
    loaded.push_back(std::move(f));
  }
  if (loaded.empty()) fail("no fixture is named " + o.only);

  // V8: one harness process per fixture (node 20 crashes, SIGSEGV, when
  // one process runs them all), its provider compiled afresh in each.
  std::vector<std::unique_ptr<rapidjson::Document>> v8_answers;
  std::map<std::string, const rapidjson::Value*> v8_by_name;
  std::map<std::string, double> v8_compile_ms;  // per provider
  std::string node_version = "?";
  for (const auto& f : loaded) {
    if (!f->spec->in_v8) continue;
    const std::string job =
        "{\"fixtures\": [{\"name\": " + json_string(f->spec->name) + ", \"function\": " + json_string(f->path) +
        ", \"provider\": " +
        (f->provider_name ? json_string(providers_dir + "/" + *f->provider_name + ".wasm") : "null") +
        ", \"provider_name\": " + (f->provider_name ? json_string(*f->provider_name) : "null") +
        ", \"export\": " + json_string(f->spec->export_name) + ", \"memory_io\": " + (f->memory_io ? "true" : "false") +
        ", \"input_b64\": " + json_string(b64(f->guest_input)) + ", \"runs\": " + std::to_string(o.runs) + "}]}\n";
    const std::string job_path =
        (std::filesystem::temp_directory_path() / ("kiln-fnbench-job-" + std::to_string(getpid()) + ".json")).string();
    if (!base::write_file_atomically(job_path, job)) fail("cannot write " + job_path);
    std::fprintf(stderr, "kiln_function_bench: %s in V8 (%s)...\n", f->spec->name, o.node.c_str());
    int node_status = 0;
    std::string node_out = spawn_and_read({o.node, "--no-warnings", harness, job_path}, &node_status, true);
    std::filesystem::remove(job_path);
    if (!WIFEXITED(node_status) || WEXITSTATUS(node_status) != 0) {
      fail(std::string("the node harness failed on ") + f->spec->name + " (" +
           (WIFEXITED(node_status) ? "exit " + std::to_string(WEXITSTATUS(node_status))
                                   : "signal " + std::to_string(WTERMSIG(node_status))) +
           "): " + shown(node_out));
    }
    auto answer = std::make_unique<rapidjson::Document>();
    if (answer->Parse(node_out.data(), node_out.size()).HasParseError() || !answer->IsObject()) {
      fail("the node harness printed no JSON: " + shown(node_out));
    }
    node_version = (*answer)["node"].GetString();
    for (const auto& fx : (*answer)["fixtures"].GetArray()) v8_by_name[fx["name"].GetString()] = &fx;
    for (auto it = (*answer)["providers"].MemberBegin(); it != (*answer)["providers"].MemberEnd(); ++it) {
      v8_compile_ms.emplace(it->name.GetString(), it->value["compile_ms"].GetDouble());
    }
    v8_answers.push_back(std::move(answer));
  }

  std::vector<Row> rows;
  for (const auto& f : loaded) {
    std::fprintf(stderr, "kiln_function_bench: %s\n", f->spec->name);
    Row row;
    row.f = f.get();
    // Correctness first: every way gives what a fresh run gives.
    Outcome want = run_fresh(*f);
    if (!want.success) fail(std::string(f->spec->name) + " failed in kiln: " + shown(want.logs));
    Pooled pooled(*f);
    expect_same(*f, "kiln pooled", pooled.run(), want);
    row.outcome = want;
    if (f->spec->in_v8) {
      auto it = v8_by_name.find(f->spec->name);
      if (it == v8_by_name.end()) fail(std::string(f->spec->name) + ": the node harness did not run it");
      const rapidjson::Value& r = *it->second;
      Outcome got{unb64(r["output_b64"]), unb64(r["logs_b64"]), r["success"].GetBool(), 0, 0};
      expect_same(*f, "V8 (node:wasi)", got, want);
      row.v8 = {r["p50_us"].GetDouble(), r["p95_us"].GetDouble()};
      row.has_v8 = true;
    }
    std::vector<std::string> command{KILN_BINARY, "function-run", "-f", f->path, "--providers", providers_dir,
                                     "-e", f->spec->export_name, "--json"};
    if (f->spec->messagepack && !f->provider_name) command.insert(command.end(), {"--codec", "messagepack"});
    const std::string input_path =
        (std::filesystem::temp_directory_path() / ("kiln-fnbench-input-" + std::to_string(getpid()))).string();
    if (!base::write_file_atomically(input_path, f->input_json)) fail("cannot write " + input_path);
    command.insert(command.end(), {"-i", input_path});
    int status = 0;
    expect_report(*f, spawn_and_read(command, &status), want);  // also caches the artifacts
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) fail(std::string(f->spec->name) + ": kiln function-run failed");

    row.pooled = time_each(o.runs, [&] { pooled.run(); });
    if (!(pooled.run() == want)) fail(std::string(f->spec->name) + ": the pool's output changed after reuse");
    row.fresh = time_each(o.runs, [&] { run_fresh(*f); });
    row.process = time_each(o.process_runs, [&] { spawn_and_read(command, &status); });
    std::filesystem::remove(input_path);
    rows.push_back(row);
  }

  std::printf("## Shopify's function-runner fixtures: kiln against V8 (Node %s)\n\n", node_version.c_str());
  std::printf("p50 µs per execution, every execution on fresh instances (pooled: reset by kiln's InstancePool); "
              "%d runs each, %d for the whole process.\n\n", o.runs, o.process_runs);
  std::printf("| function | kiln backend | provider | kiln pooled | kiln fresh Store | kiln function-run (process) | "
              "V8 (node:wasi) | V8 / kiln pooled | instructions | memory KiB |\n");
  std::printf("|---|---|---|---:|---:|---:|---:|---:|---:|---:|\n");
  int below_target = 0;
  for (const Row& r : rows) {
    const Loaded& f = *r.f;
    double ratio = r.has_v8 && r.pooled.p50 > 0 ? r.v8.p50 / r.pooled.p50 : 0;
    if (r.has_v8 && ratio < 5.0) ++below_target;
    std::printf("| %s | %s | %s | %.1f | %.1f | %.0f | %s | %s | %llu | %llu |\n", f.spec->name,
                f.interp ? "interp" : "aot", f.provider_name ? f.provider_name->c_str() : "—", r.pooled.p50,
                r.fresh.p50, r.process.p50, r.has_v8 ? std::to_string(static_cast<int>(r.v8.p50 + 0.5)).c_str() : "—",
                r.has_v8 ? (std::to_string(ratio).substr(0, std::to_string(ratio).find('.') + 2) + "×").c_str() : "—",
                static_cast<unsigned long long>(r.outcome.fuel),
                static_cast<unsigned long long>(r.outcome.memory_bytes / 1024));
  }
  std::printf("\nTarget: kiln pooled at least 5× faster than V8 for every fixture: %s (%d of %zu below).\n",
              below_target == 0 ? "met" : "NOT met", below_target,
              static_cast<size_t>(std::count_if(rows.begin(), rows.end(), [](const Row& r) { return r.has_v8; })));
  std::printf("\n### Providers: one-time compile cost\n\n");
  std::printf("| provider | kiln backend | kiln, empty cache ms | kiln, cached ms | V8 ms (WebAssembly.Module) |\n");
  std::printf("|---|---|---:|---:|---:|\n");
  for (const auto& [name, cost] : provider_costs) {
    std::string v8_ms = "—";
    if (auto it = v8_compile_ms.find(name); it != v8_compile_ms.end()) {
      v8_ms = std::to_string(it->second);
      v8_ms = v8_ms.substr(0, v8_ms.find('.') + 2);
    }
    std::printf("| %s | %s | %.1f | %.1f | %s |\n", name.c_str(), cost.backend.c_str(), cost.cold_ms, cost.cached_ms,
                v8_ms.c_str());
  }
  std::printf("\nV8 compiles lazily (Liftoff, then TurboFan for hot functions while it runs); its time above is "
              "the synchronous part. wasm_api_v1 has no V8 row: V8 has no link-time trampoline for "
              "shopify_function_v1 (function-runner rewrites the module first).\n");
  return 0;
}
