// kiln schema check SCHEMA [DOC]: validates a JSON document (DOC, or stdin)
// against a JSON Schema (draft 7), as kiln checks an extension's input,
// output and config. Exit 0 valid (prints "valid"), 1 invalid (prints every
// violation, "POINTER: message (keyword)"), 2 when the schema is refused, a
// file cannot be read or the document is not JSON (says why on stderr).
#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/json_scan.h"
#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "schema/json_schema.h"

namespace kiln::cli {
namespace {

constexpr int kExitInvalidDocument = 1;
constexpr int kExitBadInput = 2;

struct SchemaCheckOptions {
  std::string schema_path;
  std::string document_path;  // empty: stdin
};

// stdio rather than iostreams: reading a directory must fail, not throw.
std::optional<std::string> read_all(std::FILE* file) {
  std::string text;
  char chunk[1 << 16];
  size_t got;
  while ((got = std::fread(chunk, 1, sizeof chunk, file)) > 0) text.append(chunk, got);
  if (std::ferror(file)) return std::nullopt;
  return text;
}

std::optional<std::string> read_text_file(const std::string& path) {
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "rb"), std::fclose);
  if (!file) return std::nullopt;
  return read_all(file.get());
}

int run_schema_check(const SchemaCheckOptions& options) {
  std::optional<std::string> schema_text = read_text_file(options.schema_path);
  if (!schema_text) {
    std::fprintf(stderr, "kiln: %s: cannot read the schema\n", options.schema_path.c_str());
    return kExitBadInput;
  }
  Result<schema::JsonSchema> compiled = schema::JsonSchema::compile_text(*schema_text, options.schema_path);
  if (!compiled) {
    std::fprintf(stderr, "kiln: %s\n", compiled.error().message.c_str());
    return kExitBadInput;
  }

  std::string document_name = options.document_path.empty() ? "<stdin>" : options.document_path;
  std::optional<std::string> document_text =
      options.document_path.empty() ? read_all(stdin) : read_text_file(options.document_path);
  if (!document_text) {
    std::fprintf(stderr, "kiln: %s: cannot read the document\n", document_name.c_str());
    return kExitBadInput;
  }
  // The validator recurses: a document nested past kiln's limit is refused first.
  if (auto scan = base::scan_json(*document_text, ErrorKind::InvalidInput, document_name); !scan) {
    std::fprintf(stderr, "kiln: %s\n", scan.error().message.c_str());
    return kExitBadInput;
  }
  rapidjson::Document document;
  document.Parse<rapidjson::kParseIterativeFlag>(document_text->data(), document_text->size());
  if (document.HasParseError()) {
    std::fprintf(stderr, "kiln: %s: not JSON: %s (at offset %zu)\n", document_name.c_str(),
                 rapidjson::GetParseError_En(document.GetParseError()), document.GetErrorOffset());
    return kExitBadInput;
  }

  std::vector<schema::SchemaViolation> violations = compiled->validate(document);
  if (violations.empty()) {
    std::printf("valid\n");
    return kExitOk;
  }
  for (const schema::SchemaViolation& violation : violations) std::printf("%s\n", schema::to_string(violation).c_str());
  return kExitInvalidDocument;
}

}  // namespace

void add_schema_command(CLI::App& app, int& exit_code) {
  CLI::App* schema = app.add_subcommand("schema", "Work with JSON Schemas (draft 7)");
  schema->require_subcommand(1);
  CLI::App* check = schema->add_subcommand(
      "check", "Validate a JSON document against a schema: exit 0 valid, 1 invalid, 2 bad schema or document");
  auto options = std::make_shared<SchemaCheckOptions>();
  check->add_option("schema", options->schema_path, "The JSON Schema (draft 7) file")->required();
  check->add_option("document", options->document_path, "The JSON document; stdin when absent");
  check->callback([options, &exit_code] { exit_code = run_schema_check(*options); });
}

}  // namespace kiln::cli
