// The function-type registry: equal signatures get equal ids, from any
// thread, through the C++ API and wasm2c's varargs C API alike.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <thread>
#include <vector>

#include "rt/func_types.h"
#include "rt/wasm-rt.h"

namespace kiln::rt {
namespace {

TEST(RtFuncTypes, EqualSignaturesShareAnId) {
  uint32_t a = wasm_rt_register_func_type(2, 1, WASM_RT_I32, WASM_RT_F32, WASM_RT_I64);
  uint32_t b = wasm_rt_register_func_type(2, 1, WASM_RT_I32, WASM_RT_F32, WASM_RT_I64);
  std::array params{WASM_RT_I32, WASM_RT_F32};
  std::array results{WASM_RT_I64};
  EXPECT_EQ(a, b);
  EXPECT_EQ(register_func_type(params, results), a);
  const wasm_rt_type_t types[] = {WASM_RT_I32, WASM_RT_F32, WASM_RT_I64};
  EXPECT_EQ(kiln_rt_register_func_type(2, 1, types), a);
  EXPECT_NE(a, 0u) << "0 is the null funcref's type";
}

TEST(RtFuncTypes, DifferentSignaturesGetDifferentIds) {
  uint32_t takes_i32 = wasm_rt_register_func_type(1, 0, WASM_RT_I32);
  uint32_t returns_i32 = wasm_rt_register_func_type(0, 1, WASM_RT_I32);
  uint32_t nothing = wasm_rt_register_func_type(0, 0);
  uint32_t takes_f64 = wasm_rt_register_func_type(1, 0, WASM_RT_F64);
  uint32_t takes_refs = wasm_rt_register_func_type(2, 0, WASM_RT_FUNCREF, WASM_RT_EXTERNREF);
  std::vector<uint32_t> ids{takes_i32, returns_i32, nothing, takes_f64, takes_refs};
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(std::adjacent_find(ids.begin(), ids.end()), ids.end());
}

// Eight threads register the same 64 signatures in different orders, as
// modules initialised concurrently would; all must agree on every id.
TEST(RtFuncTypes, ThreadsAgreeOnIds) {
  constexpr int kThreads = 8;
  constexpr int kSignatures = 64;
  auto signature = [](int n) {
    std::vector<wasm_rt_type_t> params;
    for (int bit = 0; bit < 6; ++bit) params.push_back((n >> bit) & 1 ? WASM_RT_I64 : WASM_RT_F32);
    return params;
  };
  std::array<std::array<uint32_t, kSignatures>, kThreads> ids{};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kSignatures; ++i) {
        int n = (i * (2 * t + 1) + t) % kSignatures;  // a different order per thread
        std::vector<wasm_rt_type_t> params = signature(n);
        ids[t][n] = register_func_type(params, {});
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (int t = 1; t < kThreads; ++t) EXPECT_EQ(ids[t], ids[0]) << "thread " << t;
  std::array<uint32_t, kSignatures> sorted = ids[0];
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(std::adjacent_find(sorted.begin(), sorted.end()), sorted.end()) << "distinct signatures, distinct ids";
}

}  // namespace
}  // namespace kiln::rt
