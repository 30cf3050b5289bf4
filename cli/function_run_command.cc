// kiln function-run: run a Shopify Function the way Shopify's
// function-runner does — the JSON input on stdin, the output from stdout,
// the logs from stderr, the provider it imports linked in — and report
// instructions, memory and sizes against Shopify's limits
// (docs/shopify-functions.md).
#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <iterator>
#include <memory>
#include <optional>
#include <string>

#include "backends/aot/aot_backend.h"
#include "base/files.h"
#include "base/json_msgpack.h"
#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/function_run_report.h"
#include "host/function_memory_io.h"
#include "host/function_providers.h"
#include "kiln/engine.h"
#include "kiln/instance.h"
#include "kiln/linker.h"
#include "kiln/module.h"
#include "kiln/store.h"
#include "kiln/wasi.h"

namespace kiln::cli {

namespace {

struct FunctionRunOptions {
  std::string function_path;
  std::string input_path;
  std::string export_name = "_start";
  std::string providers;
  std::string codec;  // empty: what the provider speaks
  bool json = false;
};

constexpr const char* kExecutionFailed = "The Function execution failed. Review the logs for more information.";

int fail(int code, const std::string& message) {
  std::fprintf(stderr, "kiln: %s\n", message.c_str());
  return code;
}

int fail(const Error& error) { return fail(exit_code_for(error.kind), error.message); }

Result<std::string> read_input(const FunctionRunOptions& options) {
  if (options.input_path.empty() || options.input_path == "-") {
    return std::string(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  }
  auto text = base::read_file(options.input_path);
  if (!text) return make_error(ErrorKind::Io, "cannot read the input " + options.input_path);
  return *text;
}

// Line and column (1-based) of byte `offset` in `text`.
std::pair<size_t, size_t> line_and_column(const std::string& text, size_t offset) {
  size_t line = 1, column = 1;
  for (size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  return {line, column};
}

Result<void> check_input_json(const std::string& input, const std::string& where) {
  rapidjson::Document document;
  if (!document.Parse(input.data(), input.size()).HasParseError()) return {};
  auto [line, column] = line_and_column(input, document.GetErrorOffset());
  return make_error(ErrorKind::InvalidInput, "Invalid input JSON (" + where + "): " +
                                                 rapidjson::GetParseError_En(document.GetParseError()) + " at line " +
                                                 std::to_string(line) + " column " + std::to_string(column));
}

// The function and its provider, compiled on one engine
// (host::kLargestAotProvider says which providers stay on the interpreter).
struct Loaded {
  Module function;
  std::unique_ptr<host::FunctionProviders> providers;
};

Result<Loaded> load_on(BackendKind backend, const std::string& function_path, const std::string& directory) {
  auto engine = Engine::create(EngineConfig{.backend = backend});
  if (!engine) return engine.error();
  auto function = Module::from_file(*engine, function_path);
  if (!function) return function.error();
  return Loaded{*function, std::make_unique<host::FunctionProviders>(*engine, directory)};
}

bool provider_is_large(const std::string& directory, const std::string& name) {
  std::error_code ec;
  uint64_t size = std::filesystem::file_size(std::filesystem::path(directory) / (name + ".wasm"), ec);
  return !ec && size > host::kLargestAotProvider;
}

Result<Loaded> load(const FunctionRunOptions& options) {
  const std::string directory = host::provider_directory(options.providers);
  auto aot = load_on(BackendKind::Aot, options.function_path, directory);
  if (!aot) return aot.error();
  auto provider_name = host::function_provider(aot->function.info());
  if (!provider_name) {
    return make_error(provider_name.error().kind, options.function_path + ": " + provider_name.error().message);
  }
  if (!*provider_name) return aot;
  if (provider_is_large(directory, **provider_name)) return load_on(BackendKind::Interp, options.function_path, directory);
  auto provider = aot->providers->provider(**provider_name);
  if (!provider) return provider.error();
  if (!backends::is_interp_fallback(provider->backend_module())) return aot;
  return load_on(BackendKind::Interp, options.function_path, directory);
}

Result<void> check_export(const Module& function, const std::string& name) {
  const ExportDesc* found = function.info().find_export(name);
  if (!found || found->kind != ExternKind::Func) {
    return make_error(ErrorKind::Link, function.name() + ": the function exports no function '" + name +
                                           "' (pick one with --export NAME)");
  }
  // function-runner calls the export with no arguments and expects no results.
  if (!found->func_type.params.empty() || !found->func_type.results.empty()) {
    return make_error(ErrorKind::Link, function.name() + ": the export '" + name + "' has type " + found->type +
                                           "; a function's entry point takes and returns nothing");
  }
  return {};
}

// Why a run failed, in the words its log gets.
std::string failure_text(const CallResult& result) {
  switch (result.status) {
    case CallResult::Status::Returned: return "";
    case CallResult::Status::Exited:
      return result.exit_code == 0 ? "" : "module exited with code: " + std::to_string(result.exit_code);
    case CallResult::Status::Trapped: return result.trap.describe();
    case CallResult::Status::Failed: return result.error;
  }
  return "";
}

uint64_t memory_bytes(const Instance& function, const std::optional<Instance>& provider) {
  uint64_t bytes = function.memory().size();
  if (provider) bytes = std::max<uint64_t>(bytes, provider->memory().size());
  return bytes;
}

// How input reaches the function and output comes back: WASI streams or
// the provider's memory, JSON or MessagePack.
struct Io {
  std::optional<std::string> provider;
  bool memory = false;
  bool messagepack = false;
};

Result<Io> io_for(const Module& function, const std::string& codec) {
  auto provider = host::function_provider(function.info());
  if (!provider) return provider.error();
  Io io{*provider, false, false};
  if (io.provider) {
    io.memory = host::provider_uses_memory_io(*io.provider);
    io.messagepack = host::provider_uses_messagepack(*io.provider);
  }
  if (codec == "messagepack") io.messagepack = true;
  else if (codec == "json") io.messagepack = io.messagepack && io.memory;  // memory I/O is MessagePack only
  else if (!codec.empty()) return make_error(ErrorKind::InvalidArgument, "unknown --codec '" + codec + "' (json or messagepack)");
  return io;
}

// What the function produced, converted back to JSON when it speaks
// MessagePack; output_error says why it could not be.
struct Produced {
  std::string output;
  std::string logs;
  std::string output_error;
};

Result<Produced> collect(const Io& io, const std::optional<Instance>& provider, const host::WasiContext& wasi) {
  Produced produced{std::string(wasi.stdout_data()), std::string(wasi.stderr_data()), ""};
  if (io.memory) {
    auto from_memory = host::read_memory_output(*provider);
    if (!from_memory) return from_memory.error();
    produced.output = std::move(from_memory->output);
    produced.logs += from_memory->logs;
  }
  if (!io.messagepack) return produced;
  auto json = base::msgpack_to_json(produced.output, ErrorKind::InvalidOutput, "the function's output");
  if (json) produced.output = std::move(*json);
  else produced.output_error = json.error().message;
  return produced;
}

// The input as the guest reads it: MessagePack when the function speaks it.
Result<std::string> guest_input(const Io& io, const std::string& json) {
  if (!io.messagepack) return json;
  return base::json_to_msgpack(json, ErrorKind::InvalidInput, "the input");
}

// One run in a fresh Store: the provider linked, the input delivered, the
// export called, the output collected. Errors are kiln's (link, I/O); a
// function that fails is a report with success false.
Result<FunctionRunReport> execute(const FunctionRunOptions& options, const Loaded& loaded, const Io& io,
                                  const std::string& input) {
  auto delivered = guest_input(io, input);
  if (!delivered) return delivered.error();
  Store store(loaded.function.engine());
  host::WasiConfig wasi;
  wasi.stdio = host::WasiConfig::Stdio::Buffered;
  if (!io.memory) wasi.stdin_data = *delivered;
  wasi.args.push_back(std::filesystem::path(options.function_path).filename().string());
  auto context = std::make_shared<host::WasiContext>(std::move(wasi));
  host::attach_wasi(store, context);
  Linker linker;
  host::add_wasi(linker);
  auto provider = loaded.providers->link(loaded.function, store, linker);
  if (!provider) return provider.error();
  auto instance = store.instantiate(loaded.function, linker);
  if (!instance) return instance.error();
  if (io.memory) {
    if (auto written = host::write_memory_input(**provider, *delivered); !written) return written.error();
  }

  CallResult result = instance->call(options.export_name, {});
  auto produced = collect(io, *provider, *context);
  if (!produced) return produced.error();
  std::error_code ec;
  FunctionRunReport report;
  report.name = std::filesystem::path(options.function_path).filename().string();
  report.size_bytes = std::filesystem::file_size(options.function_path, ec);
  report.memory_bytes = memory_bytes(*instance, *provider);
  report.instructions = result.fuel_used;
  report.input = input;
  report.output = std::move(produced->output);
  report.output_error = std::move(produced->output_error);
  report.logs = produced->logs + failure_text(result);
  report.success = result.returned() || (result.status == CallResult::Status::Exited && result.exit_code == 0);
  return report;
}

int run(const FunctionRunOptions& options) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(options.function_path, ec)) {
    return fail(kExitUnreadable, "cannot read the function " + options.function_path + ": no such file");
  }
  auto input = read_input(options);
  if (!input) return fail(input.error());
  if (auto valid = check_input_json(*input, options.input_path.empty() ? "stdin" : options.input_path); !valid) {
    return fail(valid.error());
  }
  auto loaded = load(options);
  if (!loaded) return fail(loaded.error());
  if (auto exported = check_export(loaded->function, options.export_name); !exported) return fail(exported.error());
  auto io = io_for(loaded->function, options.codec);
  if (!io) return fail(io.error());
  auto report = execute(options, *loaded, *io, *input);
  if (!report) return fail(report.error());

  std::string printed = options.json ? report_json(*report) : report_text(*report, function_limits_for(input->size()));
  std::fwrite(printed.data(), 1, printed.size(), stdout);
  std::fflush(stdout);
  if (!report->success) return fail(kExitExtensionFailed, kExecutionFailed);
  if (!report->output_error.empty()) return fail(kExitInvalidOutput, report->output_error);
  return kExitOk;
}

}  // namespace

void add_function_run_command(CLI::App& app, int& exit_code) {
  auto options = std::make_shared<FunctionRunOptions>();
  CLI::App* cmd = app.add_subcommand("function-run", "Run a Shopify Function as Shopify's function-runner does");
  cmd->add_option("-f,--function", options->function_path, "The function (.wasm)")->required();
  cmd->add_option("-i,--input", options->input_path, "The JSON input; default stdin");
  cmd->add_option("-e,--export", options->export_name, "The export to call")->default_val("_start");
  cmd->add_option("--providers", options->providers,
                  "Directory of provider modules (<import module>.wasm); default $KILN_PROVIDERS");
  cmd->add_option("-c,--codec", options->codec,
                  "json or messagepack: how the function reads input and writes output; default: what its provider "
                  "speaks, else json");
  cmd->add_flag("-j,--json", options->json, "Print one JSON object instead of the summary");
  cmd->callback([options, &exit_code] { exit_code = run(*options); });
}

}  // namespace kiln::cli
