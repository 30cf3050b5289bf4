// kiln_proxy_wasm_bench: the proxy-wasm host without a proxy (issue 15),
// on both backends, in one run:
//   - one request through the seed's filter (tests/guests/proxy_add_header.c:
//     read User-Agent, add x-kiln-agent, log a line) as a proxy drives it:
//     a stream context, on_request_headers, then log/done/delete; against
//     the same work done natively on the same header map (the baseline);
//   - resident memory (VmRSS) per loaded filter module (its code, shared by
//     every VM made from it) and per VM (its instance, memory and Store).
//
// Usage: kiln_proxy_wasm_bench [--requests N] [--vms N] [--cache-dir DIR] [--backend aot|interp|both]
#include <strings.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "host/proxy_wasm/proxy_wasm_vm.h"
#include "kiln/engine.h"
#include "kiln/module.h"

namespace {

using Clock = std::chrono::steady_clock;
using kiln::host::proxy_wasm::HeaderMap;
using kiln::host::proxy_wasm::ProxyWasmConfig;
using kiln::host::proxy_wasm::ProxyWasmVm;

[[noreturn]] void fail(const std::string& what) {
  std::fprintf(stderr, "kiln_proxy_wasm_bench: %s\n", what.c_str());
  std::exit(1);
}

struct Percentiles {
  double p50 = 0, p95 = 0;
};

template <class F>
Percentiles time_each(int iterations, F&& op) {
  std::vector<double> samples;
  samples.reserve(iterations);
  for (int i = 0; i < iterations / 10; ++i) op();  // warm up
  for (int i = 0; i < iterations; ++i) {
    auto start = Clock::now();
    op();
    samples.push_back(std::chrono::duration<double, std::nano>(Clock::now() - start).count());
  }
  std::sort(samples.begin(), samples.end());
  return {samples[samples.size() / 2], samples[samples.size() * 95 / 100]};
}

long resident_kib() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
  }
  return 0;
}

HeaderMap request_headers() {
  return {{":method", "GET"}, {":path", "/index.html"}, {":authority", "example.com"}, {"user-agent", "h2load/1.52"},
          {"accept", "*/*"}};
}

// The filter's work in C++: what a native plugin would do.
std::vector<std::string> native_log;
void native_filter(HeaderMap& headers) {
  const std::string* agent = nullptr;
  for (const auto& [name, value] : headers) {
    if (strcasecmp(name.c_str(), "user-agent") == 0) agent = &value;
  }
  // Copied before the add: it may move the map's strings.
  const std::string found = agent ? *agent : "";
  headers.emplace_back("x-kiln-agent", agent ? found : "none");
  native_log.push_back("request from " + (agent ? found : std::string("nobody")));
  if (native_log.size() > 1024) native_log.clear();
}

// The filter's log lines kept as the native filter keeps its own: a proxy
// hands them on; neither grows without bound.
std::vector<std::string> filter_log;
ProxyWasmConfig bench_config() {
  ProxyWasmConfig config;
  config.log_sink = [](const kiln::host::proxy_wasm::LogLine& line) {
    filter_log.push_back(line.message);
    if (filter_log.size() > 1024) filter_log.clear();
  };
  return config;
}

void one_request(ProxyWasmVm& vm) {
  auto stream = vm.new_stream();
  if (!stream) fail(stream.error().message);
  (*stream)->request_headers = request_headers();
  auto action = (*stream)->on_request_headers(true);
  if (!action) fail(action.error().message);
  if ((*stream)->request_headers.size() != 6) fail("the filter did not add its header");
  if (auto done = (*stream)->finish(); !done) fail(done.error().message);
}

void run(kiln::BackendKind backend, const std::string& cache_dir, int requests, int vms) {
  kiln::EngineConfig config{.backend = backend};
  if (!cache_dir.empty()) config.cache_dir = cache_dir;
  auto engine = kiln::Engine::create(config);
  if (!engine) fail(engine.error().message);
  const long before_module = resident_kib();
  auto module = kiln::Module::from_file(*engine, std::string(KILN_GUEST_DIR) + "/proxy_add_header.wasm");
  if (!module) fail(module.error().message);
  const long module_kib = resident_kib() - before_module;

  auto vm = ProxyWasmVm::start(*module, bench_config());
  if (!vm) fail(vm.error().message);
  const char* name = backend == kiln::BackendKind::Aot ? "aot" : "interp";
  Percentiles filter = time_each(requests, [&] { one_request(**vm); });
  Percentiles native = time_each(requests, [&] {
    HeaderMap headers = request_headers();
    native_filter(headers);
  });

  // Memory per VM: `vms` more VMs of the same module, each having served a
  // request (its memory as a proxy's worker would hold it).
  std::vector<std::unique_ptr<ProxyWasmVm>> many;
  const long before_vms = resident_kib();
  for (int i = 0; i < vms; ++i) {
    auto more = ProxyWasmVm::start(*module, bench_config());
    if (!more) fail(more.error().message);
    one_request(**more);
    many.push_back(std::move(*more));
  }
  const double per_vm = double(resident_kib() - before_vms) / vms;

  std::printf("%-7s | %9.0f / %9.0f | %9.0f / %9.0f | %7.1fx | %10ld | %8.1f\n", name, filter.p50, filter.p95,
              native.p50, native.p95, filter.p50 / native.p50, module_kib, per_vm);
}

}  // namespace

int main(int argc, char** argv) {
  int requests = 20000, vms = 100;
  std::string cache_dir, backends = "both";
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--requests" && i + 1 < argc) requests = std::atoi(argv[++i]);
    else if (arg == "--vms" && i + 1 < argc) vms = std::atoi(argv[++i]);
    else if (arg == "--cache-dir" && i + 1 < argc) cache_dir = argv[++i];
    else if (arg == "--backend" && i + 1 < argc) backends = argv[++i];
    else fail("usage: kiln_proxy_wasm_bench [--requests N] [--vms N] [--cache-dir DIR] [--backend aot|interp|both]");
  }
  if (requests < 100 || vms < 1) fail("--requests must be at least 100 and --vms at least 1");
  std::printf("the seed's filter (read User-Agent, add x-kiln-agent, log) per request, as a proxy drives it "
              "(stream context, on_request_headers, log/done/delete); %d requests; native = the same work in C++\n",
              requests);
  std::printf("backend | filter ns p50 / p95    | native ns p50 / p95    | ratio   | module KiB | KiB / VM (of %d)\n",
              vms);
  if (backends != "aot" && backends != "interp" && backends != "both") fail("--backend is aot, interp or both");
  if (backends != "interp") run(kiln::BackendKind::Aot, cache_dir, requests, vms);
  if (backends != "aot") run(kiln::BackendKind::Interp, cache_dir, requests, vms);
  return 0;
}
