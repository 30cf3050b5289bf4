// kiln_abi_compare_bench: the two guest ABIs of issue 12, item 1, on the
// product discount, in one process, per call:
//   - native: the discount's C linked in (its JSON parse and output included);
//   - kiln-reactor: product_discount_reactor.wasm from an InstancePool
//     (_initialize once, memory snapshot reset), the input with its config
//     written once into guest memory, run(ptr, len), the output read in
//     place: execute/kiln_reactor.h, the pieces the LocalExecutor uses;
//   - shopify_function_v1, warm: product_discount_sfv1.wasm and Shopify's
//     provider linked in one Store (host/function_providers.h), reused; the
//     MessagePack input on stdin, _start, the MessagePack output from
//     stdout. The design's own cost: every input value one provider call;
//   - shopify_function_v1, fresh: the same on a new Store and two new
//     instances per call, as Shopify runs every execution;
//   - JSON -> MessagePack of the input and back of the output: what a JSON
//     caller adds to either shopify_function_v1 row.
// Each on the 3-line and the 200-line cart; p50/p95 per call, the ratio to
// native, the instructions (fuel) per call and, for shopify_function_v1,
// how many calls the function makes into the provider (counted in a
// separate pass through counting imports). Every output is checked against
// the native one. Prints a markdown table.
//
// Usage: kiln_abi_compare_bench [--runs N] [--providers DIR] [--backend aot|interp]
// The provider directory defaults to $KILN_PROVIDERS, else
// ../shared/shopify-functions/providers beside the source tree. The AOT
// cache is $KILN_CACHE_DIR (the provider compiles once, in seconds).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "backends/aot/aot_backend.h"
#include "base/files.h"
#include "base/json_msgpack.h"
#include "discount.h"
#include "execute/config_splice.h"
#include "execute/exec_result.h"
#include "execute/kiln_reactor.h"
#include "host/function_providers.h"
#include "host/kiln_abi.h"
#include "kiln/engine.h"
#include "kiln/instance_pool.h"
#include "kiln/instance_pre.h"
#include "kiln/linker.h"
#include "kiln/module.h"
#include "kiln/store.h"
#include "kiln/wasi.h"
#include "registry/extension_point.h"

namespace {

using Clock = std::chrono::steady_clock;
using namespace kiln;

[[noreturn]] void fail(const std::string& what) {
  std::fprintf(stderr, "kiln_abi_compare_bench: %s\n", what.c_str());
  std::exit(1);
}

std::string read_file(const std::string& path) {
  auto text = base::read_file(path);
  if (!text) fail("cannot read " + path);
  return std::move(*text);
}

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

std::span<const uint8_t> bytes_of(const std::string& s) { return {reinterpret_cast<const uint8_t*>(s.data()), s.size()}; }

struct Quantiles {
  double p50 = 0, p95 = 0;  // microseconds
};

// Nearest rank over `runs` timed calls of `op`, after a warm-up.
template <class F>
Quantiles time_each(int runs, F&& op) {
  for (int i = 0; i < std::max(runs / 10, 10); ++i) op();
  std::vector<double> samples;
  samples.reserve(runs);
  for (int i = 0; i < runs; ++i) {
    auto start = Clock::now();
    op();
    samples.push_back(std::chrono::duration<double, std::micro>(Clock::now() - start).count());
  }
  std::sort(samples.begin(), samples.end());
  auto at = [&](double q) {
    size_t rank = static_cast<size_t>(q * static_cast<double>(samples.size()) + 0.999999);
    return samples[std::clamp<size_t>(rank, 1, samples.size()) - 1];
  };
  return {at(0.50), at(0.95)};
}

struct Cart {
  std::string label;
  std::string json;            // the cart with its config member: what every design reads
  std::string msgpack;         // the same as MessagePack, as Shopify hands it over
  std::string cart;            // the cart alone: the reactor gets the config spliced in
  std::string expected;        // compact JSON, the native output
};

struct Row {
  std::string cart, design;
  Quantiles q;
  uint64_t fuel = 0;           // 0: not metered
  uint64_t provider_calls = 0; // 0: none
};

// ---- native ------------------------------------------------------------

std::string run_native(const Cart& cart) {
  kj_writer out;
  kjw_init(&out, size_t{1} << 20);
  char log[256];
  int rc = product_discount_run(cart.json.data(), cart.json.size(), &out, log, sizeof log);
  std::string text = rc == 0 && !out.failed ? std::string(out.buf, out.len) : std::string();
  kjw_free(&out);
  if (rc != 0) fail("native product_discount_run failed on the " + cart.label + " cart: " + log);
  return text;
}

size_t g_sink = 0;

// ---- kiln-reactor --------------------------------------------------------

struct Reactor {
  registry::ExtensionPoint ep;
  std::string config;
  std::shared_ptr<InstancePool> pool;
};

Reactor make_reactor(Engine& engine, const std::string& examples_build, const std::string& examples_src) {
  auto ep = registry::parse_extension_point(read_file(examples_src + "/extension_point_reactor.json"), "reactor ep");
  if (!ep) fail(ep.error().message);
  auto module = Module::from_file(engine, examples_build + "/product_discount_reactor.wasm");
  if (!module) fail(module.error().message);
  Linker linker;
  host::add_wasi(linker);
  host::add_kiln_abi(linker);
  auto pre = InstancePre::create(*module, linker);
  if (!pre) fail(pre.error().message);
  InstancePoolConfig config;
  config.reactor_reset = InstancePoolConfig::ReactorReset::Snapshot;
  auto wasi = std::make_shared<host::WasiContext>(host::WasiConfig{});
  config.on_acquire = [wasi](Store& store) { host::attach_wasi(store, wasi); };
  return Reactor{std::move(*ep), trimmed(read_file(examples_src + "/config.json")), InstancePool::create(std::move(*pre), config)};
}

// One call as LocalExecutor::run_reactor makes it, minus lookup and
// validation. Returns the output (copied only when `keep`) and the fuel.
std::pair<std::string, uint64_t> run_reactor(const Reactor& r, const Cart& cart, bool keep) {
  auto lease = r.pool->acquire();
  if (!lease) fail(lease.error().message);
  execute::ExecResult result;
  result.fuel_limit = r.ep.limits.fuel;
  lease->store().limits().fuel = result.fuel_limit;
  host::attach_kiln_call(lease->store(), r.ep.limits.max_log);
  execute::ConfigSplice splice(bytes_of(cart.cart), r.config);
  auto slice = execute::write_reactor_input(lease->instance(), splice, result);
  if (!slice) fail("reactor input: " + (result.error ? result.error->message : std::string("?")));
  auto packed = execute::call_reactor_entry(lease->instance(), r.ep, *slice, result);
  if (!packed) fail("reactor run: " + (result.error ? result.error->message : std::string("?")));
  auto output = execute::reactor_output(lease->instance(), r.ep, *packed);
  if (!output) fail("reactor output: " + output.error().message);
  std::string kept = keep ? std::string(*output) : std::string();
  g_sink += output->size();
  lease->release();
  return {kept, result.fuel_used};
}

// ---- shopify_function_v1 -------------------------------------------------

struct Sfv1 {
  Module function;
  std::unique_ptr<host::FunctionProviders> providers;
};

// A Store with the provider and the function linked; `counts`, when given,
// routes every shopify_function_v1 import through a counting host function.
struct Sfv1Run {
  std::unique_ptr<Store> store;
  std::optional<Instance> function;
};

void count_provider_calls(const Module& function, Linker& linker, std::shared_ptr<std::map<std::string, uint64_t>> counts) {
  for (const ImportDesc& import : function.info().imports) {
    if (import.module != "shopify_function_v1") continue;
    const Linker::Definition* real = linker.find(import.module, import.name);
    if (!real) fail("no definition of shopify_function_v1." + import.name);
    Linker::Definition forward = *real;
    HostFunc counting{import.func_type, [counts, name = import.name, forward](HostContext& context,
                                                                             std::span<const Value> args,
                                                                             std::span<Value> results) {
                        ++(*counts)[name];
                        if (const auto* host = std::get_if<HostFunc>(&forward)) return host->callback(context, args, results);
                        CallResult r = context.store().call(std::get<Extern>(forward), args);
                        if (!r.returned()) return HostResult::trapped(TrapKind::HostError, r.trap.describe() + r.error);
                        for (size_t i = 0; i < results.size(); ++i) results[i] = r.values[i];
                        return HostResult::ok();
                      }};
    linker.define(import.module, import.name, std::move(counting));
  }
}

Sfv1Run link_sfv1(const Sfv1& s, std::shared_ptr<std::map<std::string, uint64_t>> counts = nullptr) {
  Sfv1Run run{std::make_unique<Store>(s.function.engine()), std::nullopt};
  Linker linker;
  host::add_wasi(linker);
  auto provider = s.providers->link(s.function, *run.store, linker);
  if (!provider) fail("provider: " + provider.error().message);
  if (counts) count_provider_calls(s.function, linker, counts);
  auto instance = run.store->instantiate(s.function, linker);
  if (!instance) fail("sfv1: " + instance.error().message);
  run.function = *instance;
  return run;
}

// One execution on `run`: the MessagePack input on stdin, _start, the
// MessagePack output from stdout (copied only when `keep`), the fuel.
std::pair<std::string, uint64_t> call_sfv1(Sfv1Run& run, const Cart& cart, bool keep) {
  host::WasiConfig config;
  config.stdin_data = cart.msgpack;
  auto wasi = std::make_shared<host::WasiContext>(std::move(config));
  host::attach_wasi(*run.store, wasi);
  // Called as the reactor's entry is (execute/kiln_reactor.cc): typed, resolved per call.
  auto start = run.function->typed<void()>("_start");
  if (!start) fail(start.error().message);
  auto r = start->call();
  if (!r.returned() && !(r.exited() && r.exit_code == 0)) {
    fail("sfv1 _start: " + r.trap.describe() + r.error + " " + std::string(wasi->stderr_data()));
  }
  g_sink += wasi->stdout_data().size();
  return {keep ? std::string(wasi->stdout_data()) : std::string(), r.fuel_used};
}

// Compact JSON, keys in their order: comparable with the native output byte for byte.
std::string compact_json_of(const std::string& msgpack) {
  auto json = base::msgpack_to_json(msgpack, ErrorKind::InvalidOutput, "sfv1 output");
  if (!json) fail(json.error().message);
  return *json;
}


// ---- the run -------------------------------------------------------------

struct Options {
  int runs = 2000;
  std::string providers;
  BackendKind backend = BackendKind::Aot;
};

Options parse(int argc, char** argv) {
  Options o;
  const char* env = std::getenv("KILN_PROVIDERS");
  o.providers = env && *env ? env : std::string(KILN_SOURCE_DIR) + "/../shared/shopify-functions/providers";
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) fail(a + " needs a value");
      return argv[++i];
    };
    if (a == "--runs") o.runs = std::max(1, std::atoi(value().c_str()));
    else if (a == "--providers") o.providers = value();
    else if (a == "--backend") {
      std::string b = value();
      if (b == "aot") o.backend = BackendKind::Aot;
      else if (b == "interp") o.backend = BackendKind::Interp;
      else fail("--backend is aot or interp, not " + b);
    } else {
      fail("unknown argument " + a + " (usage: kiln_abi_compare_bench [--runs N] [--providers DIR] [--backend aot|interp])");
    }
  }
  return o;
}

Cart make_cart(const std::string& label, const std::string& file, const std::string& examples_src) {
  Cart c;
  c.label = label;
  c.cart = trimmed(read_file(examples_src + "/" + file));
  std::string config = trimmed(read_file(examples_src + "/config.json"));
  size_t brace = c.cart.find('{');
  if (brace == std::string::npos) fail(file + " is no JSON object");
  c.json = "{\"config\": " + config + ", " + c.cart.substr(brace + 1);
  auto msgpack = base::json_to_msgpack(c.json, ErrorKind::InvalidInput, file);
  if (!msgpack) fail(msgpack.error().message);
  c.msgpack = std::move(*msgpack);
  c.expected = run_native(c);
  return c;
}

}  // namespace

int main(int argc, char** argv) {
  Options o = parse(argc, argv);
  const std::string examples_src = std::string(KILN_SOURCE_DIR) + "/examples/product_discount";
  const std::string examples_build = KILN_EXAMPLES_BUILD_DIR;
  auto engine = Engine::create(EngineConfig{.backend = o.backend});
  if (!engine) fail(engine.error().message);

  std::vector<Cart> carts{make_cart("3-line", "input.json", examples_src),
                          make_cart("200-line", "input_200_lines.json", examples_src)};
  Reactor reactor = make_reactor(*engine, examples_build, examples_src);
  auto function = Module::from_file(*engine, examples_build + "/product_discount_sfv1.wasm");
  if (!function) fail(function.error().message);
  Sfv1 sfv1{*function, std::make_unique<host::FunctionProviders>(*engine, o.providers)};
  auto compile_start = Clock::now();
  auto provider = sfv1.providers->provider("shopify_function_v1");
  if (!provider) fail(provider.error().message);
  double provider_load_ms = std::chrono::duration<double, std::milli>(Clock::now() - compile_start).count();

  std::vector<Row> rows;
  std::map<std::string, double> native_p50;
  std::vector<std::string> call_lines;  // shopify_function_v1 imports called, per cart
  for (const Cart& cart : carts) {
    // Correctness first: every design's output is the native one.
    auto [reactor_out, reactor_fuel_used] = run_reactor(reactor, cart, true);
    const uint64_t reactor_fuel = reactor_fuel_used;
    if (reactor_out != cart.expected) fail("the reactor's output differs on the " + cart.label + " cart");
    auto counts = std::make_shared<std::map<std::string, uint64_t>>();
    Sfv1Run counted = link_sfv1(sfv1, counts);
    auto [sfv1_result, sfv1_fuel_used] = call_sfv1(counted, cart, true);
    const std::string sfv1_out = sfv1_result;  // named, for the lambdas below
    const uint64_t sfv1_fuel = sfv1_fuel_used;
    if (compact_json_of(sfv1_out) != cart.expected) {
      fail("the sfv1 output differs on the " + cart.label + " cart: " + compact_json_of(sfv1_out));
    }
    uint64_t calls = 0;
    std::string by_import;
    for (const auto& [name, n] : *counts) {
      calls += n;
      by_import += " " + name.substr(std::string("shopify_function_").size()) + "=" + std::to_string(n);
    }
    call_lines.push_back(cart.label + ":" + by_import);

    Row native{cart.label, "native (parse + compute + write JSON)", time_each(o.runs, [&] {
                 kj_writer out;
                 kjw_init(&out, size_t{1} << 20);
                 char log[256];
                 g_sink += static_cast<size_t>(product_discount_run(cart.json.data(), cart.json.size(), &out, log, sizeof log));
                 kjw_free(&out);
               })};
    native_p50[cart.label] = native.q.p50;
    rows.push_back(native);
    rows.push_back(Row{cart.label, "kiln-reactor, pooled (one copy in, output read in place)",
                       time_each(o.runs, [&] { run_reactor(reactor, cart, false); }), reactor_fuel, 0});
    Sfv1Run warm = link_sfv1(sfv1);
    rows.push_back(Row{cart.label, "shopify_function_v1, warm instances (MessagePack in/out)",
                       time_each(o.runs, [&] { call_sfv1(warm, cart, false); }), sfv1_fuel, calls});
    // Reused instances must still answer right after thousands of calls.
    if (run_reactor(reactor, cart, true).first != cart.expected) fail("the reused reactor's output differs");
    if (compact_json_of(call_sfv1(warm, cart, true).first) != cart.expected) fail("the reused sfv1's output differs");
    rows.push_back(Row{cart.label, "shopify_function_v1, fresh instances per call (as Shopify)",
                       time_each(std::max(o.runs / 4, 50),
                                 [&] {
                                   Sfv1Run fresh = link_sfv1(sfv1);
                                   call_sfv1(fresh, cart, false);
                                 }),
                       sfv1_fuel, calls});
    rows.push_back(Row{cart.label, "  of which: new Store, provider and function instantiated",
                       time_each(std::max(o.runs / 4, 50), [&] { g_sink += link_sfv1(sfv1).function->index(); })});
    rows.push_back(Row{cart.label, "+ JSON->MessagePack input, MessagePack->JSON output",
                       time_each(o.runs, [&] {
                         auto in = base::json_to_msgpack(cart.json, ErrorKind::InvalidInput, "input");
                         auto out = base::msgpack_to_json(sfv1_out, ErrorKind::InvalidOutput, "output");
                         g_sink += (in ? in->size() : 0) + (out ? out->size() : 0);
                       })});
  }

  std::printf("## kiln-reactor vs shopify_function_v1 (product discount, %s backend, %d runs)\n\n",
              o.backend == BackendKind::Aot ? "aot" : "interp", o.runs);
  // An AOT engine runs a module its C compiler could not build on the interpreter instead.
  auto tier = [&](const Module& m) {
    if (o.backend != BackendKind::Aot) return "interpreter";
    return kiln::backends::is_interp_fallback(m.backend_module()) ? "interpreter (AOT fallback)" : "aot";
  };
  std::printf("shopify_function_v1.wasm loaded (compiled or from the cache) in %.0f ms; runs on: %s; "
              "product_discount_sfv1.wasm on: %s\n\n",
              provider_load_ms, tier(*provider), tier(sfv1.function));
  std::printf("| cart | design | p50 µs | p95 µs | × native p50 | instructions | calls into provider |\n");
  std::printf("|---|---|---:|---:|---:|---:|---:|\n");
  for (const Row& r : rows) {
    double ratio = native_p50[r.cart] > 0 ? r.q.p50 / native_p50[r.cart] : 0;
    std::printf("| %s | %s | %.2f | %.2f | %.1f | %s | %s |\n", r.cart.c_str(), r.design.c_str(), r.q.p50, r.q.p95,
                ratio, r.fuel ? std::to_string(r.fuel).c_str() : "", r.provider_calls ? std::to_string(r.provider_calls).c_str() : "");
  }
  std::printf("\nCalls into the provider per execution, by import (input_read_utf8_str, input_get_obj_prop,\n"
              "output_new_utf8_str and intern_utf8_str go through kiln's copying host functions, the rest\n"
              "straight to the provider):\n\n");
  for (const std::string& line : call_lines) std::printf("- %s\n", line.c_str());
  std::printf("\n(sink %zu)\n", g_sink % 10);
  return 0;
}
