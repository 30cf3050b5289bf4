// Costs of kiln's runtime (rt/) on the paths the execute workflow takes:
// memories from the pool, guarded calls, traps in each bounds-check mode,
// memory.grow, and a real wasm2c module's instantiate + call + release.
// Run: build-*/rt/kiln_rt_bench (built when Google Benchmark is installed).
#include <benchmark/benchmark.h>

#include <cstdint>

#include "probe_explicit.h"
#include "probe_guard.h"
#include "rt/guest_stack.h"
#include "rt/memory_pool.h"
#include "rt/wasm-rt.h"

namespace kiln::rt {
namespace {

void BM_AllocateFreeOnePage(benchmark::State& state, BoundsCheck mode) {
  for (auto _ : state) {
    wasm_rt_memory_t memory{};
    if (!allocate_memory(memory, 1, 1, mode)) state.SkipWithError("allocate_memory failed");
    benchmark::DoNotOptimize(memory.data);
    free_memory(memory);
  }
}
BENCHMARK_CAPTURE(BM_AllocateFreeOnePage, guard_pages, BoundsCheck::GuardPages);
BENCHMARK_CAPTURE(BM_AllocateFreeOnePage, explicit_checks, BoundsCheck::Explicit);

void empty_guest(void*) {}

void BM_CallGuardedEmpty(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(call_guarded(&empty_guest, nullptr));
}
BENCHMARK(BM_CallGuardedEmpty);

// An out-of-bounds load, trapped the way each mode traps it: a fault on the
// guard region (kernel signal delivery, handler, longjmp), or wasm2c's
// explicit check calling wasm_rt_trap (a longjmp).
void BM_OutOfBoundsTrap(benchmark::State& state, BoundsCheck mode) {
  wasm_rt_memory_t memory{};
  if (!allocate_memory(memory, 1, 1, mode)) return state.SkipWithError("allocate_memory failed");
  volatile uint8_t* past_the_end = memory.data + memory.size;
  auto faulting_load = [&] { benchmark::DoNotOptimize(*past_the_end); };
  auto checked_load = [&] {
    uint64_t address = memory.size;  // one past the end
    if (UNLIKELY(address + 1 > memory.size)) wasm_rt_trap(WASM_RT_TRAP_OOB);  // wasm2c's MEMCHECK
    benchmark::DoNotOptimize(memory.data[address]);
  };
  for (auto _ : state) {
    TrapCode code = mode == BoundsCheck::GuardPages ? call_guarded(faulting_load) : call_guarded(checked_load);
    if (code == TrapCode::None) state.SkipWithError("no trap");
  }
  free_memory(memory);
}
BENCHMARK_CAPTURE(BM_OutOfBoundsTrap, guard_pages, BoundsCheck::GuardPages);
BENCHMARK_CAPTURE(BM_OutOfBoundsTrap, explicit_checks, BoundsCheck::Explicit);

volatile bool g_never = false;

[[gnu::noinline]] uint64_t recurse_forever(uint64_t depth) {
  volatile uint8_t frame[128];
  frame[0] = static_cast<uint8_t>(depth);
  if (g_never) return frame[0];
  return recurse_forever(depth + 1) + frame[0];
}

// Filling a 1 MiB guest stack, then the guard-page fault.
void BM_StackExhaustion(benchmark::State& state) {
  for (auto _ : state) {
    if (call_guarded([] { recurse_forever(0); }) != TrapCode::Exhaustion) state.SkipWithError("no exhaustion");
  }
}
BENCHMARK(BM_StackExhaustion);

// memory.grow by one page: one mprotect. Restarts from a fresh memory every
// 1024 pages, off the clock.
void BM_GrowOnePage(benchmark::State& state, BoundsCheck mode) {
  wasm_rt_memory_t memory{};
  if (!allocate_memory(memory, 0, kMaxMemoryPages, mode)) return state.SkipWithError("allocate_memory failed");
  for (auto _ : state) {
    if (memory.pages == 1024) {
      state.PauseTiming();
      free_memory(memory);
      allocate_memory(memory, 0, kMaxMemoryPages, mode);
      state.ResumeTiming();
    }
    if (grow_memory(memory, 1) == UINT32_MAX) state.SkipWithError("grow failed");
  }
  free_memory(memory);
}
BENCHMARK_CAPTURE(BM_GrowOnePage, guard_pages, BoundsCheck::GuardPages);
BENCHMARK_CAPTURE(BM_GrowOnePage, explicit_checks, BoundsCheck::Explicit);

// ---- rt/testdata/probe.wat through wasm2c ------------------------------------

template <typename Instance>
struct Probe {
  void (*init_module)();
  void (*instantiate)(Instance*);
  void (*free)(Instance*);
  u32 (*load)(Instance*, u32);
  u32 (*sum)(Instance*, u32);
};

const Probe<Z_probe_guard_instance_t> kGuardProbe{Z_probe_guard_init_module, Z_probe_guard_instantiate,
                                                  Z_probe_guard_free, Z_probe_guardZ_load, Z_probe_guardZ_sum};
const Probe<Z_probe_explicit_instance_t> kExplicitProbe{Z_probe_explicit_init_module, Z_probe_explicit_instantiate,
                                                        Z_probe_explicit_free, Z_probe_explicitZ_load,
                                                        Z_probe_explicitZ_sum};

void init_modules() {
  static bool done = [] {
    wasm_rt_init();
    kGuardProbe.init_module();
    kExplicitProbe.init_module();
    return true;
  }();
  benchmark::DoNotOptimize(done);
}

// The whole life of a 1-page instance: memory, table and data segment, one
// export call, release.
template <typename Instance>
void BM_InstantiateCallFree(benchmark::State& state, const Probe<Instance>* probe) {
  init_modules();
  for (auto _ : state) {
    Instance instance{};
    u32 value = 0;
    TrapCode code = call_guarded([&] {
      probe->instantiate(&instance);
      value = probe->load(&instance, 16);
    });
    if (code != TrapCode::None || value != 42) state.SkipWithError("probe failed");
    probe->free(&instance);
  }
}
BENCHMARK_CAPTURE(BM_InstantiateCallFree, guard_pages, &kGuardProbe);
BENCHMARK_CAPTURE(BM_InstantiateCallFree, explicit_checks, &kExplicitProbe);

// One export call on a live instance, guarded.
template <typename Instance>
void BM_WarmExportCall(benchmark::State& state, const Probe<Instance>* probe) {
  init_modules();
  Instance instance{};
  if (call_guarded([&] { probe->instantiate(&instance); }) != TrapCode::None) return state.SkipWithError("instantiate");
  for (auto _ : state) {
    u32 value = 0;
    call_guarded([&] { value = probe->load(&instance, 16); });
    benchmark::DoNotOptimize(value);
  }
  probe->free(&instance);
}
BENCHMARK_CAPTURE(BM_WarmExportCall, guard_pages, &kGuardProbe);
BENCHMARK_CAPTURE(BM_WarmExportCall, explicit_checks, &kExplicitProbe);

// 16,384 i32 loads in a loop: what explicit bounds checks cost in generated
// code, against free loads on guard pages.
template <typename Instance>
void BM_SumLoop64KiB(benchmark::State& state, const Probe<Instance>* probe) {
  init_modules();
  Instance instance{};
  if (call_guarded([&] { probe->instantiate(&instance); }) != TrapCode::None) return state.SkipWithError("instantiate");
  for (auto _ : state) {
    u32 value = 0;
    call_guarded([&] { value = probe->sum(&instance, 65536); });
    benchmark::DoNotOptimize(value);
  }
  probe->free(&instance);
}
BENCHMARK_CAPTURE(BM_SumLoop64KiB, guard_pages, &kGuardProbe);
BENCHMARK_CAPTURE(BM_SumLoop64KiB, explicit_checks, &kExplicitProbe);

}  // namespace
}  // namespace kiln::rt

BENCHMARK_MAIN();
