#include "wasm/wat_parser.h"

#include <wabt/binary-writer.h>
#include <wabt/ir.h>
#include <wabt/resolve-names.h>
#include <wabt/stream.h>
#include <wabt/wast-lexer.h>
#include <wabt/wast-parser.h>

#include <memory>
#include <string>

#include "wasm/decoder.h"

namespace kiln::wasm {
namespace {

// "name:line:col: message" for the first error, as compilers print them.
Error text_error(std::string_view name, const wabt::Errors& errors) {
  if (errors.empty()) return make_error(ErrorKind::InvalidModule, std::string(name) + ": cannot parse the text module");
  const wabt::Error& error = errors.front();
  return make_error(ErrorKind::InvalidModule, std::string(name) + ":" + std::to_string(error.loc.line) + ":" +
                    std::to_string(error.loc.first_column) + ": " + error.message);
}

}  // namespace

Result<std::vector<uint8_t>> wat_to_wasm(std::string_view text, std::string_view name) {
  wabt::Errors errors;
  std::unique_ptr<wabt::WastLexer> lexer = wabt::WastLexer::CreateBufferLexer(name, text.data(), text.size(), &errors);
  // The features kiln accepts, so that text using any other proposal is
  // malformed here exactly as its binary would be invalid in decode().
  wabt::WastParseOptions parse_options(accepted_features());
  std::unique_ptr<wabt::Module> module;
  if (wabt::Failed(wabt::ParseWatModule(lexer.get(), &module, &errors, &parse_options)) ||
      wabt::Failed(wabt::ResolveNamesModule(module.get(), &errors))) {
    return text_error(name, errors);
  }
  wabt::MemoryStream stream;
  wabt::WriteBinaryOptions write_options(accepted_features(), /*canonicalize_lebs=*/true, /*relocatable=*/false,
                                         /*write_debug_names=*/false);
  if (wabt::Failed(wabt::WriteBinaryModule(&stream, module.get(), write_options))) {
    return make_error(ErrorKind::InvalidModule, std::string(name) + ": cannot encode the text module");
  }
  return std::move(stream.output_buffer().data);
}

}  // namespace kiln::wasm
