// kiln replay FILE [--json]: runs a replay bundle (docs/replay.md) again, in
// a registry of its own made for the purpose, and says whether the call came
// out the same: the same output, or the same failure at the same fuel.
//
// The bundle's module is deployed under its extension point definition
// and config into a fresh registry in a temporary folder, so a replay
// needs nothing of the machine that recorded it; the guest gets the
// recorded clock readings and random bytes. A deadline is replayed as a
// fuel limit equal to the fuel used when it fired (time does not
// repeat; instructions do), and time limits are relaxed to at least a
// minute so that a slower machine cannot end a replay early.
#include <cstdio>
#include <filesystem>
#include <string>

#include "base/files.h"
#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "deploy/extension_deploy.h"
#include "execute/exec_result_json.h"
#include "execute/local_executor.h"
#include "execute/replay_bundle.h"
#include "registry/registry.h"

namespace kiln::cli {

namespace {

using namespace std::chrono_literals;

int fail(int code, const std::string& message) {
  std::fprintf(stderr, "kiln: %s\n", message.c_str());
  return code;
}

struct ReplayOptions {
  std::string path;
  bool json = false;
};

// A temporary folder, removed with everything in it when this goes.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "kiln-replay-XXXXXX").string();
    if (mkdtemp(pattern.data())) path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    if (!path_.empty()) std::filesystem::remove_all(path_, ignored);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// The bundle's extension, deployed alone into a new registry at `dir`.
Result<void> deploy_bundle(const execute::ReplayBundle& bundle, const std::string& dir) {
  auto registry = registry::Registry::open(dir + "/registry.db");
  if (!registry) return registry.error();
  auto ep = registry::parse_extension_point(bundle.extension_point_definition, "the bundle's extension point");
  if (!ep) return ep.error();
  if (auto created = (*registry)->create_extension_point(*ep, "kiln replay"); !created) return created.error();
  deploy::ExtensionDeployRequest request;
  request.module_name = bundle.extension + ".wasm";
  request.extension_point = ep->name;
  request.scope = bundle.scope;
  request.name = bundle.extension;
  request.config = bundle.config;
  request.who = "kiln replay";
  auto deployed = deploy::deploy_extension(**registry, bundle.module, request);
  if (!deployed) return deployed.error();
  return {};
}

execute::CallOptions replay_options(const execute::ReplayBundle& bundle) {
  execute::CallOptions options;
  options.tape = host::WasiTape::replaying(bundle.tape);
  const bool deadline = bundle.status == execute::to_string(execute::ExecStatus::Deadline);
  options.fuel_limit = deadline ? bundle.fuel_used : bundle.fuel_limit;
  options.time_limit = std::max<std::chrono::nanoseconds>(std::chrono::nanoseconds(bundle.time_limit_ns), 60s);
  return options;
}

// Empty when the replay did what the recording did; else what differs.
std::string difference(const execute::ReplayBundle& bundle, const execute::ExecResult& replayed) {
  std::string expected = bundle.status;
  if (expected == execute::to_string(execute::ExecStatus::Deadline)) {
    expected = execute::to_string(execute::ExecStatus::OutOfFuel);
  }
  if (expected != execute::to_string(replayed.status)) {
    return "the recording ended with \"" + bundle.status + "\", the replay with \"" +
           execute::to_string(replayed.status) + "\"" + (replayed.error ? ": " + replayed.error->message : "");
  }
  // Out of fuel is noticed at the charge that crosses the limit, so a
  // replayed deadline (a limit of exactly the fuel used) reports the fuel
  // of that last straight-line run too.
  const bool was_deadline = bundle.status == execute::to_string(execute::ExecStatus::Deadline);
  if (was_deadline ? replayed.fuel_used < bundle.fuel_used : replayed.fuel_used != bundle.fuel_used) {
    return "the recording used " + std::to_string(bundle.fuel_used) + " fuel, the replay " +
           std::to_string(replayed.fuel_used);
  }
  if (replayed.output != bundle.output) return "the output differs";
  return {};
}

std::string trimmed(std::string text) {
  while (!text.empty() && text.back() == '\n') text.pop_back();
  return text;
}

int run_replay(const ReplayOptions& options) {
  auto text = base::read_file(options.path);
  if (!text) return fail(kExitUnreadable, options.path + ": cannot read the bundle");
  auto bundle = execute::replay_bundle_from_json(*text);
  if (!bundle) return fail(exit_code_for(bundle.error().kind), options.path + ": " + bundle.error().message);
  TempDir dir;
  if (dir.path().empty()) return fail(kExitFailure, "cannot make a temporary folder for the replay");
  if (auto deployed = deploy_bundle(*bundle, dir.path()); !deployed) {
    return fail(exit_code_for(deployed.error().kind), options.path + ": " + deployed.error().message);
  }
  execute::LocalExecutorConfig config;
  config.registry_path = dir.path() + "/registry.db";
  auto executor = execute::LocalExecutor::open(config);
  if (!executor) return fail(exit_code_for(executor.error().kind), executor.error().message);
  auto ep = registry::parse_extension_point(bundle->extension_point_definition, "bundle");
  const std::string input = bundle->input;
  execute::ExecResult replayed =
      (*executor)->execute(ep->name, bundle->scope, {reinterpret_cast<const uint8_t*>(input.data()), input.size()},
                           replay_options(*bundle));
  std::string diff = difference(*bundle, replayed);
  if (options.json) {
    std::printf("{\"reproduced\":%s,\"difference\":\"%s\",\"result\":%s}\n", diff.empty() ? "true" : "false",
                diff.empty() ? "" : "see the result", execute::to_json(replayed).c_str());
  } else {
    std::printf("%s v%lld on %s, recorded %s by kiln %s (%s)\n", bundle->extension.c_str(),
                static_cast<long long>(bundle->version), ep->name.c_str(), bundle->recorded_at.c_str(),
                bundle->kiln_version.c_str(), bundle->reason.c_str());
    std::printf("replayed: %s, fuel %llu%s\n", execute::to_string(replayed.status),
                static_cast<unsigned long long>(replayed.fuel_used),
                replayed.error ? (": " + replayed.error->message).c_str() : "");
    if (!replayed.output.empty()) std::printf("output: %s\n", trimmed(replayed.output).c_str());
    if (!replayed.log.empty()) std::printf("log: %s\n", trimmed(replayed.log).c_str());
    std::printf("%s\n", diff.empty() ? "reproduced" : ("NOT reproduced: " + diff).c_str());
  }
  return diff.empty() ? kExitOk : kExitFailure;
}

}  // namespace

void add_replay_command(CLI::App& app, int& exit_code) {
  auto options = std::make_shared<ReplayOptions>();
  CLI::App* cmd = app.add_subcommand("replay", "Run a replay bundle again and check it comes out the same");
  cmd->add_option("bundle", options->path, "the bundle (kiln exec --save-replay, or a replay directory's)")
      ->required();
  cmd->add_flag("--json", options->json, "print the verdict and the replayed result as JSON");
  cmd->callback([options, &exit_code] { exit_code = run_replay(*options); });
}

}  // namespace kiln::cli
