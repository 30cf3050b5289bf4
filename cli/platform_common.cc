#include "cli/platform_common.h"

#include <fstream>
#include <iterator>

#include "cli/exit_codes.h"

namespace kiln::cli {

void add_registry_option(CLI::App* command, std::string& path) {
  command->add_option("--registry", path,
                      "registry file (default: $KILN_HOME/registry.db, else $XDG_DATA_HOME/kiln/registry.db)");
}

std::unique_ptr<registry::Registry> open_registry(const std::string& path, int& exit_code) {
  auto registry = registry::Registry::open(path.empty() ? registry::Registry::default_path() : path);
  if (!registry) {
    exit_code = report(registry.error());
    return nullptr;
  }
  return std::move(*registry);
}

int report(const Error& error) {
  std::fprintf(stderr, "kiln: %s\n", error.message.c_str());
  return exit_code_for(error.kind);
}

Result<std::string> read_text_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(ErrorKind::Io, path + ": cannot read the file");
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

Result<std::vector<uint8_t>> read_binary_file(const std::string& path) {
  auto text = read_text_file(path);
  if (!text) return text.error();
  return std::vector<uint8_t>(text->begin(), text->end());
}

std::string short_time(const std::string& iso) {
  std::string out = iso.substr(0, 19);
  if (out.size() > 10 && out[10] == 'T') out[10] = ' ';
  return out;
}

}  // namespace kiln::cli
