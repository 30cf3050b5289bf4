// The platform's commands as a user drives them, on a registry file of the
// test's own (--registry): kiln ep create/update/list/show, deploy,
// extensions list, rollback, enable/disable, exec (its output, --json,
// --repeat --stats) and their exit codes; then the examples in examples/,
// deployed and executed on their sample inputs.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <tuple>

#include <rapidjson/document.h>

#include "base/sha256.h"
#include "registry/canary_share.h"
#include "platform_test_support.h"

namespace kiln::test {
namespace {

class PlatformCliTest : public PlatformTest {
 protected:
  void SetUp() override {
    PlatformTest::SetUp();
    registry_.reset();  // the CLI alone uses the file
  }

  ProcessResult kiln(std::vector<std::string> args, const std::string& stdin_data = "") {
    args.push_back("--registry");
    args.push_back(registry_path());
    return run_kiln(args, stdin_data);
  }

  std::string write(const std::string& name, const std::string& text) {
    std::string path = (dir_ / name).string();
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }

  static std::string slurp(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }

  // `kiln ep create` of the test extension point (or `json`).
  void create_behave(const std::string& json = behave_extension_point()) {
    ProcessResult created = kiln({"ep", "create", write("ep-" + std::to_string(++files_) + ".json", json)});
    ASSERT_EQ(created.exit_code, 0) << created.err;
  }

  ProcessResult deploy_cli(const std::string& guest, const std::string& scope, const std::string& name = "ext",
                           std::vector<std::string> extra = {}, const std::string& ep = "test.behave") {
    std::vector<std::string> args = {"deploy", guest_path(guest), "--ep", ep, "--scope", scope, "--name", name};
    args.insert(args.end(), extra.begin(), extra.end());
    return kiln(args);
  }

  ProcessResult exec_cli(const std::string& input, const std::string& scope = "shop-1",
                         std::vector<std::string> extra = {}, const std::string& ep = "test.behave") {
    std::vector<std::string> args = {"exec", ep, "--scope", scope};
    args.insert(args.end(), extra.begin(), extra.end());
    return kiln(args, input);
  }

  // The data rows of `kiln extensions list` (the header dropped), split on blanks.
  static std::vector<std::vector<std::string>> rows(const std::string& table) {
    std::vector<std::vector<std::string>> out;
    std::istringstream lines(table);
    std::string line;
    std::getline(lines, line);  // header
    while (std::getline(lines, line)) {
      std::istringstream words(line);
      std::vector<std::string> row;
      for (std::string word; words >> word;) row.push_back(word);
      if (!row.empty()) out.push_back(row);
    }
    return out;
  }

  int files_ = 0;
};

rapidjson::Document parse(const std::string& text) {
  rapidjson::Document doc;
  doc.Parse(text.c_str(), text.size());
  EXPECT_FALSE(doc.HasParseError()) << "not JSON: " << text;
  return doc;
}

TEST_F(PlatformCliTest, EpCreateUpdateListShowRoundTrip) {
  const std::string definition = behave_extension_point();
  std::string file = write("behave.json", definition);
  ProcessResult created = kiln({"ep", "create", file});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  EXPECT_EQ(created.out, "created extension point test.behave, version 1\n");

  ProcessResult again = kiln({"ep", "create", file});
  EXPECT_EQ(again.exit_code, 28) << again.err;
  EXPECT_NE(again.err.find("already exists"), std::string::npos) << again.err;

  ProcessResult listed = kiln({"ep", "list"});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_NE(listed.out.find("NAME"), std::string::npos) << listed.out;
  auto listed_rows = rows(listed.out);
  ASSERT_EQ(listed_rows.size(), 1u) << listed.out;
  EXPECT_EQ(listed_rows[0][0], "test.behave");
  EXPECT_EQ(listed_rows[0][1], "1");  // version
  EXPECT_EQ(listed_rows[0][2], "0");  // live extensions

  ProcessResult shown = kiln({"ep", "show", "test.behave"});
  ASSERT_EQ(shown.exit_code, 0) << shown.err;
  EXPECT_NE(shown.err.find("version 1"), std::string::npos) << shown.err;  // stdout is the definition alone
  rapidjson::Document original = parse(definition);
  rapidjson::Document printed = parse(shown.out);
  EXPECT_TRUE(original == printed) << shown.out;

  // What show printed is a definition update takes.
  std::string shown_file = write("shown.json", shown.out);
  ProcessResult updated = kiln({"ep", "update", shown_file});
  ASSERT_EQ(updated.exit_code, 0) << updated.err;
  EXPECT_EQ(updated.out, "updated extension point test.behave, version 2\n");
  auto after_update = rows(kiln({"ep", "list"}).out);
  ASSERT_EQ(after_update.size(), 1u);
  EXPECT_EQ(after_update[0][1], "2");
  ProcessResult first = kiln({"ep", "show", "test.behave", "--version", "1"});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_TRUE(parse(first.out) == original);
  ProcessResult second = kiln({"ep", "show", "test.behave"});
  EXPECT_TRUE(parse(second.out) == original);
  EXPECT_NE(second.err.find("version 2"), std::string::npos) << second.err;

  // A changed definition: a new version, shown as changed.
  std::string stricter = behave_extension_point("test.behave", R"(, "validate_input": 0.5)");
  ASSERT_EQ(kiln({"ep", "update", write("stricter.json", stricter)}).exit_code, 0);
  rapidjson::Document v3 = parse(kiln({"ep", "show", "test.behave"}).out);
  ASSERT_TRUE(v3.HasMember("validate_input"));
  EXPECT_EQ(v3["validate_input"].GetDouble(), 0.5);

  // Errors: an unknown extension point, a bad file, a missing file.
  EXPECT_EQ(kiln({"ep", "show", "no.such"}).exit_code, 24);
  ProcessResult unknown = kiln({"ep", "update", write("other.json", behave_extension_point("test.other"))});
  EXPECT_EQ(unknown.exit_code, 24) << unknown.err;
  EXPECT_NE(unknown.err.find("test.other"), std::string::npos) << unknown.err;
  ProcessResult bad = kiln({"ep", "update", write("bad.json", R"({"name": "test.behave", "input_schema": {}})")});
  EXPECT_EQ(bad.exit_code, 25) << bad.err;
  EXPECT_NE(bad.err.find("output_schema"), std::string::npos) << bad.err;
  ProcessResult missing = kiln({"ep", "create", (dir_ / "nowhere.json").string()});
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_NE(missing.err.find("nowhere.json"), std::string::npos) << missing.err;
  EXPECT_EQ(rows(kiln({"ep", "list"}).out)[0][1], "3");
}

TEST_F(PlatformCliTest, DeployPrintsWhatItDeployed) {
  create_behave();
  ProcessResult deployed = deploy_cli("platform_v1", "*");
  ASSERT_EQ(deployed.exit_code, 0) << deployed.err;
  const std::vector<uint8_t> bytes = read_file(guest_path("platform_v1"));
  const std::string sha = base::sha256_hex(bytes);
  std::istringstream lines(deployed.out);
  std::vector<std::string> out;
  for (std::string line; std::getline(lines, line);) out.push_back(line);
  ASSERT_GE(out.size(), 5u) << deployed.out;
  EXPECT_EQ(out[0], "deployed ext version 1 to test.behave for scope *");
  EXPECT_EQ(out[1], "  module   sha256:" + sha + ", " + std::to_string(bytes.size()) + " bytes");
  EXPECT_EQ(out[2].rfind("  imports  ", 0), 0u) << out[2];
  EXPECT_NE(out[2].find("wasi_snapshot_preview1.fd_write"), std::string::npos) << out[2];
  EXPECT_NE(out[2].find("wasi_snapshot_preview1.proc_exit"), std::string::npos) << out[2];
  EXPECT_EQ(out[3].rfind("  exports  ", 0), 0u) << out[3];
  EXPECT_NE(out[3].find("_start"), std::string::npos) << out[3];
  EXPECT_TRUE(std::regex_match(out[4], std::regex(R"(  backend  aot \((compiled in [0-9.]+ s|artifact cached, no compile)\))")))
      << out[4];

  // Deployed again: version 2, and certainly no compile this time.
  ProcessResult redeployed = deploy_cli("platform_v1", "*");
  ASSERT_EQ(redeployed.exit_code, 0) << redeployed.err;
  EXPECT_NE(redeployed.out.find("deployed ext version 2 to test.behave for scope *"), std::string::npos)
      << redeployed.out;
  EXPECT_NE(redeployed.out.find("  backend  aot (artifact cached, no compile)"), std::string::npos) << redeployed.out;

  // The name defaults to the module's file name.
  ProcessResult unnamed = kiln({"deploy", guest_path("platform_v2"), "--ep", "test.behave", "--scope", "shop-2"});
  ASSERT_EQ(unnamed.exit_code, 0) << unnamed.err;
  EXPECT_NE(unnamed.out.find("deployed platform_v2 version 1 to test.behave for scope shop-2"), std::string::npos)
      << unnamed.out;
}

TEST_F(PlatformCliTest, ExtensionsListFiltersByExtensionPointAndScope) {
  create_behave();
  create_behave(behave_extension_point("test.other"));
  ASSERT_EQ(deploy_cli("platform_v1", "*", "alpha").exit_code, 0);
  ASSERT_EQ(deploy_cli("platform_v2", "shop-2", "beta", {"--priority", "7"}).exit_code, 0);
  ASSERT_EQ(deploy_cli("platform_v1", "*", "gamma", {}, "test.other").exit_code, 0);

  ProcessResult all = kiln({"extensions", "list"});
  ASSERT_EQ(all.exit_code, 0) << all.err;
  EXPECT_EQ(all.out.rfind("EXTENSION POINT", 0), 0u) << all.out;
  auto every = rows(all.out);
  ASSERT_EQ(every.size(), 3u) << all.out;
  // Sorted by extension point, then scope.
  EXPECT_EQ(every[0][0], "test.behave");
  EXPECT_EQ(every[0][1], "*");
  EXPECT_EQ(every[0][2], "alpha");
  EXPECT_EQ(every[0][3], "1");
  EXPECT_EQ(every[0][4], "enabled");
  EXPECT_EQ(every[0][5], "100%");  // share of scopes: no canary
  EXPECT_EQ(every[0][7], "aot");
  EXPECT_EQ(every[0][8], base::sha256_hex(read_file(guest_path("platform_v1"))).substr(0, 12));
  EXPECT_EQ(every[1][2], "beta");
  EXPECT_EQ(every[1][6], "7");  // priority
  EXPECT_EQ(every[2][0], "test.other");

  auto by_ep = rows(kiln({"extensions", "list", "--ep", "test.other"}).out);
  ASSERT_EQ(by_ep.size(), 1u);
  EXPECT_EQ(by_ep[0][2], "gamma");
  auto by_scope = rows(kiln({"extensions", "list", "--scope", "shop-2"}).out);
  ASSERT_EQ(by_scope.size(), 1u);
  EXPECT_EQ(by_scope[0][2], "beta");
  auto both = rows(kiln({"extensions", "list", "--ep", "test.behave", "--scope", "*"}).out);
  ASSERT_EQ(both.size(), 1u);
  EXPECT_EQ(both[0][2], "alpha");
  ProcessResult none = kiln({"extensions", "list", "--ep", "test.other", "--scope", "shop-2"});
  EXPECT_EQ(none.exit_code, 0);
  EXPECT_TRUE(rows(none.out).empty()) << none.out;

  // ep list counts live extensions.
  auto eps = rows(kiln({"ep", "list"}).out);
  ASSERT_EQ(eps.size(), 2u);
  EXPECT_EQ(eps[0][2], "2");
  EXPECT_EQ(eps[1][2], "1");
}

TEST_F(PlatformCliTest, CanaryDeployListPromoteAndRollback) {
  create_behave();
  ProcessResult early = deploy_cli("platform_v2", "*", "ext", {"--canary", "20"});
  EXPECT_EQ(early.exit_code, 2) << early.err;  // invalid argument: nothing live to share with
  EXPECT_NE(early.err.find("no live version"), std::string::npos) << early.err;
  ASSERT_EQ(deploy_cli("platform_v1", "*").exit_code, 0);
  EXPECT_NE(deploy_cli("platform_v2", "*", "ext", {"--canary", "0"}).exit_code, 0);  // 1-100
  ProcessResult canary = deploy_cli("platform_v2", "*", "ext", {"--canary", "20"});
  ASSERT_EQ(canary.exit_code, 0) << canary.err;
  EXPECT_NE(canary.out.find("canary   for 20% of scopes; version 1 stays live for the rest"), std::string::npos)
      << canary.out;

  // The list shows both versions and their shares.
  auto listed = rows(kiln({"extensions", "list"}).out);
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(listed[0][3], "1");
  EXPECT_EQ(listed[0][4], "enabled");
  EXPECT_EQ(listed[0][5], "80%");
  EXPECT_EQ(listed[1][3], "2");
  EXPECT_EQ(listed[1][4], "canary");
  EXPECT_EQ(listed[1][5], "20%");

  // kiln exec --json names the version that answered, and marks a canary.
  auto answered = [&](const std::string& scope) {
    ProcessResult run = kiln({"exec", "test.behave", "--scope", scope, "--json"}, "{}");
    rapidjson::Document doc;
    doc.Parse(run.out.c_str());
    EXPECT_TRUE(doc.IsObject()) << run.out << run.err;
    const bool canary = doc.IsObject() && doc.HasMember("canary") && doc["canary"].GetBool();
    return std::make_pair(doc.IsObject() ? doc["version"].GetInt64() : 0, canary);
  };
  std::string on_canary, on_live;
  for (int i = 0; i < 100 && (on_canary.empty() || on_live.empty()); ++i) {
    std::string scope = "shop-" + std::to_string(i);
    (registry::runs_canary(scope, 20) ? on_canary : on_live) = scope;
  }
  EXPECT_EQ(answered(on_canary), std::make_pair(int64_t{2}, true));
  EXPECT_EQ(answered(on_live), std::make_pair(int64_t{1}, false));

  ProcessResult wider = kiln({"canary", "--ep", "test.behave", "--scope", "*", "--percent", "100"});
  ASSERT_EQ(wider.exit_code, 0) << wider.err;
  EXPECT_EQ(answered(on_live), std::make_pair(int64_t{2}, true));

  ProcessResult promoted = kiln({"promote", "--ep", "test.behave", "--scope", "*"});
  ASSERT_EQ(promoted.exit_code, 0) << promoted.err;
  EXPECT_EQ(promoted.out, "promoted ext on test.behave for scope *: version 2 is live for every scope\n");
  EXPECT_EQ(answered(on_canary), std::make_pair(int64_t{2}, false));
  EXPECT_EQ(kiln({"promote", "--ep", "test.behave", "--scope", "*"}).exit_code, 24);  // no canary now

  // A new canary, rolled back: every scope on the live version again.
  ASSERT_EQ(deploy_cli("platform_v1", "*", "ext", {"--canary", "100"}).exit_code, 0);
  EXPECT_EQ(answered(on_live), std::make_pair(int64_t{3}, true));
  ProcessResult back = kiln({"rollback", "--ep", "test.behave", "--scope", "*"});
  ASSERT_EQ(back.exit_code, 0) << back.err;
  EXPECT_EQ(back.out, "rolled back ext on test.behave for scope * to version 2\n");
  EXPECT_EQ(answered(on_live), std::make_pair(int64_t{2}, false));
  EXPECT_EQ(rows(kiln({"extensions", "list"}).out).size(), 1u);
}

TEST_F(PlatformCliTest, ExecRollbackEnableDisable) {
  create_behave();
  ASSERT_EQ(deploy_cli("platform_v1", "*").exit_code, 0);
  ProcessResult v1 = exec_cli("{}");
  ASSERT_EQ(v1.exit_code, 0) << v1.err;
  EXPECT_EQ(v1.out, R"({"result":1})");  // the output as the guest wrote it
  EXPECT_EQ(v1.err, "");

  ASSERT_EQ(deploy_cli("platform_v2", "*").exit_code, 0);
  EXPECT_EQ(exec_cli("{}").out, R"({"result":2})");

  ProcessResult back = kiln({"rollback", "--ep", "test.behave", "--scope", "*"});
  ASSERT_EQ(back.exit_code, 0) << back.err;
  EXPECT_EQ(back.out, "rolled back ext on test.behave for scope * to version 1\n");
  EXPECT_EQ(exec_cli("{}").out, R"({"result":1})");
  EXPECT_EQ(kiln({"rollback", "--ep", "test.behave", "--scope", "*"}).exit_code, 24);  // nothing before 1

  ProcessResult forward = kiln({"rollback", "--ep", "test.behave", "--scope", "*", "--extension", "ext", "--to", "2"});
  ASSERT_EQ(forward.exit_code, 0) << forward.err;
  EXPECT_EQ(forward.out, "rolled back ext on test.behave for scope * to version 2\n");
  EXPECT_EQ(exec_cli("{}").out, R"({"result":2})");
  ProcessResult same = kiln({"rollback", "--ep", "test.behave", "--scope", "*", "--to", "2"});
  EXPECT_NE(same.exit_code, 0);
  EXPECT_NE(same.err.find("already at version 2"), std::string::npos) << same.err;
  EXPECT_EQ(kiln({"rollback", "--ep", "test.behave", "--scope", "*", "--to", "9"}).exit_code, 24);
  EXPECT_EQ(kiln({"rollback", "--ep", "test.behave", "--scope", "shop-9"}).exit_code, 24);

  ProcessResult disabled = kiln({"disable", "--ep", "test.behave", "--scope", "*"});
  ASSERT_EQ(disabled.exit_code, 0) << disabled.err;
  EXPECT_EQ(disabled.out, "disabled ext on test.behave for scope * (version 2)\n");
  ProcessResult not_run = exec_cli("{}");
  EXPECT_EQ(not_run.exit_code, 20) << not_run.err;
  EXPECT_EQ(not_run.out, "");
  EXPECT_NE(not_run.err.find("not run"), std::string::npos) << not_run.err;
  auto listed = rows(kiln({"extensions", "list"}).out);
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0][4], "disabled");

  ProcessResult enabled = kiln({"enable", "--ep", "test.behave", "--scope", "*", "--extension", "ext"});
  ASSERT_EQ(enabled.exit_code, 0) << enabled.err;
  EXPECT_EQ(enabled.out, "enabled ext on test.behave for scope * (version 2)\n");
  EXPECT_EQ(exec_cli("{}").out, R"({"result":2})");
  EXPECT_EQ(rows(kiln({"extensions", "list"}).out)[0][4], "enabled");

  // A scope's own binding replaces "*" for that scope only.
  ASSERT_EQ(deploy_cli("platform_v1", "shop-7", "special").exit_code, 0);
  EXPECT_EQ(exec_cli("{}", "shop-7").out, R"({"result":1})");
  EXPECT_EQ(exec_cli("{}", "shop-8").out, R"({"result":2})");
  EXPECT_EQ(kiln({"enable", "--ep", "test.behave", "--scope", "shop-9"}).exit_code, 24);
}

TEST_F(PlatformCliTest, ExitCodes) {
  create_behave();
  create_behave(behave_extension_point("test.empty"));
  ASSERT_EQ(deploy_cli("platform_behave", "*").exit_code, 0);

  EXPECT_EQ(exec_cli("{}").exit_code, 0);
  ProcessResult not_run = exec_cli("{}", "shop-1", {}, "test.empty");
  EXPECT_EQ(not_run.exit_code, 20) << not_run.err;

  ProcessResult bad_input = exec_cli(R"({"cart": {"lines": [{"quantity": 0}]}})");
  EXPECT_EQ(bad_input.exit_code, 21) << bad_input.err;
  EXPECT_NE(bad_input.err.find("/cart/lines/0/quantity"), std::string::npos) << bad_input.err;
  EXPECT_EQ(exec_cli("[1]").exit_code, 21);
  EXPECT_EQ(exec_cli("{\"cart\": ").exit_code, 21);
  EXPECT_EQ(exec_cli(R"({"config": {}})").exit_code, 21);

  ProcessResult bad_output = exec_cli(R"({"mode":"badshape"})");
  EXPECT_EQ(bad_output.exit_code, 22) << bad_output.err;
  EXPECT_NE(bad_output.err.find("/result"), std::string::npos) << bad_output.err;
  EXPECT_EQ(bad_output.out, "");  // an output that fails its schema is not printed as the output
  EXPECT_EQ(exec_cli(R"({"mode":"notjson"})").exit_code, 22);

  ProcessResult failed = exec_cli(R"({"mode":"exit3"})");
  EXPECT_EQ(failed.exit_code, 23) << failed.err;
  EXPECT_NE(failed.err.find("giving up: bad cart"), std::string::npos) << failed.err;

  ProcessResult fuel = exec_cli(R"({"mode":"spin"})");
  EXPECT_EQ(fuel.exit_code, 11) << fuel.err;
  // A call a limit stopped says what it used of each limit: all of its fuel.
  std::smatch used;
  ASSERT_TRUE(std::regex_search(fuel.err, used, std::regex(R"(kiln: used fuel (\d+) of (\d+), memory [0-9.]+ of 16\.00 MiB, time [0-9.]+ of 5000 ms; \S+ v1\n)")))
      << fuel.err;
  // Out of fuel is noticed at the end of a straight-line run of code, so
  // the count may pass the limit by that run's cost (docs/fuel.md).
  EXPECT_GE(std::stoull(used[1]), std::stoull(used[2]));
  EXPECT_EQ(used[2], "5010000");  // fuel 5,000,000 + 10,000 per KiB of input (15 bytes: one KiB, rounded up)
  ProcessResult usage = exec_cli("{}", "shop-1", {"--usage"});
  EXPECT_EQ(usage.exit_code, 0) << usage.err;
  EXPECT_NE(usage.err.find("kiln: used fuel "), std::string::npos) << usage.err;
  ProcessResult trap = exec_cli(R"({"mode":"trap"})");
  EXPECT_EQ(trap.exit_code, 10) << trap.err;

  ProcessResult unknown = exec_cli("{}", "shop-1", {}, "no.such.point");
  EXPECT_EQ(unknown.exit_code, 24) << unknown.err;
  EXPECT_NE(unknown.err.find("no.such.point"), std::string::npos) << unknown.err;
  ProcessResult unknown_deploy = deploy_cli("platform_v1", "*", "ext", {}, "no.such.point");
  EXPECT_EQ(unknown_deploy.exit_code, 24) << unknown_deploy.err;

  ProcessResult contract = deploy_cli("platform_fopen", "*", "files");
  EXPECT_EQ(contract.exit_code, 26) << contract.err;
  EXPECT_NE(contract.err.find("wasi_snapshot_preview1.path_open"), std::string::npos) << contract.err;
  ProcessResult no_start = deploy_cli("platform_no_start", "*", "nostart");
  EXPECT_EQ(no_start.exit_code, 26) << no_start.err;
  EXPECT_NE(no_start.err.find("_start"), std::string::npos) << no_start.err;
  // A wasi-command entry typed otherwise than () -> () is refused with the
  // definition, before any module meets it.
  ProcessResult mistyped = kiln({"ep", "create", write("ep-typed.json", behave_extension_point(
      "test.typed", R"j(, "exports": [{"name": "_start", "type": "(i32) -> ()"}])j"))});
  EXPECT_EQ(mistyped.exit_code, 25) << mistyped.err;
  EXPECT_NE(mistyped.err.find("must have type () -> ()"), std::string::npos) << mistyped.err;

  ProcessResult bad_config = deploy_cli("platform_v1", "*", "cfg", {"--config", R"({"greeting": 5})"});
  EXPECT_EQ(bad_config.exit_code, 27) << bad_config.err;
  EXPECT_NE(bad_config.err.find("/greeting"), std::string::npos) << bad_config.err;
  EXPECT_EQ(deploy_cli("platform_v1", "*", "cfg", {"--config", R"({"colour": "red"})"}).exit_code, 27);
  EXPECT_EQ(deploy_cli("platform_v1", "*", "cfg", {"--config", "{not json"}).exit_code, 27);

  // None of the refused deploys went live.
  auto live = rows(kiln({"extensions", "list"}).out);
  ASSERT_EQ(live.size(), 1u);
  EXPECT_EQ(live[0][2], "ext");
}

TEST_F(PlatformCliTest, ExecJsonHasTheWholeResult) {
  create_behave();
  ASSERT_EQ(deploy_cli("platform_behave", "*").exit_code, 0);
  const std::string input = R"({"cart": {"lines": [{"quantity": 2}]}})";
  ProcessResult ok = exec_cli(input, "shop-1", {"--json"});
  ASSERT_EQ(ok.exit_code, 0) << ok.err;
  rapidjson::Document r = parse(ok.out);
  ASSERT_TRUE(r.IsObject());
  EXPECT_STREQ(r["status"].GetString(), "ok");
  EXPECT_STREQ(r["extension_point"].GetString(), "test.behave");
  EXPECT_STREQ(r["scope"].GetString(), "shop-1");
  EXPECT_STREQ(r["matched_scope"].GetString(), "*");
  EXPECT_STREQ(r["extension"].GetString(), "ext");
  EXPECT_EQ(r["version"].GetInt(), 1);
  EXPECT_EQ(r["module_size"].GetUint64(), read_file(guest_path("platform_behave")).size());
  EXPECT_STREQ(r["module_sha256"].GetString(), base::sha256_hex(read_file(guest_path("platform_behave"))).c_str());
  EXPECT_STREQ(r["backend"].GetString(), "aot");
  ASSERT_TRUE(r["output"].IsObject());  // inline JSON, not a string
  EXPECT_EQ(r["output"]["result"].GetInt(), 1);
  EXPECT_TRUE(r["log"].IsString());
  EXPECT_FALSE(r["log_truncated"].GetBool());
  EXPECT_EQ(r["exit_code"].GetInt(), 0);
  EXPECT_GT(r["fuel"]["used"].GetUint64(), 0u);
  EXPECT_EQ(r["fuel"]["limit"].GetUint64(), 5'000'000u + 10'000u);
  EXPECT_LE(r["fuel"]["used"].GetUint64(), r["fuel"]["limit"].GetUint64());
  EXPECT_GT(r["memory"]["peak_bytes"].GetUint64(), 0u);
  EXPECT_EQ(r["memory"]["limit_bytes"].GetUint64(), uint64_t{16} << 20);
  EXPECT_GT(r["time"]["run_ns"].GetUint64(), 0u);
  EXPECT_EQ(r["time"]["limit_ns"].GetUint64(), 5'000'000'000u);
  EXPECT_EQ(r["input_bytes"].GetUint64(), input.size());
  EXPECT_TRUE(r["input_validated"].GetBool());
  ASSERT_TRUE(r["stages_ns"].IsObject());
  uint64_t total = r["stages_ns"]["total"].GetUint64();
  for (const char* stage : {"lookup", "validate_input", "serialize", "acquire", "run", "read_output",
                            "validate_output"}) {
    ASSERT_TRUE(r["stages_ns"].HasMember(stage)) << stage;
    EXPECT_GT(r["stages_ns"][stage].GetUint64(), 0u) << stage;
    EXPECT_LE(r["stages_ns"][stage].GetUint64(), total) << stage;
  }
  EXPECT_FALSE(r.HasMember("error"));

  ProcessResult bad = exec_cli(R"({"mode":"badshape"})", "shop-1", {"--json"});
  EXPECT_EQ(bad.exit_code, 22) << bad.err;
  rapidjson::Document b = parse(bad.out);
  EXPECT_STREQ(b["status"].GetString(), "invalid output");
  ASSERT_TRUE(b.HasMember("error")) << bad.out;
  EXPECT_STREQ(b["error"]["code"].GetString(), "invalid_output");
  EXPECT_NE(std::string(b["error"]["message"].GetString()).find("/result"), std::string::npos);
  EXPECT_STREQ(b["error"]["pointer"].GetString(), "/result");
  EXPECT_STREQ(b["output"]["result"].GetString(), "wrong type");  // what the guest wrote, for debugging

  ProcessResult failed = exec_cli(R"({"mode":"exit3"})", "shop-1", {"--json"});
  EXPECT_EQ(failed.exit_code, 23);
  rapidjson::Document f = parse(failed.out);
  EXPECT_STREQ(f["status"].GetString(), "extension failed");
  EXPECT_STREQ(f["log"].GetString(), "giving up: bad cart\n");
  EXPECT_EQ(f["exit_code"].GetInt(), 3);

  ASSERT_EQ(kiln({"disable", "--ep", "test.behave", "--scope", "*"}).exit_code, 0);
  ProcessResult nothing = exec_cli("{}", "shop-1", {"--json"});
  EXPECT_EQ(nothing.exit_code, 20);
  EXPECT_STREQ(parse(nothing.out)["status"].GetString(), "not run");
}

TEST_F(PlatformCliTest, RepeatStatsJsonGivesEveryStage) {
  create_behave();
  ASSERT_EQ(deploy_cli("platform_v1", "*").exit_code, 0);
  ProcessResult stats = exec_cli("{}", "shop-1", {"--repeat", "50", "--stats", "--json"});
  ASSERT_EQ(stats.exit_code, 0) << stats.err;
  rapidjson::Document s = parse(stats.out);
  ASSERT_TRUE(s.IsObject()) << stats.out;
  EXPECT_EQ(s["runs"].GetInt(), 50);
  ASSERT_TRUE(s["stages"].IsObject());
  for (const char* stage : {"lookup", "validate_input", "serialize", "acquire", "run", "read_output",
                            "validate_output", "total", "overhead"}) {
    SCOPED_TRACE(stage);
    ASSERT_TRUE(s["stages"].HasMember(stage));
    const auto& q = s["stages"][stage];
    for (const char* key : {"p50_ns", "p95_ns", "p99_ns", "max_ns"}) ASSERT_TRUE(q.HasMember(key)) << key;
    EXPECT_GT(q["p50_ns"].GetUint64(), 0u);
    EXPECT_LE(q["p50_ns"].GetUint64(), q["p95_ns"].GetUint64());
    EXPECT_LE(q["p95_ns"].GetUint64(), q["p99_ns"].GetUint64());
    EXPECT_LE(q["p99_ns"].GetUint64(), q["max_ns"].GetUint64());
  }
  EXPECT_LE(s["stages"]["run"]["max_ns"].GetUint64(), s["stages"]["total"]["max_ns"].GetUint64());
  EXPECT_LE(s["stages"]["overhead"]["p50_ns"].GetUint64(), s["stages"]["total"]["p50_ns"].GetUint64());
  // What the runs used of each limit, beside the limit (the behave point's
  // 5,000,000 fuel for a 2-byte input, 16 MiB, 5 s).
  ASSERT_TRUE(s.HasMember("limits")) << stats.out;
  const auto& fuel = s["limits"]["fuel"];
  EXPECT_STREQ(fuel["unit"].GetString(), "instructions");
  EXPECT_GT(fuel["p50"].GetUint64(), 0u);
  EXPECT_LE(fuel["max"].GetUint64(), fuel["limit"].GetUint64());
  EXPECT_EQ(fuel["limit"].GetUint64(), 5'000'000u + 10'000u);  // 2 bytes: one KiB, rounded up
  EXPECT_EQ(s["limits"]["memory"]["limit"].GetUint64(), 16u << 20);
  EXPECT_GT(s["limits"]["memory"]["max"].GetUint64(), 0u);
  EXPECT_EQ(s["limits"]["time"]["limit"].GetUint64(), 5'000'000'000u);
  EXPECT_STREQ(s["limits"]["time"]["unit"].GetString(), "ns");

  // Without --json: the table, overhead last.
  ProcessResult table = exec_cli("{}", "shop-1", {"--repeat", "20", "--stats"});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_NE(table.out.find("20 runs"), std::string::npos) << table.out;
  for (const char* row : {"lookup", "validate_input", "run (the guest)", "total", "overhead (total - run)",
                          "used of limit", "fuel (instructions)", "memory (bytes)", "time (ns)"}) {
    EXPECT_NE(table.out.find(row), std::string::npos) << row << " missing from\n" << table.out;
  }
  EXPECT_EQ(table.out.find("{\"result\""), std::string::npos) << table.out;
}

TEST_F(PlatformCliTest, ConfigFromAFile) {
  create_behave();
  std::string config = write("config.json", "{\n  \"greeting\": \"hello from a file\"\n}\n");
  ProcessResult deployed = deploy_cli("platform_behave", "*", "ext", {"--config", "@" + config});
  ASSERT_EQ(deployed.exit_code, 0) << deployed.err;
  ProcessResult echoed = exec_cli(R"({"mode":"echo"})");
  ASSERT_EQ(echoed.exit_code, 0) << echoed.err;
  rapidjson::Document out = parse(echoed.out);
  ASSERT_TRUE(out.HasMember("config")) << echoed.out;
  EXPECT_STREQ(out["config"]["greeting"].GetString(), "hello from a file");
  EXPECT_STREQ(out["mode"].GetString(), "echo");
  EXPECT_NE(echoed.err.find("echo: "), std::string::npos) << echoed.err;  // the log, on stderr

  ProcessResult bad = deploy_cli("platform_behave", "*", "ext", {"--config", "@" + write("bad.json", "{\"x\": 1}")});
  EXPECT_EQ(bad.exit_code, 27) << bad.err;
  ProcessResult missing = deploy_cli("platform_behave", "*", "ext", {"--config", "@" + (dir_ / "none.json").string()});
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_NE(missing.err.find("none.json"), std::string::npos) << missing.err;
}

// The examples (examples/README.md): each deployed with its extension
// point and config, executed on its sample input, gives its expected output;
// built for both ABIs, the same logic gives the same output.
class PlatformCliExampleTest : public PlatformCliTest,
                               public ::testing::WithParamInterface<std::tuple<const char*, const char*>> {};

TEST_P(PlatformCliExampleTest, ExampleGivesItsExpectedOutput) {
  const std::string name = std::get<0>(GetParam());
  const bool reactor = std::string(std::get<1>(GetParam())) == "kiln-reactor";
  const std::string module = std::string(KILN_EXAMPLES_DIR) + "/" + name + (reactor ? "_reactor" : "") + ".wasm";
  if (!std::filesystem::exists(module)) GTEST_SKIP() << module << " is not built (ninja kiln_platform_examples)";
  const std::string source = std::string(KILN_SOURCE_DIR) + "/examples/" + name;
  const std::string ep_file = source + (reactor ? "/extension_point_reactor.json" : "/extension_point.json");
  ProcessResult created = kiln({"ep", "create", ep_file});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  std::string ep = parse(slurp(ep_file))["name"].GetString();
  EXPECT_EQ(parse(slurp(ep_file))["abi"].GetString(), std::string(std::get<1>(GetParam())));
  ProcessResult deployed =
      kiln({"deploy", module, "--ep", ep, "--scope", "shop-1", "--config", "@" + source + "/config.json"});
  ASSERT_EQ(deployed.exit_code, 0) << deployed.err;
  EXPECT_NE(deployed.out.find("backend  aot"), std::string::npos) << deployed.out;

  ProcessResult ran = kiln({"exec", ep, "--scope", "shop-1"}, slurp(source + "/input.json"));
  ASSERT_EQ(ran.exit_code, 0) << ran.err;
  rapidjson::Document expected = parse(slurp(source + "/expected_output.json"));
  rapidjson::Document got = parse(ran.out);
  EXPECT_TRUE(expected == got) << "got " << ran.out;

  // Through --input and --json too; another scope has nothing bound.
  ProcessResult json = kiln({"exec", ep, "--scope", "shop-1", "--input", source + "/input.json", "--json"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  rapidjson::Document result = parse(json.out);
  EXPECT_TRUE(result["output"] == expected);
  EXPECT_TRUE(result["input_validated"].GetBool());
  EXPECT_LT(result["fuel"]["used"].GetUint64(), result["fuel"]["limit"].GetUint64());
  EXPECT_EQ(kiln({"exec", ep, "--scope", "shop-2"}, slurp(source + "/input.json")).exit_code, 20);
}

INSTANTIATE_TEST_SUITE_P(PlatformExamples, PlatformCliExampleTest,
                         ::testing::Combine(::testing::Values("product_discount", "shipping_filter", "payment_reorder"),
                                            ::testing::Values("wasi-command", "kiln-reactor")),
                         [](const auto& info) {
                           return std::string(std::get<0>(info.param)) +
                                  (std::string(std::get<1>(info.param)) == "kiln-reactor" ? "_reactor" : "_command");
                         });

// ---- replay bundles (docs/replay.md) -------------------------------------------

class ReplayCliTest : public PlatformCliTest {
 protected:
  // `kiln replay` in a process whose own registry is empty: the bundle is
  // all it has.
  ProcessResult replay(const std::string& bundle) {
    std::filesystem::create_directories(dir_ / "elsewhere");
    return run_kiln_env({"replay", bundle}, {"KILN_HOME=" + (dir_ / "elsewhere").string()});
  }
  // Records one call of `input` and returns the bundle's path.
  std::string record(const std::string& input, int expected_exit, const std::string& ep = "test.behave") {
    std::string bundle = (dir_ / ("call-" + std::to_string(++files_) + ".json")).string();
    ProcessResult ran = exec_cli(input, "shop-1", {"--save-replay", bundle}, ep);
    EXPECT_EQ(ran.exit_code, expected_exit) << ran.err;
    EXPECT_NE(ran.err.find("replay bundle saved to"), std::string::npos) << ran.err;
    return bundle;
  }
};

TEST_F(ReplayCliTest, ASuccessfulCallIsReproducedWithTheSameClockAndRandomBytes) {
  create_behave(R"({"name": "test.entropy", "abi": "wasi-command", "input_schema": {"type": "object"},
    "output_schema": {"type": "object", "required": ["time", "random"]},
    "limits": {"fuel": 100000000, "timeout": "200ms"}})");
  ASSERT_EQ(deploy_cli("platform_entropy", "shop-1", "entropy", {}, "test.entropy").exit_code, 0);
  std::string bundle = record("{}", 0, "test.entropy");
  ProcessResult again = replay(bundle);
  EXPECT_EQ(again.exit_code, 0) << again.out << again.err;
  EXPECT_NE(again.out.find("replayed: ok"), std::string::npos) << again.out;
  EXPECT_NE(again.out.find("\nreproduced\n"), std::string::npos) << again.out;
  // A second, unrecorded call sees another time and other random bytes.
  EXPECT_NE(exec_cli("{}", "shop-1", {}, "test.entropy").out, slurp(bundle));

  // A tape with its random bytes cut off: the guest reads past the
  // recording, and the replay says it diverged.
  std::string json = slurp(bundle);
  auto random_at = json.find(",{\"random\"");
  ASSERT_NE(random_at, std::string::npos) << json.substr(json.find("\"tape\""), 200);
  json.erase(random_at, json.find('}', random_at) + 1 - random_at);
  ProcessResult diverged = replay(write("cut.json", json));
  EXPECT_EQ(diverged.exit_code, 1) << diverged.out;
  EXPECT_NE(diverged.out.find("replay diverged"), std::string::npos) << diverged.out;
  EXPECT_NE(diverged.out.find("NOT reproduced"), std::string::npos) << diverged.out;
}

TEST_F(ReplayCliTest, ATrapAndRunningOutOfFuelHappenAgainAtTheSameFuel) {
  create_behave();
  ASSERT_EQ(deploy_cli("platform_behave", "shop-1", "behave").exit_code, 0);
  for (auto [input, exit_code, status] : {std::tuple{R"({"mode":"trap"})", 10, "trap"},
                                          std::tuple{R"({"mode":"spin"})", 11, "out of fuel"},
                                          std::tuple{R"({"mode":"exit3"})", 23, "extension failed"}}) {
    SCOPED_TRACE(input);
    ProcessResult again = replay(record(input, exit_code));
    EXPECT_EQ(again.exit_code, 0) << again.out << again.err;
    EXPECT_NE(again.out.find(std::string("replayed: ") + status + ", fuel "), std::string::npos) << again.out;
    EXPECT_NE(again.out.find("\nreproduced\n"), std::string::npos) << again.out;
  }
}

TEST_F(ReplayCliTest, ADeadlineIsReplayedAsTheFuelItHadUsed) {
  create_behave(R"({"name": "test.entropy", "abi": "wasi-command", "input_schema": {"type": "object"},
    "output_schema": {"type": "object"}, "limits": {"fuel": 100000000000, "timeout": "100ms"}})");
  ASSERT_EQ(deploy_cli("platform_entropy", "shop-1", "entropy", {}, "test.entropy").exit_code, 0);
  std::string bundle = record(R"({"mode":"spin"})", 12, "test.entropy");
  ProcessResult again = replay(bundle);
  EXPECT_EQ(again.exit_code, 0) << again.out << again.err;
  EXPECT_NE(again.out.find("replayed: out of fuel"), std::string::npos) << again.out;
  EXPECT_NE(again.out.find("\nreproduced\n"), std::string::npos) << again.out;
}

TEST_F(ReplayCliTest, BadBundlesAndRemoteCallsAreRefused) {
  ProcessResult missing = replay((dir_ / "nope.json").string());
  EXPECT_EQ(missing.exit_code, 3) << missing.err;
  ProcessResult garbage = replay(write("garbage.json", R"({"format": "kiln-replay/1"})"));
  EXPECT_EQ(garbage.exit_code, 21) << garbage.err;
  EXPECT_NE(garbage.err.find("replay bundle:"), std::string::npos) << garbage.err;
  ProcessResult remote = run_kiln({"exec", "x", "--scope", "s", "--remote", "http://127.0.0.1:1", "--save-replay", "f"});
  EXPECT_EQ(remote.exit_code, 2) << remote.err;
}

}  // namespace
}  // namespace kiln::test
