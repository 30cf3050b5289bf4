#include "spectest/spec_runner.h"

#include <rapidjson/error/en.h>

#include <exception>
#include <fstream>
#include <iterator>
#include <map>
#include <optional>
#include <vector>

#include "kiln/instance.h"
#include "kiln/linker.h"
#include "kiln/module.h"
#include "kiln/store.h"
#include "spectest/spec_json.h"
#include "spectest/spec_values.h"
#include "spectest/spectest_module.h"
#include "wasm/wat_parser.h"

namespace kiln::spectest {

namespace {

// How one command went. `detail` completes the report line: for a failure
// "expected ... but ...", for a pass (shown with --verbose) what happened.
struct Verdict {
  bool passed = false;
  std::string detail;

  static Verdict pass(std::string detail = {}) { return {true, std::move(detail)}; }
  static Verdict fail(std::string detail) { return {false, std::move(detail)}; }
};

// A module file after loading: the module, or why it could not be made.
struct LoadedModule {
  std::optional<Module> module;
  std::string error;
  bool unreadable = false;  // the file itself is missing: a broken script, never a pass
};

struct Instantiation {
  std::optional<Instance> instance;
  std::string error;
  bool trapped = false;  // the start function or a segment initializer trapped
};

// An action (invoke or get) and what it produced.
struct Action {
  std::string description;  // `invoke "f"(i32:1)`, `get $M "g"`
  CallResult result;
};

std::optional<std::vector<uint8_t>> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::vector<uint8_t> bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  if (in.bad()) return std::nullopt;
  return bytes;
}

std::string_view as_text(const std::vector<uint8_t>& bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

CallResult failed_call(std::string error) {
  CallResult result;
  result.status = CallResult::Status::Failed;
  result.error = std::move(error);
  return result;
}

std::string describe_outcome(const CallResult& result, std::span<const ExpectedValue> hints) {
  switch (result.status) {
    case CallResult::Status::Returned: return "got " + describe(result.values, hints);
    case CallResult::Status::Trapped: return "got " + result.trap.describe();
    case CallResult::Status::Exited: return "the guest exited with code " + std::to_string(result.exit_code);
    case CallResult::Status::Failed: return "the action failed: " + result.error;
  }
  return "an unknown outcome";
}

std::string quoted(std::string_view text) { return "\"" + std::string(text) + "\""; }

class ScriptRunner {
 public:
  ScriptRunner(const Engine& engine, const SpecOptions& options, std::string dir, std::string source,
               std::ostream& out)
      : engine_(engine), options_(options), dir_(std::move(dir)), source_(std::move(source)), out_(out),
        store_(engine) {
    store_.limits().timeout = options.call_timeout;
    define_spectest_module(store_, linker_, options.verbose ? &out : nullptr);
  }

  void run(const Json& command);
  SpecSummary summary() const { return summary_; }

 private:
  void report(uint64_t line, std::string_view type, std::string_view text);
  Verdict dispatch(std::string_view type, const Json& command);
  Verdict on_module(const Json& command);
  Verdict on_register(const Json& command);
  Verdict on_assert_return(const Json& command);
  Verdict on_assert_either(const Json& command, const Json& either);
  Verdict on_assert_nan(const Json& command, NanPattern pattern);
  Verdict on_assert_trap(const Json& command, bool exhaustion);
  Verdict on_assert_rejected(const Json& command);
  Verdict on_assert_uninstantiable(const Json& command, bool must_trap);
  Verdict check_returned(const Action& action, const std::vector<ExpectedValue>& expected);

  const LoadedModule& load(const Json& command);
  LoadedModule load_file(const std::string& filename, bool text);
  Instantiation instantiate(const Module& module);
  std::optional<Instance> find_instance(const Json* name, std::string* error) const;
  Action perform(const Json& command);
  CallResult perform_get(const Instance& instance, std::string_view field) const;
  void forget(const Json& command);

  const Engine& engine_;
  SpecOptions options_;
  std::string dir_;
  std::string source_;
  std::ostream& out_;
  Store store_;
  Linker linker_;
  std::map<std::string, LoadedModule, std::less<>> modules_;  // by file name: each file is loaded once
  std::map<std::string, Instance, std::less<>> named_;
  std::optional<Instance> current_;
  SpecSummary summary_;
};

void ScriptRunner::run(const Json& command) {
  std::string type(string_member(command, "type").value_or("(untyped command)"));
  const Json* line = member(command, "line");
  uint64_t line_number = line && line->IsUint64() ? line->GetUint64() : 0;
  Verdict verdict;
  try {
    verdict = dispatch(type, command);
  } catch (const std::exception& e) {
    verdict = Verdict::fail(std::string("expected the command to run but it failed: ") + e.what());
  } catch (...) {
    verdict = Verdict::fail("expected the command to run but it failed with an unknown exception");
  }
  if (type != "register" || !verdict.passed) ++(verdict.passed ? summary_.passed : summary_.failed);
  if (!verdict.passed) {
    report(line_number, type, verdict.detail);
  } else if (options_.verbose) {
    report(line_number, type, verdict.detail.empty() ? "passed" : "passed: " + verdict.detail);
  }
}

void ScriptRunner::report(uint64_t line, std::string_view type, std::string_view text) {
  out_ << source_ << ":" << line << ": " << type << ": " << text << std::endl;
}

Verdict ScriptRunner::dispatch(std::string_view type, const Json& command) {
  if (type == "module") return on_module(command);
  if (type == "register") return on_register(command);
  // An `action` lists only the types of its results: any value of them passes.
  if (type == "action" || type == "assert_return") return on_assert_return(command);
  if (type == "assert_trap") return on_assert_trap(command, false);
  if (type == "assert_exhaustion") return on_assert_trap(command, true);
  if (type == "assert_invalid" || type == "assert_malformed") return on_assert_rejected(command);
  if (type == "assert_unlinkable") return on_assert_uninstantiable(command, false);
  if (type == "assert_uninstantiable") return on_assert_uninstantiable(command, true);
  // Older wast2json versions wrote NaN results as commands of their own.
  if (type == "assert_return_canonical_nan") return on_assert_nan(command, NanPattern::Canonical);
  if (type == "assert_return_arithmetic_nan") return on_assert_nan(command, NanPattern::Arithmetic);
  return Verdict::fail("expected a command kiln supports but " + quoted(type) + " is not one");
}

Verdict ScriptRunner::on_module(const Json& command) {
  const LoadedModule& loaded = load(command);
  if (!loaded.module) {
    forget(command);
    return Verdict::fail("expected the module to load but " + loaded.error);
  }
  Instantiation made = instantiate(*loaded.module);
  if (!made.instance) {
    forget(command);
    return Verdict::fail("expected the module to instantiate but " + made.error);
  }
  current_ = made.instance;
  if (auto name = string_member(command, "name")) named_.insert_or_assign(std::string(*name), *made.instance);
  return Verdict::pass();
}

// A module that failed is not current any more, and neither is its name:
// later actions fail rather than run against an older module.
void ScriptRunner::forget(const Json& command) {
  current_.reset();
  if (auto name = string_member(command, "name")) {
    if (auto it = named_.find(*name); it != named_.end()) named_.erase(it);
  }
}

Verdict ScriptRunner::on_register(const Json& command) {
  auto as = string_member(command, "as");
  if (!as) return Verdict::fail("expected a name to register as but the command has no \"as\"");
  std::string error;
  auto instance = find_instance(member(command, "name"), &error);
  if (!instance) return Verdict::fail("expected a module to register as " + quoted(*as) + " but " + error);
  linker_.define_instance(std::string(*as), *instance);
  return Verdict::pass();
}

Verdict ScriptRunner::on_assert_return(const Json& command) {
  if (const Json* either = member(command, "either")) return on_assert_either(command, *either);
  auto expected = parse_expected_list(member(command, "expected"));
  if (!expected) return Verdict::fail("expected well-formed results but " + expected.error().message);
  return check_returned(perform(command), *expected);
}

Verdict ScriptRunner::check_returned(const Action& action, const std::vector<ExpectedValue>& expected) {
  const CallResult& result = action.result;
  std::string outcome = describe_outcome(result, expected);
  if (result.returned() && matches(expected, result.values)) return Verdict::pass(action.description + ": " + outcome);
  return Verdict::fail("expected " + action.description + " to return " + describe(expected) + " but " + outcome);
}

// `(either v1 v2 ...)`: one result, equal to any of the alternatives.
Verdict ScriptRunner::on_assert_either(const Json& command, const Json& either) {
  auto alternatives = parse_expected_list(&either);
  if (!alternatives) return Verdict::fail("expected well-formed results but " + alternatives.error().message);
  Action action = perform(command);
  const CallResult& result = action.result;
  std::string outcome = describe_outcome(result, {});
  bool one = result.returned() && result.values.size() == 1;
  for (const ExpectedValue& alternative : *alternatives) {
    if (one && matches(alternative, result.values[0])) return Verdict::pass(action.description + ": " + outcome);
  }
  return Verdict::fail("expected " + action.description + " to return one of " + describe(*alternatives) + " but " +
                       outcome);
}

Verdict ScriptRunner::on_assert_nan(const Json& command, NanPattern pattern) {
  auto expected = parse_expected_list(member(command, "expected"));
  if (!expected) return Verdict::fail("expected well-formed results but " + expected.error().message);
  for (ExpectedValue& value : *expected) {
    if (value.type != ValType::F32 && value.type != ValType::F64) {
      return Verdict::fail(std::string("expected a float result but the script names ") + to_string(value.type));
    }
    value.any = false;
    value.lanes = {LanePattern{pattern, 0}};
  }
  return check_returned(perform(command), *expected);
}

Verdict ScriptRunner::on_assert_trap(const Json& command, bool exhaustion) {
  std::string text(string_member(command, "text").value_or(""));
  Action action = perform(command);
  const CallResult& result = action.result;
  std::string outcome = describe_outcome(result, {});
  bool passed = result.trapped() && (!exhaustion || result.trap.kind == TrapKind::CallStackExhausted);
  // The trap's message need not match the script's wording, only trap it must.
  if (passed) return Verdict::pass(action.description + ": " + outcome + " (script says " + quoted(text) + ")");
  std::string wanted = exhaustion ? "to exhaust the call stack (" : "to trap (";
  return Verdict::fail("expected " + action.description + " " + wanted + quoted(text) + ") but " + outcome);
}

// assert_invalid and assert_malformed: the module must not load. For a text
// module, failing to parse counts as well as failing to validate.
Verdict ScriptRunner::on_assert_rejected(const Json& command) {
  std::string text(string_member(command, "text").value_or(""));
  std::string file(string_member(command, "filename").value_or("the module"));
  const LoadedModule& loaded = load(command);
  if (loaded.unreadable) return Verdict::fail("expected " + file + " to be rejected but " + loaded.error);
  if (!loaded.module) return Verdict::pass(loaded.error);
  return Verdict::fail("expected " + file + " to be rejected (" + quoted(text) + ") but it loaded");
}

// assert_unlinkable (`must_trap` false): instantiation fails while linking.
// assert_uninstantiable (`must_trap` true): it links, then traps.
Verdict ScriptRunner::on_assert_uninstantiable(const Json& command, bool must_trap) {
  std::string text(string_member(command, "text").value_or(""));
  std::string file(string_member(command, "filename").value_or("the module"));
  std::string wanted = "expected " + file + (must_trap ? " to trap while instantiating (" : " to fail to link (") +
                       quoted(text) + ") but ";
  const LoadedModule& loaded = load(command);
  if (!loaded.module) return Verdict::fail(wanted + "it did not load: " + loaded.error);
  Instantiation made = instantiate(*loaded.module);
  if (made.instance) return Verdict::fail(wanted + "it instantiated");
  if (made.trapped != must_trap) {
    return Verdict::fail(wanted + (made.trapped ? "it trapped instead: " : "it failed to link instead: ") + made.error);
  }
  return Verdict::pass(made.error);
}

const LoadedModule& ScriptRunner::load(const Json& command) {
  std::string filename(string_member(command, "filename").value_or(""));
  if (auto it = modules_.find(filename); it != modules_.end()) return it->second;
  bool text = string_member(command, "module_type") == "text" || filename.ends_with(".wat");
  return modules_.emplace(filename, load_file(filename, text)).first->second;
}

LoadedModule ScriptRunner::load_file(const std::string& filename, bool text) {
  LoadedModule loaded;
  if (filename.empty()) {
    loaded.unreadable = true;
    loaded.error = "the command names no module file";
    return loaded;
  }
  std::string path = filename.front() == '/' || dir_.empty() ? filename : dir_ + "/" + filename;
  auto bytes = read_file(path);
  if (!bytes) {
    loaded.unreadable = true;
    loaded.error = "cannot read " + path;
    return loaded;
  }
  if (text) {
    auto binary = wasm::wat_to_wasm(as_text(*bytes), filename);
    if (!binary) {
      loaded.error = binary.error().message;
      return loaded;
    }
    *bytes = std::move(*binary);
  }
  auto module = Module::compile(engine_, *bytes, filename);
  if (module) loaded.module = std::move(*module);
  else loaded.error = module.error().message;
  return loaded;
}

Instantiation ScriptRunner::instantiate(const Module& module) {
  Instantiation made;
  std::optional<Trap> trap;
  auto instance = store_.instantiate(module, linker_, &trap);
  if (instance) {
    made.instance = *instance;
    return made;
  }
  made.error = instance.error().message;
  made.trapped = trap.has_value();
  return made;
}

std::optional<Instance> ScriptRunner::find_instance(const Json* name, std::string* error) const {
  if (!name) {
    if (!current_) *error = "there is no current module (none yet, or the last one failed)";
    return current_;
  }
  if (!name->IsString()) {
    *error = "the module name is not a string";
    return std::nullopt;
  }
  auto it = named_.find(std::string_view(name->GetString(), name->GetStringLength()));
  if (it != named_.end()) return it->second;
  *error = "there is no module " + std::string(name->GetString()) + " (never defined, or it failed)";
  return std::nullopt;
}

Action ScriptRunner::perform(const Json& command) {
  Action action;
  const Json* spec = member(command, "action");
  auto type = spec ? string_member(*spec, "type") : std::nullopt;
  auto field = spec ? string_member(*spec, "field") : std::nullopt;
  if (!type || !field) {
    action.description = "the action";
    action.result = failed_call("the command has no well-formed action");
    return action;
  }
  auto module = string_member(*spec, "module");
  action.description = std::string(*type) + " " + (module ? std::string(*module) + " " : "") + quoted(*field);
  std::string error;
  auto instance = find_instance(member(*spec, "module"), &error);
  auto args = parse_arguments(member(*spec, "args"));
  if (args && *type == "invoke") action.description += describe(*args);
  if (!instance) action.result = failed_call(error);
  else if (!args) action.result = failed_call(args.error().message);
  else if (*type == "invoke") action.result = instance->call(*field, *args);
  else if (*type == "get") action.result = perform_get(*instance, *field);
  else action.result = failed_call("unknown action type " + quoted(*type));
  return action;
}

CallResult ScriptRunner::perform_get(const Instance& instance, std::string_view field) const {
  auto item = instance.get_export(field);
  if (!item) return failed_call("no export " + quoted(field));
  if (item->kind != ExternKind::Global) return failed_call("export " + quoted(field) + " is not a global");
  CallResult result;
  result.values.push_back(store_.global_get(*item));
  return result;
}

std::string directory_of(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? "" : path.substr(0, slash == 0 ? 1 : slash);
}

SpecSummary script_failure(std::ostream& out, const std::string& json_path, const std::string& problem) {
  out << json_path << ": expected a wast2json script but " << problem << std::endl;
  return SpecSummary{0, 1};
}

}  // namespace

SpecSummary run_spec_script(const Engine& engine, const std::string& json_path, const SpecOptions& options,
                            std::ostream& out) {
  auto bytes = read_file(json_path);
  if (!bytes) return script_failure(out, json_path, "it cannot be read");
  std::string text = repair_missing_commas(as_text(*bytes));
  rapidjson::Document script;
  script.Parse(text.data(), text.size());
  if (script.HasParseError()) {
    return script_failure(out, json_path,
                          std::string("it is not JSON: ") + rapidjson::GetParseError_En(script.GetParseError()) +
                              " at offset " + std::to_string(script.GetErrorOffset()));
  }
  const Json* commands = array_member(script, "commands");
  if (!commands) return script_failure(out, json_path, "it has no \"commands\" list");
  std::string source(string_member(script, "source_filename").value_or(json_path));
  ScriptRunner runner(engine, options, directory_of(json_path), source, out);
  for (const Json& command : commands->GetArray()) runner.run(command);
  return runner.summary();
}

}  // namespace kiln::spectest
