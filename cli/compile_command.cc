// kiln compile [-j N] [--cache-dir DIR] module.wasm...: runs the deploy
// pipeline (deploy/module_pipeline.h) on each module: AOT-compiles it
// into the artifact cache (backends/aot/artifact_cache.h), so that running
// them later starts no C compiler. Shows one progress line per module: built
// (and how long it took), already cached, or left to the interpreter (and
// why). Modules compile in parallel, N at a time. Every module compiled (or
// left to the interpreter) is recorded in the module index
// (backends/aot/module_index.h): that is how libkiln.so, which calls this
// command to compile, finds the result.
//
// A spec script (.json from wast2json) stands for every module it names, so
// `kiln compile script.json` before `kiln spectest --backend aot script.json`
// compiles a script's hundreds of modules in parallel rather than one by one
// as the runner meets them. Modules of a script that do not decode (they are
// meant to fail) are skipped.
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <rapidjson/document.h>

#include "base/files.h"
#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "deploy/module_pipeline.h"
#include "spectest/spec_json.h"

namespace kiln::cli {
namespace {

struct CompileOptions {
  std::vector<std::string> paths;
  std::string cache_dir;
  unsigned jobs = 0;
};

enum class Outcome { Built, Cached, Interpreter, Skipped, Failed };

struct Job {
  std::string path;
  bool from_script = false;  // a module a spec script names: may be invalid on purpose
};

// The modules a spec script names, in order, each once.
std::vector<std::string> script_modules(const std::string& script, std::string& error) {
  std::ifstream in(script, std::ios::binary);
  std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  // wast2json 1.0.32 sometimes drops commas between objects.
  text = spectest::repair_missing_commas(text);
  rapidjson::Document doc;
  doc.Parse(text.data(), text.size());
  if (!in.good() && text.empty()) {
    error = "cannot read the file";
    return {};
  }
  if (doc.HasParseError() || !doc.IsObject() || !doc.HasMember("commands") || !doc["commands"].IsArray()) {
    error = "not a spec script (wast2json output)";
    return {};
  }
  std::string dir = script.substr(0, script.find_last_of('/') + 1);
  std::vector<std::string> modules;
  for (const auto& command : doc["commands"].GetArray()) {
    if (!command.IsObject() || !command.HasMember("filename") || !command["filename"].IsString()) continue;
    std::string name = command["filename"].GetString();
    if (name.size() < 5 || name.compare(name.size() - 5, 5, ".wasm") != 0) continue;
    std::string path = dir + name;
    if (std::find(modules.begin(), modules.end(), path) == modules.end()) modules.push_back(path);
  }
  return modules;
}

struct Report {
  Outcome outcome = Outcome::Failed;
  std::string detail;
  ErrorKind kind = ErrorKind::Internal;  // when Failed
};

// The deploy pipeline (deploy/module_pipeline.h), as the engine runs it.
Report compile_one(const std::string& cache_dir, const Job& job) {
  const std::string& path = job.path;
  auto bytes = base::read_file_bytes(path);
  if (!bytes) return {Outcome::Failed, "cannot read the file", ErrorKind::Io};
  deploy::PipelineOptions options;
  options.name = path;
  options.cache_dir = cache_dir;
  auto prepared = deploy::prepare_module(*bytes, options);
  if (!prepared) {
    const Error& error = prepared.error();
    // A spec script's modules that do not decode are meant not to.
    if (job.from_script && error.kind == ErrorKind::InvalidModule) return {Outcome::Skipped, error.message};
    return {Outcome::Failed, error.message, error.kind};
  }
  if (prepared->backend == BackendKind::Interp) return {Outcome::Interpreter, prepared->interp_reason};
  // The artifact's size: what a deploy stores and every process maps.
  std::error_code ec;
  const auto bytes_on_disk = std::filesystem::file_size(prepared->artifact_path, ec);
  const std::string size = ec ? "" : std::to_string(bytes_on_disk) + " bytes, ";
  if (prepared->artifact_cached) return {Outcome::Cached, size + prepared->artifact_path};
  char seconds[32];
  std::snprintf(seconds, sizeof seconds, "%.2f s", prepared->compile_seconds);
  return {Outcome::Built, std::string(seconds) + ", " + size + prepared->artifact_path};
}

int run_compile(const CompileOptions& options) {
  std::vector<Job> jobs_list;
  for (const std::string& path : options.paths) {
    if (path.size() > 5 && path.compare(path.size() - 5, 5, ".json") == 0) {
      std::string error;
      auto modules = script_modules(path, error);
      if (!error.empty()) {
        std::fprintf(stderr, "kiln: %s: %s\n", path.c_str(), error.c_str());
        return kExitUnreadable;
      }
      for (std::string& module : modules) jobs_list.push_back({std::move(module), true});
    } else {
      jobs_list.push_back({path, false});
    }
  }
  const size_t total = jobs_list.size();
  if (total == 0) return kExitOk;
  unsigned jobs = options.jobs ? options.jobs : std::max(1u, std::thread::hardware_concurrency());
  jobs = std::min<unsigned>(jobs, static_cast<unsigned>(total));
  std::atomic<size_t> next{0};
  std::atomic<size_t> done{0};
  std::atomic<int> failures{0};
  std::atomic<ErrorKind> first_failure{ErrorKind::Internal};
  std::mutex print;
  auto worker = [&] {
    for (size_t i = next++; i < total; i = next++) {
      Report report = compile_one(options.cache_dir, jobs_list[i]);
      std::lock_guard lock(print);
      size_t n = ++done;
      const char* what = report.outcome == Outcome::Built    ? "compiled"
                         : report.outcome == Outcome::Cached ? "cached"
                         : report.outcome == Outcome::Interpreter ? "note: stays on the interpreter"
                         : report.outcome == Outcome::Skipped     ? "skipped, does not decode"
                                                                  : "error";
      std::FILE* out = report.outcome == Outcome::Failed ? stderr : stdout;
      std::fprintf(out, "[%zu/%zu] %s: %s (%s)\n", n, total, jobs_list[i].path.c_str(), what, report.detail.c_str());
      std::fflush(out);
      if (report.outcome == Outcome::Failed && failures++ == 0) first_failure = report.kind;
    }
  };
  std::vector<std::thread> threads;
  for (unsigned t = 1; t < jobs; ++t) threads.emplace_back(worker);
  worker();
  for (std::thread& thread : threads) thread.join();
  // libkiln.so reads the kind of a failure from this code (library/front_runtime.cc).
  return failures ? exit_code_for(first_failure) : kExitOk;
}

}  // namespace

void add_compile_command(CLI::App& app, int& exit_code) {
  auto options = std::make_shared<CompileOptions>();
  CLI::App* command = app.add_subcommand("compile", "AOT-compile modules into the artifact cache");
  command->add_option("modules", options->paths, "WebAssembly modules (.wasm) or spec scripts (.json)")->required();
  command->add_option("--cache-dir", options->cache_dir,
                      "artifact cache (default: $KILN_CACHE_DIR, $XDG_CACHE_HOME/kiln or ~/.cache/kiln)");
  command->add_option("-j,--jobs", options->jobs, "modules compiled at once (default: one per core)");
  command->callback([options, &exit_code] { exit_code = run_compile(*options); });
}

}  // namespace kiln::cli
