// The extension platform end to end on real SQLite files and real guests
// compiled from C: deploy → exec → redeploy → rollback → disable, contract
// violations, scopes, limits, logs, input and output errors.
#include <sqlite3.h>

#include <rapidjson/document.h>

#include "platform_test_support.h"

namespace kiln::test {
namespace {

using execute::ExecStatus;

TEST_F(PlatformTest, DeployExecRedeployRollbackDisable) {
  create_ep(behave_extension_point());
  auto v1 = deploy("platform_v1", "*");
  ASSERT_TRUE(v1) << v1.error().message;
  EXPECT_EQ(v1->extension.version, 1);
  EXPECT_EQ(v1->module.backend, BackendKind::Aot);

  auto first = exec("{}");
  ASSERT_EQ(first.status, ExecStatus::Ok) << (first.error ? first.error->message : "");
  EXPECT_EQ(first.output, R"({"result":1})");
  EXPECT_EQ(first.extension, "ext");
  EXPECT_EQ(first.version, 1);
  EXPECT_EQ(first.matched_scope, "*");
  EXPECT_GT(first.fuel_used, 0u);
  EXPECT_EQ(first.fuel_limit, 5000000u + 10000u);  // one KiB (rounded up) of input
  EXPECT_GT(first.memory_peak_bytes, 0u);
  EXPECT_EQ(first.module_size, v1->module.size);

  auto v2 = deploy("platform_v2", "*");
  ASSERT_TRUE(v2) << v2.error().message;
  EXPECT_EQ(v2->extension.version, 2);
  EXPECT_EQ(exec("{}").output, R"({"result":2})");

  auto back = registry_->rollback("test.behave", "*", "", std::nullopt, "tester");
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->version, 1);
  auto after_rollback = exec("{}");
  EXPECT_EQ(after_rollback.output, R"({"result":1})");
  EXPECT_EQ(after_rollback.version, 1);

  auto forward = registry_->rollback("test.behave", "*", "ext", 2, "tester");
  ASSERT_TRUE(forward) << forward.error().message;
  EXPECT_EQ(exec("{}").version, 2);

  ASSERT_TRUE(registry_->set_enabled("test.behave", "*", "", false, "tester"));
  EXPECT_EQ(exec("{}").status, ExecStatus::NotRun);
  ASSERT_TRUE(registry_->set_enabled("test.behave", "*", "", true, "tester"));
  EXPECT_EQ(exec("{}").output, R"({"result":2})");

  auto history = registry_->history("test.behave", "*", "ext");
  ASSERT_TRUE(history);
  ASSERT_EQ(history->size(), 2u);
  EXPECT_EQ((*history)[0].version, 2);
  EXPECT_EQ((*history)[0].deployed_by, "tester");
}

TEST_F(PlatformTest, RollbackWithoutAnEarlierVersionSaysSo) {
  create_ep(behave_extension_point());
  ASSERT_TRUE(deploy("platform_v1", "*"));
  auto back = registry_->rollback("test.behave", "*", "", std::nullopt, "tester");
  ASSERT_FALSE(back);
  EXPECT_EQ(back.error().kind, ErrorKind::NotFound);
  EXPECT_NE(back.error().message.find("no version before 1"), std::string::npos) << back.error().message;
  auto missing = registry_->rollback("test.behave", "shop-9", "", std::nullopt, "tester");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().kind, ErrorKind::NotFound);
}

TEST_F(PlatformTest, ScopeBindingReplacesTheWildcardAndNothingBoundIsNotRun) {
  create_ep(behave_extension_point());
  EXPECT_EQ(exec("{}").status, ExecStatus::NotRun);
  auto unknown = exec("{}", "shop-1", "no.such.point");
  EXPECT_EQ(unknown.status, ExecStatus::Error);
  ASSERT_TRUE(unknown.error);
  EXPECT_EQ(unknown.error->kind, ErrorKind::NotFound);

  ASSERT_TRUE(deploy("platform_v2", "shop-2"));
  EXPECT_EQ(exec("{}", "shop-1").status, ExecStatus::NotRun);
  EXPECT_EQ(exec("{}", "shop-2").output, R"({"result":2})");

  ASSERT_TRUE(deploy("platform_v1", "*"));
  auto general = exec("{}", "shop-1");
  EXPECT_EQ(general.output, R"({"result":1})");
  EXPECT_EQ(general.matched_scope, "*");
  auto specific = exec("{}", "shop-2");
  EXPECT_EQ(specific.output, R"({"result":2})");
  EXPECT_EQ(specific.matched_scope, "shop-2");
}

TEST_F(PlatformTest, HigherPriorityRunsWhenAScopeHasSeveralExtensions) {
  create_ep(behave_extension_point());
  ASSERT_TRUE(deploy("platform_v1", "*", "low", "", "test.behave", 1));
  ASSERT_TRUE(deploy("platform_v2", "*", "high", "", "test.behave", 5));
  EXPECT_EQ(exec("{}").extension, "high");
  auto ambiguous = registry_->rollback("test.behave", "*", "", std::nullopt, "tester");
  ASSERT_FALSE(ambiguous);
  EXPECT_NE(ambiguous.error().message.find("--extension"), std::string::npos);
}

TEST_F(PlatformTest, ConfigArrivesAsTheInputsConfigMember) {
  create_ep(behave_extension_point());
  ASSERT_TRUE(deploy("platform_behave", "*", "ext", R"( { "greeting" : "hi" } )"));
  auto result = exec(R"({"mode":"echo", "n": 1} )");
  ASSERT_EQ(result.status, ExecStatus::Ok) << (result.error ? result.error->message : "");
  rapidjson::Document doc;
  doc.Parse(result.output.c_str());
  ASSERT_FALSE(doc.HasParseError()) << result.output;
  EXPECT_EQ(doc["n"].GetInt(), 1);
  EXPECT_STREQ(doc["config"]["greeting"].GetString(), "hi");
  EXPECT_EQ(result.log, "echo: " + std::to_string(result.output.size()) + " bytes\n");

  auto empty = exec(R"({ })");
  // Not echo mode: the guest answers {"result":1}; the input it saw was {"config":...}.
  EXPECT_EQ(empty.status, ExecStatus::Ok);
}

TEST_F(PlatformTest, ContractViolationsAreNamed) {
  create_ep(behave_extension_point());
  auto forbidden = deploy("platform_fopen", "*");
  ASSERT_FALSE(forbidden);
  EXPECT_EQ(forbidden.error().kind, ErrorKind::Contract);
  EXPECT_NE(forbidden.error().message.find("wasi_snapshot_preview1.path_open"), std::string::npos)
      << forbidden.error().message;

  auto no_start = deploy("platform_no_start", "*");
  ASSERT_FALSE(no_start);
  EXPECT_EQ(no_start.error().kind, ErrorKind::Contract);
  EXPECT_NE(no_start.error().message.find("does not export _start"), std::string::npos) << no_start.error().message;

  auto bad_start = deploy("platform_bad_start", "*");
  ASSERT_FALSE(bad_start);
  EXPECT_EQ(bad_start.error().kind, ErrorKind::Contract);
  EXPECT_NE(bad_start.error().message.find("(i32) -> ()"), std::string::npos) << bad_start.error().message;

  auto bad_config = deploy("platform_v1", "*", "ext", R"({"greeting": 5})");
  ASSERT_FALSE(bad_config);
  EXPECT_EQ(bad_config.error().kind, ErrorKind::InvalidConfig);
  EXPECT_EQ(bad_config.error().where.json_pointer, "/greeting");

  auto not_json = deploy("platform_v1", "*", "ext", R"({"greeting": )");
  ASSERT_FALSE(not_json);
  EXPECT_EQ(not_json.error().kind, ErrorKind::InvalidConfig);

  auto no_ep = deploy("platform_v1", "*", "ext", "", "no.such.point");
  ASSERT_FALSE(no_ep);
  EXPECT_EQ(no_ep.error().kind, ErrorKind::NotFound);

  // Nothing of the refused deploys is live.
  auto live = registry_->list_extensions();
  ASSERT_TRUE(live);
  EXPECT_TRUE(live->empty());
}

TEST_F(PlatformTest, ModuleAotCannotRunIsRecordedAndRunsOnTheInterpreter) {
  create_ep(behave_extension_point());
  auto simd = deploy("platform_simd", "*");
  ASSERT_TRUE(simd) << simd.error().message;
  EXPECT_EQ(simd->module.backend, BackendKind::Interp);
  EXPECT_NE(simd->module.interp_reason.find("SIMD"), std::string::npos) << simd->module.interp_reason;
  EXPECT_EQ(simd->extension.module.backend, "interp");
  EXPECT_EQ(simd->extension.module.interp_reason, simd->module.interp_reason);
  auto result = exec("{}");
  ASSERT_EQ(result.status, ExecStatus::Ok) << (result.error ? result.error->message : "");
  EXPECT_EQ(result.output, R"({"result":1})");
  EXPECT_EQ(result.backend, "interp");
}

TEST_F(PlatformTest, ModuleOverTheSizeLimitIsRefusedBeforeDecoding) {
  auto ep = registry::parse_extension_point(
      R"({"name": "test.small", "input_schema": {}, "output_schema": {}, "limits": {"max_module": 1000}})", "small");
  ASSERT_TRUE(ep) << ep.error().message;
  ASSERT_TRUE(registry_->create_extension_point(*ep, "tester"));
  auto big = deploy("platform_v1", "*", "ext", "", "test.small");
  ASSERT_FALSE(big);
  EXPECT_EQ(big.error().kind, ErrorKind::Contract);
  EXPECT_NE(big.error().message.find("limit of 1000"), std::string::npos) << big.error().message;
}

TEST_F(PlatformTest, InputErrorsCarryPointers) {
  create_ep(behave_extension_point());
  ASSERT_TRUE(deploy("platform_behave", "*"));
  auto bad = exec(R"({"cart": {"lines": [{"quantity": 2}, {"quantity": 0}]}})");
  EXPECT_EQ(bad.status, ExecStatus::InvalidInput);
  ASSERT_TRUE(bad.error);
  EXPECT_EQ(bad.error->kind, ErrorKind::InvalidInput);
  EXPECT_EQ(bad.error->where.json_pointer, "/cart/lines/1/quantity");

  auto not_json = exec(R"({"cart": )");
  EXPECT_EQ(not_json.status, ExecStatus::InvalidInput);
  auto not_utf8 = exec("{\"name\": \"caf\xe9\"}");  // Latin-1, not UTF-8
  EXPECT_EQ(not_utf8.status, ExecStatus::InvalidInput);
  auto not_object = exec("[1, 2]");
  EXPECT_EQ(not_object.status, ExecStatus::InvalidInput);
  auto has_config = exec(R"({"config": {}})");
  EXPECT_EQ(has_config.status, ExecStatus::InvalidInput);
  EXPECT_EQ(has_config.error->where.json_pointer, "/config");
  std::string huge = R"({"pad": ")" + std::string(70000, 'x') + R"("})";
  auto too_big = exec(huge);
  EXPECT_EQ(too_big.status, ExecStatus::InvalidInput);
  EXPECT_NE(too_big.error->message.find("64000"), std::string::npos) << too_big.error->message;
}

TEST_F(PlatformTest, OutputErrorsCarryPointers) {
  create_ep(behave_extension_point());
  ASSERT_TRUE(deploy("platform_behave", "*"));
  auto badshape = exec(R"({"mode":"badshape"})");
  EXPECT_EQ(badshape.status, ExecStatus::InvalidOutput);
  ASSERT_TRUE(badshape.error);
  EXPECT_EQ(badshape.error->where.json_pointer, "/result");
  auto notjson = exec(R"({"mode":"notjson"})");
  EXPECT_EQ(notjson.status, ExecStatus::InvalidOutput);
  EXPECT_EQ(notjson.error->kind, ErrorKind::InvalidOutput);
  auto bigout = exec(R"({"mode":"bigout"})");
  EXPECT_EQ(bigout.status, ExecStatus::InvalidOutput);
  EXPECT_NE(bigout.error->message.find("20000"), std::string::npos) << bigout.error->message;
}

// Hostile nesting never reaches anything that recurses (the DOM, the
// validator): refused by depth, validation on or off, for input, output
// and config alike.
TEST_F(PlatformTest, DeepNestingIsRefusedNotRecursedInto) {
  create_ep(behave_extension_point());
  ASSERT_TRUE(deploy("platform_behave", "*"));
  std::string deep = R"({"pad": )" + std::string(30000, '[') + std::string(30000, ']') + "}";
  for (double rate : {1.0, 0.0}) {
    executor_.reset();
    execute::LocalExecutorConfig config;
    config.registry_path = registry_path();
    config.validate_input_override = rate;
    auto opened = execute::LocalExecutor::open(config);
    ASSERT_TRUE(opened) << opened.error().message;
    executor_ = std::move(*opened);
    auto result = exec(deep);
    EXPECT_EQ(result.status, ExecStatus::InvalidInput) << rate;
    ASSERT_TRUE(result.error);
    EXPECT_NE(result.error->message.find("nests deeper than 128 levels"), std::string::npos) << result.error->message;
  }
  auto output = exec(R"({"mode":"deep"})");
  EXPECT_EQ(output.status, ExecStatus::InvalidOutput);
  ASSERT_TRUE(output.error);
  EXPECT_NE(output.error->message.find("nests deeper"), std::string::npos) << output.error->message;

  std::string deep_config = R"({"greeting": )" + std::string(5000, '[') + std::string(5000, ']') + "}";
  auto config = deploy("platform_v1", "*", "ext", deep_config);
  ASSERT_FALSE(config);
  EXPECT_EQ(config.error().kind, ErrorKind::InvalidConfig);
  auto definition = registry::parse_extension_point(
      R"({"name": "a.b", "input_schema": )" + std::string(5000, '[') + std::string(5000, ']') + "}", "deep.json");
  ASSERT_FALSE(definition);
  EXPECT_EQ(definition.error().kind, ErrorKind::InvalidDefinition);
  EXPECT_EQ(exec("{}").status, ExecStatus::Ok);
}

TEST_F(PlatformTest, GuestFailuresHaveKindsOfTheirOwn) {
  create_ep(behave_extension_point());
  ASSERT_TRUE(deploy("platform_behave", "*"));
  auto exited = exec(R"({"mode":"exit3"})");
  EXPECT_EQ(exited.status, ExecStatus::ExtensionFailed);
  EXPECT_EQ(exited.exit_code, 3);
  EXPECT_EQ(exited.log, "giving up: bad cart\n");
  EXPECT_EQ(exited.error->kind, ErrorKind::ExtensionFailed);

  auto trapped = exec(R"({"mode":"trap"})");
  EXPECT_EQ(trapped.status, ExecStatus::Trapped);
  EXPECT_EQ(trapped.error->kind, ErrorKind::Trap);

  auto spun = exec(R"({"mode":"spin"})");
  EXPECT_EQ(spun.status, ExecStatus::OutOfFuel);
  EXPECT_EQ(spun.error->kind, ErrorKind::OutOfFuel);

  auto grown = exec(R"({"mode":"grow"})");
  ASSERT_EQ(grown.status, ExecStatus::Ok);
  EXPECT_EQ(grown.output, R"({"result":0})");  // 64 MiB is over the 16 MiB limit
  EXPECT_LE(grown.memory_peak_bytes, uint64_t{16} << 20);

  // The pool carries on after all of that.
  EXPECT_EQ(exec("{}").status, ExecStatus::Ok);
}

TEST_F(PlatformTest, TheTimeLimitStopsAGuestWithFuelToSpare) {
  create_ep(R"({"name": "test.slow", "input_schema": {}, "output_schema": {},
                "limits": {"fuel": 1000000000000, "timeout": "200ms"}})");
  ASSERT_TRUE(deploy("platform_behave", "*", "ext", "", "test.slow"));
  auto spun = exec(R"({"mode":"spin"})", "s", "test.slow");
  EXPECT_EQ(spun.status, ExecStatus::Deadline);
  ASSERT_TRUE(spun.error);
  EXPECT_EQ(spun.error->kind, ErrorKind::Deadline);
  EXPECT_EQ(spun.time_limit, std::chrono::milliseconds(200));
  EXPECT_EQ(exec("{}", "s", "test.slow").status, ExecStatus::Ok);
}

TEST_F(PlatformTest, FuelScalesWithInputSize) {
  create_ep(behave_extension_point());
  ASSERT_TRUE(deploy("platform_behave", "*"));
  std::string input = R"({"mode":"spin","pad":")" + std::string(10 * 1024, 'x') + R"("})";
  auto spun = exec(input);
  EXPECT_EQ(spun.status, ExecStatus::OutOfFuel);
  EXPECT_EQ(spun.fuel_limit, 5000000u + 10000u * 11u);  // 10 KiB and a bit: 11 KiB
  EXPECT_GE(spun.fuel_used, spun.fuel_limit);
}

TEST_F(PlatformTest, LogIsCutAtTheLimit) {
  create_ep(behave_extension_point());
  ASSERT_TRUE(deploy("platform_behave", "*"));
  auto chatty = exec(R"({"mode":"chatty"})");
  ASSERT_EQ(chatty.status, ExecStatus::Ok);
  EXPECT_EQ(chatty.log.size(), 1000u);
  EXPECT_TRUE(chatty.log_truncated);
  EXPECT_EQ(chatty.log.substr(0, 13), "log line 000:");
}

TEST_F(PlatformTest, EveryStageIsTimed) {
  create_ep(behave_extension_point());
  ASSERT_TRUE(deploy("platform_v1", "*"));
  for (int i = 0; i < 20; ++i) ASSERT_EQ(exec("{}").status, ExecStatus::Ok);
  auto result = exec("{}");
  using execute::Stage;
  for (Stage stage : {Stage::Lookup, Stage::ValidateInput, Stage::Serialize, Stage::Acquire, Stage::Run,
                      Stage::ReadOutput, Stage::ValidateOutput}) {
    EXPECT_GT(result.stage(stage).count(), 0) << execute::to_string(stage);
    EXPECT_LE(result.stage(stage), result.stage(Stage::Total)) << execute::to_string(stage);
  }
  auto stats = executor().stats();
  ASSERT_EQ(stats.size(), 1u);
  EXPECT_EQ(stats[0].extension_point, "test.behave");
  EXPECT_EQ(stats[0].stages[static_cast<int>(Stage::Total)].count, 21u);
  EXPECT_EQ(stats[0].by_status[static_cast<int>(ExecStatus::Ok)], 21u);
  EXPECT_GT(stats[0].stages[static_cast<int>(Stage::Run)].p50_ns, 0u);
}

TEST_F(PlatformTest, InputValidationFollowsTheSampleRate) {
  create_ep(behave_extension_point("test.sampled", R"(, "validate_input": 0.25)"));
  ASSERT_TRUE(deploy("platform_v1", "*", "ext", "", "test.sampled"));
  int validated = 0;
  for (int i = 0; i < 40; ++i) validated += exec("{}", "s", "test.sampled").input_validated ? 1 : 0;
  EXPECT_EQ(validated, 10);
  // Unsampled calls still refuse what is not a JSON object.
  EXPECT_EQ(exec("[]", "s", "test.sampled").status, ExecStatus::InvalidInput);
}

TEST_F(PlatformTest, RegistryKeepsExtensionPointVersions) {
  create_ep(behave_extension_point());
  auto again = registry::parse_extension_point(behave_extension_point(), "again");
  ASSERT_TRUE(again);
  auto duplicate = registry_->create_extension_point(*again, "tester");
  ASSERT_FALSE(duplicate);
  EXPECT_EQ(duplicate.error().kind, ErrorKind::AlreadyExists);
  EXPECT_NE(duplicate.error().message.find("already exists"), std::string::npos);
  auto v2 = registry_->update_extension_point(*again, "tester");
  ASSERT_TRUE(v2);
  EXPECT_EQ(*v2, 2);
  auto listed = registry_->list_extension_points();
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].version, 2);
  auto first = registry_->extension_point("test.behave", 1);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->version, 1);
  auto none = registry_->update_extension_point(
      *registry::parse_extension_point(behave_extension_point("test.other"), "x"), "tester");
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().kind, ErrorKind::NotFound);
}

TEST_F(PlatformTest, UploadedModulesAreKeptOncePerHash) {
  auto bytes = read_file(guest_path("platform_v1"));
  registry::ModuleRecord record;
  record.sha256 = "ab12";
  record.size = bytes.size();
  record.backend = "aot";
  ASSERT_TRUE(registry_->put_module(record, bytes));
  ASSERT_TRUE(registry_->put_module(record, bytes));  // the same hash again: kept once
  auto stored = registry_->module_bytes("ab12");
  ASSERT_TRUE(stored) << stored.error().message;
  EXPECT_EQ(*stored, bytes);
  auto missing = registry_->module_bytes("cd34");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().kind, ErrorKind::NotFound);
}

TEST_F(PlatformTest, RegistryFileFromANewerKilnIsRefused) {
  registry_.reset();
  {
    auto db = registry::Registry::open(registry_path());
    ASSERT_TRUE(db);
  }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(registry_path().c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "PRAGMA user_version = 99", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  auto newer = registry::Registry::open(registry_path());
  ASSERT_FALSE(newer);
  EXPECT_NE(newer.error().message.find("newer"), std::string::npos) << newer.error().message;
}

// A registry written before providers (schema 2) opens, migrates, and its
// extensions keep running, now with no provider.
TEST_F(PlatformTest, ASchemaTwoRegistryMigratesAndKeepsItsExtensions) {
  create_ep(behave_extension_point());
  ASSERT_TRUE(deploy("platform_behave", "*"));
  registry_.reset();
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(registry_path().c_str(), &db), SQLITE_OK);
  for (const char* sql : {"ALTER TABLE extension_versions DROP COLUMN provider",
                          "ALTER TABLE extension_versions DROP COLUMN provider_sha256", "PRAGMA user_version = 2"}) {
    ASSERT_EQ(sqlite3_exec(db, sql, nullptr, nullptr, nullptr), SQLITE_OK) << sql << ": " << sqlite3_errmsg(db);
  }
  sqlite3_close(db);
  auto reopened = registry::Registry::open(registry_path());
  ASSERT_TRUE(reopened) << reopened.error().message;
  registry_ = std::move(*reopened);
  auto extensions = registry_->list_extensions();
  ASSERT_TRUE(extensions) << extensions.error().message;
  ASSERT_EQ(extensions->size(), 1u);
  EXPECT_EQ(extensions->front().provider, "");
  auto r = exec(R"({"mode":"plain"})");
  EXPECT_EQ(r.status, execute::ExecStatus::Ok) << (r.error ? r.error->message : "");
  // And a deploy after the migration records a version with the new columns.
  ASSERT_TRUE(deploy("platform_behave", "shop-9", "later"));
}

}  // namespace
}  // namespace kiln::test
