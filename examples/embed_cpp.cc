// Embedding kiln in a C++ program: the hot-path shape. The module is
// compiled once, its imports resolved once (InstancePre), and each request
// leases a ready instance from a pool, calls it through a typed handle and
// gives it back, reset for the next tenant.
//
//   embed_cpp checkout_discount.wasm [aot|interp]
#include <cstdio>
#include <string_view>

#include "kiln/wasi.h"
#include "kiln/engine.h"
#include "kiln/instance_pool.h"
#include "kiln/instance_pre.h"
#include "kiln/linker.h"
#include "kiln/module.h"
#include "kiln/store.h"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: embed_cpp checkout_discount.wasm [aot|interp]\n");
    return 2;
  }
  kiln::EngineConfig config;
  config.backend = argc > 2 && std::string_view(argv[2]) == "interp" ? kiln::BackendKind::Interp : kiln::BackendKind::Aot;
  auto engine = kiln::Engine::create(config);
  if (!engine) return std::fprintf(stderr, "embed_cpp: %s\n", engine.error().message.c_str()), 1;
  auto module = kiln::Module::from_file(*engine, argv[1]);
  if (!module) return std::fprintf(stderr, "embed_cpp: %s\n", module.error().message.c_str()), 1;

  // Host functions are defined once and serve every instance.
  kiln::Linker linker;
  kiln::host::add_wasi(linker);
  linker.define("env", "tier_rate",
                kiln::HostFunc{kiln::FuncType{{kiln::ValType::I32}, {kiln::ValType::I32}},
                               [](kiln::HostContext&, std::span<const kiln::Value> args, std::span<kiln::Value> results) {
                                 results[0] = kiln::Value::from_i32(static_cast<int32_t>(args[0].i32) * 5);
                                 return kiln::HostResult::ok();
                               }});

  auto pre = kiln::InstancePre::create(*module, linker);
  if (!pre) return std::fprintf(stderr, "embed_cpp: %s\n", pre.error().message.c_str()), 1;
  kiln::InstancePoolConfig pool_config;
  pool_config.max_instances = 4;
  pool_config.limits.fuel = 1'000'000;
  // Each lease gets its own WASI context; it is dropped on release.
  pool_config.on_acquire = [](kiln::Store& store) {
    kiln::host::attach_wasi(store, std::make_shared<kiln::host::WasiContext>(kiln::host::WasiConfig{}));
  };
  auto pool = kiln::InstancePool::create(std::move(*pre), pool_config);

  for (int request = 0; request < 3; ++request) {
    auto lease = pool->acquire();
    if (!lease) return std::fprintf(stderr, "embed_cpp: %s\n", lease.error().message.c_str()), 1;
    // Resolved once per lease here; a real host keeps it per instance.
    auto remember = lease->instance().typed<int32_t(int32_t)>("remember");
    auto add_one = lease->instance().typed<int32_t(int32_t)>("add_one");
    if (!remember || !add_one) return std::fprintf(stderr, "embed_cpp: missing export\n"), 1;
    // Every lease starts from a fresh instance: what the previous request
    // left behind is gone.
    auto previous = remember->call(100 + request);
    auto next = add_one->call(41 + request);
    if (!previous.returned() || !next.returned()) return std::fprintf(stderr, "embed_cpp: call failed\n"), 1;
    std::printf("request %d: remembered before %d, add_one %d, fuel %llu\n", request, previous.value, next.value,
                static_cast<unsigned long long>(next.fuel_used));
  }
  auto stats = pool->stats();
  std::printf("pool: created %llu, reused %llu\n", static_cast<unsigned long long>(stats.created),
              static_cast<unsigned long long>(stats.reused));
  return 0;
}
