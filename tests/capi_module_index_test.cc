// The module index (backends/aot/module_index.h), which lets libkiln.so
// find and link a module without decoding it: entries round-trip every
// field, a damaged entry is a miss (and is removed), and the full library
// records a module when it compiles it on the aot backend.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "backends/aot/artifact_cache.h"
#include "backends/aot/module_index.h"
#include "base/module_info_json.h"
#include "base/sha256.h"
#include "kiln/module.h"
#include "tests/aot_test_support.h"
#include "tests/test_support.h"

namespace kiln {
namespace {

using backends::aot::ModuleIndex;
using backends::aot::ModuleIndexEntry;

ModuleIndexEntry sample() {
  ModuleIndexEntry entry;
  entry.artifact_key = std::string(64, 'a');
  entry.link_order = {{"env", "tier_rate"}, {"kiln", "__kiln_fuel"}};
  ModuleInfo& info = entry.info;
  info.imports.push_back(ImportDesc{"env", "tier_rate", ExternKind::Func, "(i32) -> (i32)",
                                    FuncType{{ValType::I32}, {ValType::I32}}});
  info.imports.push_back(ImportDesc{"env", "mem", ExternKind::Memory, "memory 1..2", {}});
  info.exports.push_back(ExportDesc{"discount", ExternKind::Func, 3, "(i32, i32) -> (i64)",
                                    FuncType{{ValType::I32, ValType::I32}, {ValType::I64}}});
  info.exports.push_back(ExportDesc{"g", ExternKind::Global, 0, "global f64", {}});
  info.memories.push_back(MemoryDesc{Limits64{1, 2}, false, false, true});
  info.tables.push_back(TableDesc{ValType::ExternRef, Limits64{4, std::nullopt}, false});
  info.globals.push_back(GlobalDesc{ValType::F64, true, false});
  info.features.bulk_memory = true;
  info.features.multi_value = true;
  info.defined_functions = 5;
  info.size_bytes = 1234;
  info.has_start = true;
  return entry;
}

// The one ModuleInfo codec (base/module_info_json.h) that the index, `kiln
// inspect --json` and the registry share.
TEST(ModuleInfoJson, RoundTripsAndRefusesDamage) {
  const ModuleInfo info = sample().info;
  const std::string text = base::module_info_to_json(info);
  auto back = base::module_info_from_json(text);
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(base::module_info_to_json(*back), text);
  EXPECT_EQ(back->exports[0].func_type, info.exports[0].func_type);
  EXPECT_FALSE(back->tables[0].size.max.has_value());
  EXPECT_NE(text.find("\"features\":[\"bulk-memory\",\"multi-value\"]"), std::string::npos) << text;

  std::string damaged = text;
  damaged.replace(damaged.find("\"bulk-memory\""), 13, "\"bulk-memoir\"");
  auto refused = base::module_info_from_json(damaged);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().kind, ErrorKind::InvalidArgument);
  EXPECT_FALSE(base::module_info_from_json(std::string_view("{\"imports\": [")).ok());
}

TEST(ModuleIndex, EntriesRoundTripEveryField) {
  ModuleIndexEntry entry = sample();
  auto back = backends::aot::module_index_entry_from_json(to_json(entry));
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(to_json(*back), to_json(entry));
  EXPECT_EQ(back->link_order, entry.link_order);
  const ModuleInfo& info = back->info;
  ASSERT_EQ(info.exports.size(), 2u);
  EXPECT_EQ(info.exports[0].func_type, (FuncType{{ValType::I32, ValType::I32}, {ValType::I64}}));
  EXPECT_EQ(info.exports[0].index, 3u);
  EXPECT_EQ(info.imports[1].kind, ExternKind::Memory);
  EXPECT_EQ(info.memories[0].pages.max, std::optional<uint64_t>(2));
  EXPECT_TRUE(info.memories[0].imported);
  EXPECT_EQ(info.tables[0].element, ValType::ExternRef);
  EXPECT_FALSE(info.tables[0].size.max.has_value());
  EXPECT_TRUE(info.globals[0].is_mutable);
  EXPECT_EQ(info.features.names(), (std::vector<std::string>{"bulk-memory", "multi-value"}));
  EXPECT_TRUE(info.has_start);
  EXPECT_EQ(info.size_bytes, 1234u);
}

TEST(ModuleIndex, DamagedEntriesAreMissesAndAreRemoved) {
  std::string dir = test::fresh_cache_dir("index");
  ModuleIndex index(dir);
  const std::string sha(64, 'b');
  EXPECT_FALSE(index.find(sha).has_value());
  ASSERT_TRUE(index.store(sha, sample()).ok());
  ASSERT_TRUE(index.find(sha).has_value());

  const std::string path = index.dir() + "/" + sha + ".json";
  std::ofstream(path) << "{\"version\": 1, \"artifact_key\": ";  // cut short
  EXPECT_FALSE(index.find(sha).has_value());
  EXPECT_FALSE(std::filesystem::exists(path));

  std::string text = to_json(sample());
  text.replace(text.find("\"version\":2"), 11, "\"version\":99");
  std::ofstream(path) << text;
  EXPECT_FALSE(index.find(sha).has_value());

  auto neither = backends::aot::module_index_entry_from_json(to_json(ModuleIndexEntry{}));
  ASSERT_FALSE(neither.ok());
  EXPECT_NE(neither.error().message.find("exactly one of"), std::string::npos) << neither.error().message;
}

TEST(ModuleIndex, TheFullLibraryRecordsWhatItCompilesOnAot) {
  std::string dir = test::fresh_cache_dir("index-engine");
  EngineConfig config;
  config.backend = BackendKind::Aot;
  config.cache_dir = dir;
  auto engine = Engine::create(config);
  ASSERT_TRUE(engine.ok());
  auto bytes = test::read_file(test::guest_path("capi_host_calls"));
  auto module = Module::compile(*engine, bytes, "capi_host_calls.wasm");
  ASSERT_TRUE(module.ok()) << module.error().message;

  backends::aot::ArtifactCache cache(dir);
  auto entry = ModuleIndex(cache.dir()).find(base::sha256_hex(bytes));
  ASSERT_TRUE(entry.has_value());
  EXPECT_TRUE(entry->interp_only_reason.empty());
  EXPECT_TRUE(cache.find(entry->artifact_key).has_value());
  // The guest's ModuleInfo as the decoder saw it, field for field.
  EXPECT_EQ(to_json(ModuleIndexEntry{"", "x", entry->info, {}}), to_json(ModuleIndexEntry{"", "x", module->info(), {}}));
  // The guest's eight imports, then kiln's two fuel imports.
  ASSERT_EQ(entry->link_order.size(), 10u);
  EXPECT_EQ(entry->link_order[0], (std::pair<std::string, std::string>{"host", "nothing"}));
  EXPECT_EQ(entry->link_order.back().first, "kiln");
}

}  // namespace
}  // namespace kiln
