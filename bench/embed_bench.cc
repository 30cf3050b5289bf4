// kiln_embed_bench: what the embedding API costs, as p50/p95 in one run, on
// both backends, with a native call measured beside them:
//   - acquire + call + release of add_one (1-page memory) from an
//     InstancePool, and from scratch (new Store + InstancePre::instantiate);
//   - the same for a module with 64 KiB of data segments;
//   - a warm call through a typed handle (trap guard and stack switch
//     included), per call in batches;
//   - resident memory (VmRSS) added by one loaded module (the first one
//     also carries the backend's one-time costs), and per idle pooled
//     instance (kIdleInstances leased at once, then released).
// Usage: kiln_embed_bench [--iterations N] [--cache-dir DIR]
//                         [--pool-cycles N [--pool-module FILE --pool-export NAME]]
// --pool-cycles N runs only N pool cycles of add_one on aot, untimed, so
// that `strace -c -f` or `perf` see the pooled path and little else; with
// --pool-module, of that module's export NAME, an (i32) -> i32 called with 1
// (a reactor is reset from its snapshot).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "kiln/engine.h"
#include "kiln/instance_pool.h"
#include "kiln/instance_pre.h"
#include "kiln/linker.h"
#include "kiln/module.h"
#include "kiln/store.h"

namespace {

using Clock = std::chrono::steady_clock;

struct Percentiles {
  double p50 = 0;
  double p95 = 0;
};

Percentiles percentiles(std::vector<double> samples) {
  std::sort(samples.begin(), samples.end());
  return {samples[samples.size() / 2], samples[samples.size() * 95 / 100]};
}

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
  return percentiles(std::move(samples));
}

// Per-call figures for operations too short to time one by one.
template <class F>
Percentiles time_batched(int batches, int batch, F&& op) {
  std::vector<double> samples;
  for (int b = 0; b < batches; ++b) {
    auto start = Clock::now();
    for (int i = 0; i < batch; ++i) op(i);
    samples.push_back(std::chrono::duration<double, std::nano>(Clock::now() - start).count() / batch);
  }
  return percentiles(std::move(samples));
}

[[noreturn]] void fail(const std::string& what) {
  std::fprintf(stderr, "kiln_embed_bench: %s\n", what.c_str());
  std::exit(1);
}

__attribute__((noinline)) int32_t native_add_one(int32_t x) { return x + 1; }

void print_row(const char* what, const char* backend, Percentiles p, const char* unit = "ns") {
  std::printf("%-44s %-7s p50 %9.0f %s   p95 %9.0f %s\n", what, backend, p.p50, unit, p.p95, unit);
}

volatile int32_t g_sink;

// Instances leased at once, then left idle, to measure what one costs.
constexpr int kIdleInstances = 32;

// The process's resident memory, from /proc/self/status.
long resident_kib() {
  std::FILE* status = std::fopen("/proc/self/status", "r");
  if (status == nullptr) return 0;
  char line[256];
  long kib = 0;
  while (std::fgets(line, sizeof line, status) != nullptr) {
    if (std::sscanf(line, "VmRSS: %ld kB", &kib) == 1) break;
  }
  std::fclose(status);
  return kib;
}

void print_resident(const std::string& what, const char* backend, double kib) {
  std::printf("%-44s %-7s %9.1f KiB\n", what.c_str(), backend, kib);
}

// Leases kIdleInstances at once and returns them: resident memory per idle
// instance, as the process sees it and as the pool accounts it (memory).
void measure_idle_instances(kiln::InstancePool& pool, const char* stem, const char* backend) {
  long before = resident_kib();
  {
    std::vector<kiln::PooledInstance> leases;
    for (int i = 0; i < kIdleInstances; ++i) {
      auto lease = pool.acquire();
      if (!lease) fail(lease.error().message);
      leases.push_back(std::move(*lease));
    }
  }
  kiln::InstancePoolStats stats = pool.stats();
  std::string what = std::string("resident per idle pooled instance, ") + stem;
  if (stats.idle == 0) {
    std::printf("%-44s %-7s none kept idle (no reset: each lease is a new instance)\n", what.c_str(), backend);
    return;
  }
  print_resident(what, backend, double(resident_kib() - before) / double(stats.idle));
  print_resident("  of which linear memory (the pool's count)", backend,
                 double(stats.resident_bytes) / 1024.0 / double(stats.idle));
}

void bench_backend(kiln::BackendKind backend, const std::string& cache_dir, int iterations) {
  kiln::EngineConfig config;
  config.backend = backend;
  config.cache_dir = cache_dir;
  auto engine = kiln::Engine::create(config);
  if (!engine) fail(engine.error().message);
  const char* name = kiln::to_string(backend);

  std::vector<std::shared_ptr<kiln::InstancePool>> idle_pools;
  for (const char* stem : {"add_one", "add_one_data64k"}) {
    long before_load = resident_kib();
    auto module = kiln::Module::from_file(*engine, std::string(KILN_BENCH_DIR) + "/" + stem + ".wasm");
    if (!module) fail(module.error().message);
    auto pre = kiln::InstancePre::create(*module, kiln::Linker{});
    if (!pre) fail(pre.error().message);
    print_resident(std::string("resident per loaded module, ") + stem, name, double(resident_kib() - before_load));
    auto pool = kiln::InstancePool::create(*pre);

    std::string what = std::string("pool acquire+call+release, ") + stem;
    print_row(what.c_str(), name, time_each(iterations, [&] {
      auto lease = pool->acquire();
      if (!lease) fail(lease.error().message);
      auto add_one = lease->instance().typed<int32_t(int32_t)>("add_one");
      auto out = add_one->call(41);
      if (!out.returned() || out.value != 42) fail("add_one gave a wrong answer");
    }));
    what = std::string("new Store+instantiate+call+drop, ") + stem;
    print_row(what.c_str(), name, time_each(iterations, [&] {
      kiln::Store store(*engine);
      auto instance = pre->instantiate(store);
      if (!instance) fail(instance.error().message);
      auto out = instance->typed<int32_t(int32_t)>("add_one")->call(41);
      if (!out.returned() || out.value != 42) fail("add_one gave a wrong answer");
    }));
    // After the timings, which it would disturb (the heap it grows). The
    // pool stays alive, so the next module's instances cannot take over
    // memory this one's left resident.
    measure_idle_instances(*pool, stem, name);
    idle_pools.push_back(std::move(pool));
  }
  idle_pools.clear();

  auto module = kiln::Module::from_file(*engine, std::string(KILN_BENCH_DIR) + "/add_one.wasm");
  auto pre = kiln::InstancePre::create(*module, kiln::Linker{});
  kiln::Store store(*engine);
  auto instance = pre->instantiate(store);
  if (!instance) fail(instance.error().message);
  auto add_one = instance->typed<int32_t(int32_t)>("add_one");
  int batch = backend == kiln::BackendKind::Aot ? 10000 : 1000;
  print_row("warm typed call add_one", name, time_batched(200, batch, [&](int i) {
    auto out = add_one->call(i);
    g_sink = out.value;
  }));
  kiln::Value arg = kiln::Value::from_i32(1);
  print_row("warm Instance::call(\"add_one\", Values)", name, time_batched(200, batch / 10, [&](int) {
    g_sink = static_cast<int32_t>(instance->call("add_one", std::span(&arg, 1)).values[0].i32);
  }));
}

// The pooled path alone, for strace and perf: acquire + call + release.
void run_pool_cycles(const std::string& cache_dir, long cycles, std::string path, const std::string& export_name) {
  kiln::EngineConfig config;
  config.backend = kiln::BackendKind::Aot;
  config.cache_dir = cache_dir;
  auto engine = kiln::Engine::create(config);
  if (!engine) fail(engine.error().message);
  if (path.empty()) path = std::string(KILN_BENCH_DIR) + "/add_one.wasm";
  auto module = kiln::Module::from_file(*engine, path);
  if (!module) fail(module.error().message);
  auto pre = kiln::InstancePre::create(*module, kiln::Linker{});
  if (!pre) fail(pre.error().message);
  kiln::InstancePoolConfig pool_config;
  pool_config.reactor_reset = kiln::InstancePoolConfig::ReactorReset::Snapshot;
  auto pool = kiln::InstancePool::create(*pre, pool_config);
  for (long i = 0; i < cycles; ++i) {
    auto lease = pool->acquire();
    if (!lease) fail(lease.error().message);
    auto function = lease->instance().typed<int32_t(int32_t)>(export_name);
    if (!function) fail(function.error().message);
    auto out = function->call(1);
    if (!out.returned()) fail(export_name + " did not return");
  }
  kiln::InstancePoolStats stats = pool->stats();
  std::printf("%ld pool cycles of %s in %s (aot): %llu instances made\n", cycles, export_name.c_str(), path.c_str(),
              static_cast<unsigned long long>(stats.created));
}

}  // namespace

int main(int argc, char** argv) {
  int iterations = 20000;
  std::string cache_dir;
  long pool_cycles = 0;
  std::string pool_module;
  std::string pool_export = "add_one";
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--iterations") && i + 1 < argc) {
      iterations = std::atoi(argv[++i]);
    } else if (!std::strcmp(argv[i], "--cache-dir") && i + 1 < argc) {
      cache_dir = argv[++i];
    } else if (!std::strcmp(argv[i], "--pool-cycles") && i + 1 < argc) {
      pool_cycles = std::atol(argv[++i]);
    } else if (!std::strcmp(argv[i], "--pool-module") && i + 1 < argc) {
      pool_module = argv[++i];
    } else if (!std::strcmp(argv[i], "--pool-export") && i + 1 < argc) {
      pool_export = argv[++i];
    } else {
      fail(std::string("unknown argument ") + argv[i] + " (usage: kiln_embed_bench [--iterations N] [--cache-dir DIR] "
           "[--pool-cycles N [--pool-module FILE --pool-export NAME]])");
    }
  }
  if (pool_cycles > 0) {
    run_pool_cycles(cache_dir, pool_cycles, pool_module, pool_export);
    return 0;
  }
  if (iterations < 100) fail("--iterations must be at least 100");
  print_row("native call add_one (baseline)", "native", time_batched(200, 100000, [](int i) {
    g_sink = native_add_one(i);
  }));
  bench_backend(kiln::BackendKind::Aot, cache_dir, iterations);
  bench_backend(kiln::BackendKind::Interp, cache_dir, iterations / 10);
  return 0;
}
