// The artifact cache and loader: a cached module starts no compiler, a
// corrupted artifact is detected and rebuilt, artifacts with the same import
// and export names coexist, modules the C writer cannot translate run on the
// interpreter (or are refused when AOT is forced).
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "backends/aot/aot_backend.h"
#include "backends/aot/artifact_cache.h"
#include "backends/aot/c_compiler.h"
#include "kiln/instance.h"
#include "kiln/linker.h"
#include "kiln/module.h"
#include "kiln/store.h"
#include "tests/aot_test_support.h"
#include "tests/test_support.h"
#include "wasm/wat_parser.h"

namespace kiln {
namespace {

namespace fs = std::filesystem;
using backends::aot::ArtifactCache;
using backends::aot::compiler_invocations;

std::vector<uint8_t> wat(const std::string& text) {
  auto bytes = wasm::wat_to_wasm(text, "test.wat");
  if (!bytes.ok()) throw std::runtime_error(bytes.error().message);
  return std::move(bytes).value();
}

const char* kAnswer = R"((module (func (export "answer") (result i32) (i32.const 42))))";

TEST(AotCache, SecondLoadStartsNoCompiler) {
  std::string dir = test::fresh_cache_dir("second");
  auto bytes = wat(kAnswer);
  uint64_t before = compiler_invocations();
  {
    Engine engine = test::make_engine(BackendKind::Aot, dir);
    auto module = Module::compile(engine, bytes, "answer.wasm");
    ASSERT_TRUE(module.ok()) << module.error().message;
  }
  uint64_t after_first = compiler_invocations();
  EXPECT_GT(after_first, before) << "the first load compiles";
  // A new engine (a new backend, as in a new process) on the same cache.
  Engine engine = test::make_engine(BackendKind::Aot, dir);
  auto module = Module::compile(engine, bytes, "answer.wasm");
  ASSERT_TRUE(module.ok()) << module.error().message;
  EXPECT_EQ(compiler_invocations(), after_first) << "a cached module starts no compiler";
  Store store(engine);
  auto instance = store.instantiate(*module, Linker());
  ASSERT_TRUE(instance.ok()) << instance.error().message;
  CallResult result = instance->call("answer", {});
  ASSERT_TRUE(result.returned());
  EXPECT_EQ(result.values.at(0).i32, 42u);
  fs::remove_all(dir);
}

TEST(AotCache, CorruptedArtifactIsDetectedAndRebuilt) {
  std::string dir = test::fresh_cache_dir("corrupt");
  ArtifactCache cache(dir);
  auto bytes = wat(R"((module (func (export "seven") (result i32) (i32.const 7))))");
  auto built = cache.get_or_build(bytes, "seven.wasm");
  ASSERT_TRUE(built.ok()) << built.error().message;
  EXPECT_TRUE(built->built);
  auto key = cache.key_for(bytes);
  ASSERT_TRUE(key.ok());
  ASSERT_TRUE(cache.find(*key).has_value());

  {  // flip bytes in the middle of the shared object
    std::fstream file(built->so_path, std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(static_cast<std::streamoff>(fs::file_size(built->so_path) / 2));
    file.write("\xde\xad\xbe\xef", 4);
  }
  EXPECT_FALSE(cache.find(*key).has_value()) << "the hash check catches the corruption";
  EXPECT_FALSE(fs::exists(built->so_path)) << "the corrupted artifact is removed";

  uint64_t before = compiler_invocations();
  auto rebuilt = cache.get_or_build(bytes, "seven.wasm");
  ASSERT_TRUE(rebuilt.ok()) << rebuilt.error().message;
  EXPECT_TRUE(rebuilt->built);
  EXPECT_EQ(compiler_invocations(), before + 1);
  EXPECT_TRUE(cache.find(*key).has_value());
  fs::remove_all(dir);
}

TEST(AotCache, TruncatedMetadataIsRebuilt) {
  std::string dir = test::fresh_cache_dir("meta");
  ArtifactCache cache(dir);
  auto bytes = wat(R"((module (func (export "eight") (result i32) (i32.const 8))))");
  auto built = cache.get_or_build(bytes, "eight.wasm");
  ASSERT_TRUE(built.ok()) << built.error().message;
  std::string json = built->so_path.substr(0, built->so_path.size() - 3) + ".json";
  std::ofstream(json, std::ios::trunc) << "{";
  auto again = cache.get_or_build(bytes, "eight.wasm");
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_TRUE(again->built);
  fs::remove_all(dir);
}

// Both modules import env.f and export "run" and "memory": inside one
// process each artifact keeps its own symbols, and each instance its own
// host function.
TEST(AotLoader, ModulesWithIdenticalNamesCoexist) {
  Engine engine = test::make_engine(BackendKind::Aot);
  const char* shape = R"((module
      (import "env" "f" (func $f (param i32) (result i32)))
      (memory (export "memory") 1)
      (func (export "run") (param i32) (result i32)
        (i32.add (call $f (local.get 0)) (i32.const %d))))
  )";
  char first[512], second[512];
  std::snprintf(first, sizeof first, shape, 1000);
  std::snprintf(second, sizeof second, shape, 2000);
  auto a = Module::compile(engine, wat(first), "a.wasm");
  auto b = Module::compile(engine, wat(second), "b.wasm");
  ASSERT_TRUE(a.ok()) << a.error().message;
  ASSERT_TRUE(b.ok()) << b.error().message;

  auto linker_with = [](int32_t factor) {
    Linker linker;
    linker.define("env", "f",
                  HostFunc{FuncType{{ValType::I32}, {ValType::I32}},
                           [factor](HostContext&, std::span<const Value> args, std::span<Value> results) {
                             results[0] = Value::from_i32(static_cast<int32_t>(args[0].i32) * factor);
                             return HostResult::ok();
                           }});
    return linker;
  };
  Store store(engine);
  auto ia = store.instantiate(*a, linker_with(2));
  auto ib = store.instantiate(*b, linker_with(3));
  ASSERT_TRUE(ia.ok()) << ia.error().message;
  ASSERT_TRUE(ib.ok()) << ib.error().message;
  CallResult ra = ia->call("run", std::vector<Value>{Value::from_i32(5)});
  CallResult rb = ib->call("run", std::vector<Value>{Value::from_i32(5)});
  ASSERT_TRUE(ra.returned() && rb.returned());
  EXPECT_EQ(ra.values[0].i32, 1010u);
  EXPECT_EQ(rb.values[0].i32, 2015u);
}

const char* kSimd = R"((module
  (func (export "lanes") (result i32)
    (i32x4.extract_lane 2 (v128.const i32x4 1 2 3 4)))))";

TEST(AotFallback, SimdModuleRunsOnTheInterpreter) {
  Engine engine = test::make_engine(BackendKind::Aot);
  auto module = Module::compile(engine, wat(kSimd), "simd.wasm");
  ASSERT_TRUE(module.ok()) << module.error().message;
  EXPECT_TRUE(backends::is_interp_fallback(module->backend_module()));
  Store store(engine);
  auto instance = store.instantiate(*module, Linker());
  ASSERT_TRUE(instance.ok()) << instance.error().message;
  CallResult result = instance->call("lanes", {});
  ASSERT_TRUE(result.returned());
  EXPECT_EQ(result.values[0].i32, 3u);
  EXPECT_GT(result.fuel_used, 0u) << "fuel is still metered through the mirrored fuel global";
}

// v128 locals alone: the C writer cannot declare one, but one that no
// instruction touches needs no C, so only a touched one keeps the module on
// the interpreter (and the wasm2c abort never happens).
TEST(AotFallback, OnlyTouchedV128LocalsNeedTheInterpreter) {
  Engine engine = test::make_engine(BackendKind::Aot);
  auto untouched = Module::compile(engine, wat(R"((module
    (func (export "f") (param i64) (result i64) (local f64 v128 v128) (local.get 0))))"),
                                   "untouched.wasm");
  ASSERT_TRUE(untouched.ok()) << untouched.error().message;
  EXPECT_FALSE(backends::is_interp_fallback(untouched->backend_module()));
  Store store(engine);
  auto instance = store.instantiate(*untouched, Linker());
  ASSERT_TRUE(instance.ok()) << instance.error().message;
  CallResult result = instance->call("f", std::vector<Value>{Value::from_i64(-9)});
  ASSERT_TRUE(result.returned());
  EXPECT_EQ(static_cast<int64_t>(result.values.at(0).i64), -9);

  auto touched = Module::compile(engine, wat(R"((module
    (func (export "f") (param i64) (result i64) (local v128)
      (local.set 1 (local.get 1)) (local.get 0))))"),
                                 "touched.wasm");
  ASSERT_TRUE(touched.ok()) << touched.error().message;
  EXPECT_TRUE(backends::is_interp_fallback(touched->backend_module()));
}

TEST(AotFallback, SimdModuleIsRefusedWhenAotIsForced) {
  Engine engine = test::make_engine(BackendKind::Aot, test::aot_test_cache_dir(), /*fallback=*/false);
  auto module = Module::compile(engine, wat(kSimd), "simd.wasm");
  ASSERT_FALSE(module.ok());
  EXPECT_NE(module.error().message.find("SIMD"), std::string::npos) << module.error().message;
  EXPECT_EQ(module.error().message.find('\n'), std::string::npos) << "one line";
  // Unsupported, not invalid: the interpreter runs it. The reason names the
  // module; the CLI's hint is not glued on.
  EXPECT_EQ(module.error().kind, ErrorKind::Unsupported);
  EXPECT_EQ(module.error().message.rfind("simd.wasm: ", 0), 0u) << module.error().message;
  EXPECT_EQ(module.error().message.find("--backend"), std::string::npos) << module.error().message;
}

TEST(AotCompiler, KilnCompileFillsTheCacheAndShowsProgress) {
  std::string dir = test::fresh_cache_dir("cc");
  // The compiler identity is taken once per process, so run a child kiln.
  auto result = test::run_kiln({"compile", "--cache-dir", dir, test::guest_path("trap_kinds")});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find("compiled"), std::string::npos) << result.out;
  auto again = test::run_kiln({"compile", "--cache-dir", dir, test::guest_path("trap_kinds")});
  EXPECT_NE(again.out.find("cached"), std::string::npos) << again.out;
  fs::remove_all(dir);
}

// `kiln compile` prints the artifact's size (issue 11, item 9), and a
// one-function module's artifact stays small: stripped, no padding page
// between its segments.
TEST(AotCompiler, KilnCompilePrintsTheArtifactsSizeAndATinyOneIsSmall) {
  std::string dir = test::fresh_cache_dir("size");
  const std::string module = dir + "/add_one.wasm";
  auto bytes = wat(R"((module (func (export "add_one") (param i32) (result i32) local.get 0 i32.const 1 i32.add)))");
  std::ofstream(module, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()),
                                                 static_cast<std::streamsize>(bytes.size()));
  auto result = test::run_kiln({"compile", "--cache-dir", dir, module});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  // "[1/1] PATH: compiled (0.85 s, 10216 bytes, ARTIFACT)"
  auto comma = result.out.find(" s, ");
  ASSERT_NE(comma, std::string::npos) << result.out;
  const uint64_t printed = std::stoull(result.out.substr(comma + 4));
  auto at = result.out.find("bytes, ");
  ASSERT_NE(at, std::string::npos) << result.out;
  std::string artifact = result.out.substr(at + 7);
  artifact = artifact.substr(0, artifact.find(')'));
  EXPECT_EQ(printed, fs::file_size(artifact)) << result.out;
  EXPECT_LT(printed, 16u * 1024) << result.out;
  fs::remove_all(dir);
}

TEST(AotCompiler, MissingCompilerIsAClearError) {
  std::string dir = test::fresh_cache_dir("nocc");
  ::setenv("CC", "/nonexistent/kiln-test-cc", 1);
  auto result = test::run_kiln({"compile", "--cache-dir", dir, test::guest_path("trap_kinds")});
  ::unsetenv("CC");
  EXPECT_NE(result.exit_code, 0);
  EXPECT_NE(result.err.find("C compiler"), std::string::npos) << result.err;
  EXPECT_EQ(std::count(result.err.begin(), result.err.end(), '\n'), 1) << result.err;
  fs::remove_all(dir);
}

// ---- eviction ---------------------------------------------------------------

std::vector<uint8_t> tiny_module(int n) {
  return wat("(module (func (export \"n\") (result i32) (i32.const " + std::to_string(n) + ")))");
}

std::string metadata_of(const std::string& so_path) { return so_path.substr(0, so_path.size() - 3) + ".json"; }

bool stored(const std::string& so_path) { return fs::exists(so_path) && fs::exists(metadata_of(so_path)); }
bool gone(const std::string& so_path) { return !fs::exists(so_path) && !fs::exists(metadata_of(so_path)); }

// Artifacts built into `cache`, their last use set explicitly (oldest
// first), so the order does not depend on the clock's resolution.
struct Filled {
  std::vector<std::string> so_paths;
  std::vector<uint64_t> bytes;
};

Filled fill(const ArtifactCache& cache, int first, int count) {
  Filled out;
  auto now = fs::file_time_type::clock::now();
  for (int i = 0; i < count; ++i) {
    auto built = cache.get_or_build(tiny_module(first + i), "tiny.wasm");
    if (!built.ok()) throw std::runtime_error(built.error().message);
    out.so_paths.push_back(built->so_path);
    out.bytes.push_back(fs::file_size(built->so_path) + fs::file_size(metadata_of(built->so_path)));
    fs::last_write_time(metadata_of(built->so_path), now - std::chrono::hours(count - i));
  }
  return out;
}

TEST(AotCacheEviction, LeastRecentlyUsedArtifactsGoFirst) {
  std::string dir = test::fresh_cache_dir("evict");
  ArtifactCache unlimited(dir, /*max_bytes=*/0);
  Filled old = fill(unlimited, 1000, 5);
  // A hit is a use: artifact 0, the oldest, becomes the most recent.
  auto key0 = unlimited.key_for(tiny_module(1000));
  ASSERT_TRUE(key0.ok());
  ASSERT_TRUE(unlimited.find(*key0).has_value());

  // Room for three: the one the build adds, artifact 0 and artifact 4. The
  // slack covers the new artifact differing from the others by a few bytes.
  uint64_t largest = *std::max_element(old.bytes.begin(), old.bytes.end());
  uint64_t smallest = *std::min_element(old.bytes.begin(), old.bytes.end());
  ArtifactCache capped(dir, old.bytes[0] + old.bytes[4] + largest + smallest / 2);
  auto added = capped.get_or_build(tiny_module(2000), "tiny.wasm");
  ASSERT_TRUE(added.ok()) << added.error().message;
  EXPECT_TRUE(added->built);
  EXPECT_TRUE(stored(added->so_path)) << "the artifact just built is kept";
  EXPECT_TRUE(stored(old.so_paths[0])) << "recently used";
  EXPECT_TRUE(stored(old.so_paths[4])) << "recently built";
  for (int i : {1, 2, 3}) EXPECT_TRUE(gone(old.so_paths[i])) << "least recently used: " << i;

  // An evicted module is rebuilt on its next load, and loads.
  uint64_t before = compiler_invocations();
  auto again = capped.get_or_build(tiny_module(1001), "tiny.wasm");
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_TRUE(again->built);
  EXPECT_EQ(compiler_invocations(), before + 1);
  EXPECT_TRUE(stored(again->so_path));
  fs::remove_all(dir);
}

TEST(AotCacheEviction, AnArtifactBeingLoadedIsNotEvicted) {
  std::string dir = test::fresh_cache_dir("pin");
  ArtifactCache unlimited(dir, /*max_bytes=*/0);
  Filled old = fill(unlimited, 3000, 2);
  auto key0 = unlimited.key_for(tiny_module(3000));
  ASSERT_TRUE(key0.ok());
  {
    // Between find() and dlopen, as the aot backend holds it.
    auto loading = unlimited.find(*key0);
    ASSERT_TRUE(loading.has_value());
    fs::last_write_time(metadata_of(old.so_paths[0]), fs::file_time_type::clock::now() - std::chrono::hours(9));
    ArtifactCache tiny(dir, /*max_bytes=*/1);
    auto added = tiny.get_or_build(tiny_module(3100), "tiny.wasm");
    ASSERT_TRUE(added.ok()) << added.error().message;
    EXPECT_TRUE(stored(old.so_paths[0])) << "the oldest, but held by a loader";
    EXPECT_TRUE(gone(old.so_paths[1]));
    EXPECT_TRUE(stored(added->so_path));
  }
  // Released: the next pass takes it (and everything else: 1 byte fits nothing).
  EXPECT_EQ(ArtifactCache(dir, 1).prune(), 2u);
  EXPECT_TRUE(gone(old.so_paths[0]));
  fs::remove_all(dir);
}

TEST(AotCacheEviction, CapComesFromTheConstructorOrTheEnvironment) {
  std::string dir = test::fresh_cache_dir("cap");
  ::unsetenv("KILN_CACHE_MAX_BYTES");
  EXPECT_EQ(ArtifactCache(dir).max_bytes(), ArtifactCache::kDefaultMaxBytes);
  EXPECT_EQ(ArtifactCache::kDefaultMaxBytes, uint64_t{1} << 30);
  ::setenv("KILN_CACHE_MAX_BYTES", "12345", 1);
  EXPECT_EQ(ArtifactCache(dir).max_bytes(), 12345u);
  ::setenv("KILN_CACHE_MAX_BYTES", "64M", 1);
  EXPECT_EQ(ArtifactCache(dir).max_bytes(), uint64_t{64} << 20);
  ::setenv("KILN_CACHE_MAX_BYTES", "2GiB", 1);
  EXPECT_EQ(ArtifactCache(dir).max_bytes(), uint64_t{2} << 30);
  ::setenv("KILN_CACHE_MAX_BYTES", "0", 1);
  EXPECT_EQ(ArtifactCache(dir).max_bytes(), 0u) << "0: no cap";
  ::setenv("KILN_CACHE_MAX_BYTES", "lots", 1);
  EXPECT_EQ(ArtifactCache(dir).max_bytes(), ArtifactCache::kDefaultMaxBytes) << "unreadable: the default";
  ::setenv("KILN_CACHE_MAX_BYTES", "-5", 1);
  EXPECT_EQ(ArtifactCache(dir).max_bytes(), ArtifactCache::kDefaultMaxBytes);
  EXPECT_EQ(ArtifactCache(dir, 777).max_bytes(), 777u) << "the constructor's wins";
  ::unsetenv("KILN_CACHE_MAX_BYTES");
  fs::remove_all(dir);
}

}  // namespace
}  // namespace kiln
