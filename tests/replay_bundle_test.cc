// Replay bundles (execute/replay_bundle.h, docs/replay.md): base64, the
// bundle's JSON both ways and what it refuses, and a bundle made from a
// real call on a real registry.
#include "execute/replay_bundle.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>

#include "base/base64.h"
#include "base/sha256.h"
#include "platform_test_support.h"

namespace kiln::execute {
namespace {

std::vector<uint8_t> bytes(std::string_view text) { return {text.begin(), text.end()}; }

TEST(Base64, RoundTripsEveryLengthAndRefusesWhatIsNotBase64) {
  EXPECT_EQ(base::base64_encode(bytes("")), "");
  EXPECT_EQ(base::base64_encode(bytes("f")), "Zg==");
  EXPECT_EQ(base::base64_encode(bytes("fo")), "Zm8=");
  EXPECT_EQ(base::base64_encode(bytes("foo")), "Zm9v");
  EXPECT_EQ(base::base64_encode(bytes("foobar")), "Zm9vYmFy");
  std::vector<uint8_t> all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<uint8_t>(i));
  for (size_t n = 0; n <= all.size(); n += 37) {
    std::vector<uint8_t> part(all.begin(), all.begin() + static_cast<long>(n));
    auto decoded = base::base64_decode(base::base64_encode(part));
    ASSERT_TRUE(decoded) << decoded.error().message;
    EXPECT_EQ(*decoded, part);
  }
  for (const char* bad : {"Zg=", "Z===", "Zm9v!A==", "=Zm9", "Zg==Zg==", "Zm=v"}) {
    auto decoded = base::base64_decode(bad);
    EXPECT_FALSE(decoded) << bad;
    if (!decoded) EXPECT_EQ(decoded.error().kind, ErrorKind::InvalidArgument);
  }
}

ReplayBundle sample() {
  ReplayBundle b;
  b.kiln_version = "0.1.0";
  b.recorded_at = "2026-12-07T04:00:00Z";
  b.reason = "failed";
  b.extension_point_definition = R"({"name": "test.behave"})";
  b.scope = "shop-1";
  b.extension = "behave";
  b.version = 3;
  b.config = R"({"greeting":"hi"})";
  b.module = bytes(std::string("\0asm\x01\0\0\0", 8));
  b.module_sha256 = base::sha256_hex(b.module);
  b.input = R"({"mode":"trap"})";
  b.fuel_limit = 5'010'000;
  b.memory_limit_bytes = 16 << 20;
  b.time_limit_ns = 5'000'000'000;
  b.tape = {{.kind = host::TapeEvent::Kind::Clock, .clock_id = 1, .time = 123456789},
            {.kind = host::TapeEvent::Kind::Random, .bytes = std::string("\0\xff\x10", 3)}};
  b.status = "trap";
  b.error_code = "trap";
  b.error_message = "unreachable executed";
  b.fuel_used = 4242;
  return b;
}

TEST(ReplayBundle, EveryFieldSurvivesTheJson) {
  ReplayBundle b = sample();
  auto back = replay_bundle_from_json(to_json(b));
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->kiln_version, b.kiln_version);
  EXPECT_EQ(back->reason, b.reason);
  EXPECT_EQ(back->extension_point_definition, b.extension_point_definition);
  EXPECT_EQ(back->scope, b.scope);
  EXPECT_EQ(back->extension, b.extension);
  EXPECT_EQ(back->version, 3);
  EXPECT_EQ(back->config, b.config);
  EXPECT_EQ(back->module, b.module);
  EXPECT_EQ(back->input, b.input);
  EXPECT_EQ(back->fuel_limit, b.fuel_limit);
  EXPECT_EQ(back->memory_limit_bytes, b.memory_limit_bytes);
  EXPECT_EQ(back->time_limit_ns, b.time_limit_ns);
  ASSERT_EQ(back->tape.size(), 2u);
  EXPECT_EQ(back->tape[0].clock_id, 1u);
  EXPECT_EQ(back->tape[0].time, 123456789u);
  EXPECT_EQ(back->tape[1].bytes, b.tape[1].bytes);
  EXPECT_EQ(back->status, "trap");
  EXPECT_EQ(back->error_message, b.error_message);
  EXPECT_EQ(back->fuel_used, 4242u);
}

TEST(ReplayBundle, RefusesOtherFormatsMissingFieldsAndAModuleThatIsNotTheRecordedOne) {
  auto expect_refused = [](const std::string& json, const std::string& says) {
    auto read = replay_bundle_from_json(json);
    ASSERT_FALSE(read) << json.substr(0, 80);
    EXPECT_EQ(read.error().kind, ErrorKind::InvalidInput);
    EXPECT_NE(read.error().message.find(says), std::string::npos) << read.error().message;
  };
  expect_refused("[1]", "not a JSON object");
  expect_refused(R"({"format": "kiln-replay/9"})", "kiln-replay/9");
  std::string json = to_json(sample());
  std::string no_input = json;
  no_input.replace(no_input.find("\"input\""), 7, "\"inptu\"");
  expect_refused(no_input, "input: expected a string");
  ReplayBundle tampered = sample();
  tampered.module.push_back(0);
  expect_refused(to_json(tampered), "SHA-256");
}

class ReplayBundleFromACall : public test::PlatformTest {};

TEST_F(ReplayBundleFromACall, HoldsTheModuleDefinitionConfigAndInputThatRan) {
  create_ep(test::behave_extension_point());
  ASSERT_TRUE(deploy("platform_behave", "*", "behave", R"({"greeting":"hi"})"));
  const std::string input = R"({"mode":"trap"})";
  ExecResult r = exec(input, "shop-7");
  ASSERT_EQ(r.status, ExecStatus::Trapped);
  auto tape = host::WasiTape::recording();
  auto bundle = make_replay_bundle(*registry_, r, input, *tape, "failed");
  ASSERT_TRUE(bundle) << bundle.error().message;
  EXPECT_EQ(base::sha256_hex(bundle->module), r.module_sha256);
  EXPECT_NE(bundle->extension_point_definition.find("test.behave"), std::string::npos);
  EXPECT_EQ(bundle->config, R"({"greeting":"hi"})");
  EXPECT_EQ(bundle->input, input);
  EXPECT_EQ(bundle->scope, "shop-7");
  EXPECT_EQ(bundle->status, "trap");
  EXPECT_EQ(bundle->error_code, "trap");
  EXPECT_EQ(bundle->fuel_used, r.fuel_used);
  EXPECT_EQ(bundle->fuel_limit, r.fuel_limit);

  ExecResult none = exec("{}", "shop-7", "no.such.point");
  auto nothing = make_replay_bundle(*registry_, none, "{}", *tape, "failed");
  ASSERT_FALSE(nothing);
  EXPECT_EQ(nothing.error().kind, ErrorKind::NotFound);
}


TEST_F(ReplayBundleFromACall, AnExecutorWithAReplayFolderKeepsFailedCallsWithinItsBounds) {
  create_ep(test::behave_extension_point());
  ASSERT_TRUE(deploy("platform_behave", "*", "behave"));
  LocalExecutorConfig config;
  config.registry_path = registry_path();
  config.replay_capture.dir = (dir_ / "replays").string();
  config.replay_capture.max_files = 2;
  auto opened = LocalExecutor::open(config);
  ASSERT_TRUE(opened) << opened.error().message;
  LocalExecutor& executor = **opened;
  auto call = [&](const std::string& input) {
    return executor.execute("test.behave", "shop-1", {reinterpret_cast<const uint8_t*>(input.data()), input.size()});
  };
  auto bundles = [&] {
    std::vector<std::string> found;
    for (const auto& entry : std::filesystem::directory_iterator(config.replay_capture.dir)) {
      found.push_back(entry.path().string());
    }
    std::sort(found.begin(), found.end());
    return found;
  };
  EXPECT_EQ(call(R"({"mode":"plain"})").status, ExecStatus::Ok);
  EXPECT_EQ(call(R"({"cart":{"lines":[{"quantity":0}]}})").status, ExecStatus::InvalidInput);
  EXPECT_TRUE(bundles().empty());  // success and the caller's own mistakes leave nothing
  EXPECT_EQ(call(R"({"mode":"trap"})").status, ExecStatus::Trapped);
  EXPECT_EQ(call(R"({"mode":"spin"})").status, ExecStatus::OutOfFuel);
  EXPECT_EQ(call(R"({"mode":"exit3"})").status, ExecStatus::ExtensionFailed);  // over max_files: dropped
  std::vector<std::string> kept = bundles();
  ASSERT_EQ(kept.size(), 2u);
  for (const std::string& path : kept) {
    EXPECT_NE(path.find("-test.behave-behave-v1-"), std::string::npos) << path;
    auto text = test::read_file(path);
    auto bundle = replay_bundle_from_json(std::string(text.begin(), text.end()));
    ASSERT_TRUE(bundle) << bundle.error().message;
    EXPECT_EQ(bundle->reason, "failed");
    // Each is reproduced by kiln replay in a process of its own.
    test::ProcessResult replayed = test::run_kiln({"replay", path});
    EXPECT_EQ(replayed.exit_code, 0) << replayed.out << replayed.err;
    EXPECT_NE(replayed.out.find("\nreproduced\n"), std::string::npos) << replayed.out;
  }
}

TEST_F(ReplayBundleFromACall, EachFailingExtensionOfACombinedCallLeavesABundleThatReplaysAlone) {
  create_ep(test::behave_extension_point(
      "test.all", R"(, "combine": "all", "reduce": {"op": "sum", "pointer": "/result"})"));
  ASSERT_TRUE(deploy("platform_v1", "*", "steady", "", "test.all", 2));
  ASSERT_TRUE(deploy("platform_behave", "*", "behave", "", "test.all", 1));
  LocalExecutorConfig config;
  config.registry_path = registry_path();
  config.replay_capture.dir = (dir_ / "replays").string();
  auto opened = LocalExecutor::open(config);
  ASSERT_TRUE(opened) << opened.error().message;
  for (const std::string input : {R"({"mode":"trap"})", R"({"mode":"spin"})"}) {
    ExecResult r = (*opened)->execute("test.all", "shop-1", {reinterpret_cast<const uint8_t*>(input.data()), input.size()});
    // Fail-open: the call is ok on what "steady" gave; "behave" is skipped.
    ASSERT_EQ(r.status, ExecStatus::Ok) << (r.error ? r.error->message : "");
    EXPECT_EQ(r.output, R"({"result":1})");
  }
  std::vector<std::string> kept;
  for (const auto& entry : std::filesystem::directory_iterator(config.replay_capture.dir)) {
    kept.push_back(entry.path().string());
  }
  std::sort(kept.begin(), kept.end());
  ASSERT_EQ(kept.size(), 2u);  // one per failure, none for the extension that succeeded
  std::vector<std::string> statuses;
  for (const std::string& path : kept) {
    auto text = test::read_file(path);
    auto bundle = replay_bundle_from_json(std::string(text.begin(), text.end()));
    ASSERT_TRUE(bundle) << bundle.error().message;
    EXPECT_EQ(bundle->extension, "behave");
    EXPECT_EQ(bundle->reason, "failed (one extension of a combine all call, replayed alone)");
    EXPECT_NE(bundle->extension_point_definition.find(R"("combine":"single")"), std::string::npos);
    EXPECT_EQ(bundle->extension_point_definition.find("reduce"), std::string::npos);
    statuses.push_back(bundle->status);
    test::ProcessResult replayed = test::run_kiln({"replay", path});
    EXPECT_EQ(replayed.exit_code, 0) << replayed.out << replayed.err;
    EXPECT_NE(replayed.out.find("\nreproduced\n"), std::string::npos) << replayed.out;
  }
  std::sort(statuses.begin(), statuses.end());
  EXPECT_EQ(statuses, (std::vector<std::string>{"out of fuel", "trap"}));
}

}  // namespace
}  // namespace kiln::execute
