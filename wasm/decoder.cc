#include "wasm/decoder.h"

#include <wabt/binary-reader-ir.h>
#include <wabt/binary-reader.h>
#include <wabt/cast.h>
#include <wabt/expr-visitor.h>
#include <wabt/ir.h>
#include <wabt/validator.h>

#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "wasm/init_expr_guard.h"
#include "wasm/module_inspector.h"

namespace kiln::wasm {

wabt::Features accepted_features() {
  wabt::Features features;  // WABT's defaults: the 2.0 core features and SIMD
  features.enable_threads();
  features.enable_tail_call();
  features.enable_memory64();
  features.enable_multi_memory();
  return features;
}

namespace {

// Moves the bodies of a function's nested blocks into `pending` so that the
// list can be destroyed without recursion.
void detach_children(wabt::ExprList& list, std::vector<wabt::ExprList>& pending) {
  for (wabt::Expr& expr : list) {
    if (auto* block = wabt::dyn_cast<wabt::BlockExpr>(&expr)) {
      pending.push_back(std::move(block->block.exprs));
    } else if (auto* loop = wabt::dyn_cast<wabt::LoopExpr>(&expr)) {
      pending.push_back(std::move(loop->block.exprs));
    } else if (auto* if_expr = wabt::dyn_cast<wabt::IfExpr>(&expr)) {
      pending.push_back(std::move(if_expr->true_.exprs));
      pending.push_back(std::move(if_expr->false_));
    } else if (auto* try_expr = wabt::dyn_cast<wabt::TryExpr>(&expr)) {
      pending.push_back(std::move(try_expr->block.exprs));
      for (wabt::Catch& handler : try_expr->catches) pending.push_back(std::move(handler.exprs));
    }
  }
}

// WABT frees nested expressions recursively, one stack frame chain per
// level; a hostile module nests millions deep (even one that fails to
// decode, whose partial IR is freed too). Tearing the bodies down level by
// level keeps destruction off the stack.
void release_module(std::unique_ptr<wabt::Module> module) {
  if (!module) return;
  std::vector<wabt::ExprList> pending;
  for (wabt::Func* func : module->funcs) pending.push_back(std::move(func->exprs));
  while (!pending.empty()) {
    wabt::ExprList list = std::move(pending.back());
    pending.pop_back();
    detach_children(list, pending);
  }
}

}  // namespace

DecodedModule::DecodedModule() = default;
DecodedModule::DecodedModule(DecodedModule&&) noexcept = default;
DecodedModule& DecodedModule::operator=(DecodedModule&& other) noexcept {
  release_module(std::move(ir));
  ir = std::move(other.ir);
  info = std::move(other.info);
  return *this;
}
DecodedModule::~DecodedModule() { release_module(std::move(ir)); }

namespace {

constexpr uint8_t kCodeSectionId = 10;

struct ByteRange {
  uint64_t begin = 0;
  uint64_t end = 0;
};

// Reads an unsigned LEB128 of at most 32 bits; nullopt when it runs off the
// end or is too long. Only used to find the code section for error messages,
// so a malformed header simply means "function unknown".
std::optional<uint32_t> read_leb_u32(std::span<const uint8_t> bytes, uint64_t& pos) {
  uint32_t value = 0;
  for (int shift = 0; shift < 35; shift += 7) {
    if (pos >= bytes.size()) return std::nullopt;
    uint8_t byte = bytes[pos++];
    value |= uint32_t{byte & 0x7fu} << shift;
    if (!(byte & 0x80)) return value;
  }
  return std::nullopt;
}

// Where the code section's payload lies, found by walking section headers.
std::optional<ByteRange> find_code_section(std::span<const uint8_t> bytes) {
  uint64_t pos = 8;  // magic + version
  while (pos < bytes.size()) {
    uint8_t id = bytes[pos++];
    std::optional<uint32_t> size = read_leb_u32(bytes, pos);
    if (!size) return std::nullopt;
    if (id == kCodeSectionId) return ByteRange{pos, pos + *size};
    pos += *size;
  }
  return std::nullopt;
}

// The function (in the function index space) whose body holds `offset`.
// BinaryReaderIR stamps each defined function with the offset of its body.
std::optional<uint32_t> function_at(const wabt::Module& module, std::span<const uint8_t> bytes,
                                    uint64_t offset) {
  std::optional<ByteRange> code = find_code_section(bytes);
  if (!code || offset < code->begin || offset > code->end) return std::nullopt;
  std::optional<uint32_t> found;
  for (size_t i = module.num_func_imports; i < module.funcs.size(); ++i) {
    uint64_t body = module.funcs[i]->loc.offset;
    if (body < code->begin || body > offset) break;
    found = static_cast<uint32_t>(i);
  }
  return found;
}

std::string one_line(std::string text) {
  for (char& c : text) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return text;
}

std::string hex(uint64_t value) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "0x%llx", static_cast<unsigned long long>(value));
  return buffer;
}

Error located_error(std::string_view name, std::optional<uint32_t> function, uint64_t offset,
                    std::string_view problem) {
  std::string where = function ? "function " + std::to_string(*function) + " at offset " : "at offset ";
  ErrorLocation location{.file = std::string(name), .func_index = function, .offset = offset};
  return make_error(ErrorKind::InvalidModule,
                    std::string(name) + ": " + where + hex(offset) + ": " + one_line(std::string(problem)),
                    std::move(location));
}

Error first_error(std::string_view name, const wabt::Module& module, std::span<const uint8_t> bytes,
                  const wabt::Errors& errors) {
  if (errors.empty()) return make_error(ErrorKind::InvalidModule, std::string(name) + ": invalid module", {.file = std::string(name)});
  const wabt::Error& error = errors.front();
  if (error.loc.offset == wabt::kInvalidOffset) {
    return make_error(ErrorKind::InvalidModule, std::string(name) + ": " + one_line(error.message),
                      {.file = std::string(name)});
  }
  uint64_t offset = error.loc.offset;
  return located_error(name, function_at(module, bytes, offset), offset, error.message);
}

// Tracks block nesting so that hostile modules nested millions deep are
// refused: WABT's binary writer and C writer recurse once per level.
class NestingMeter : public wabt::ExprVisitor::DelegateNop {
 public:
  explicit NestingMeter(uint32_t limit) : limit_(limit) {}

  wabt::Result BeginBlockExpr(wabt::BlockExpr* expr) override { return enter(*expr); }
  wabt::Result EndBlockExpr(wabt::BlockExpr*) override { return leave(); }
  wabt::Result BeginLoopExpr(wabt::LoopExpr* expr) override { return enter(*expr); }
  wabt::Result EndLoopExpr(wabt::LoopExpr*) override { return leave(); }
  wabt::Result BeginIfExpr(wabt::IfExpr* expr) override { return enter(*expr); }
  wabt::Result EndIfExpr(wabt::IfExpr*) override { return leave(); }
  wabt::Result BeginTryExpr(wabt::TryExpr* expr) override { return enter(*expr); }
  wabt::Result EndTryExpr(wabt::TryExpr*) override { return leave(); }

  uint64_t offending_offset() const { return offending_offset_; }

 private:
  wabt::Result enter(const wabt::Expr& expr) {
    if (++depth_ <= limit_) return wabt::Result::Ok;
    offending_offset_ = expr.loc.offset;
    return wabt::Result::Error;
  }
  wabt::Result leave() {
    --depth_;
    return wabt::Result::Ok;
  }

  uint32_t limit_;
  uint32_t depth_ = 0;
  uint64_t offending_offset_ = 0;
};

// Implementation limits beyond what the validator checks, so that a valid
// but hostile module cannot exhaust the host's stack or memory later.
std::optional<Error> check_limits(std::string_view name, wabt::Module& module, const DecodeOptions& options) {
  for (size_t i = module.num_func_imports; i < module.funcs.size(); ++i) {
    wabt::Func& func = *module.funcs[i];
    uint64_t locals = uint64_t{func.GetNumParams()} + func.GetNumLocals();
    if (locals > options.max_function_locals) {
      return located_error(name, static_cast<uint32_t>(i), func.loc.offset,
                           "function has " + std::to_string(locals) + " locals, over the limit of " +
                               std::to_string(options.max_function_locals));
    }
    NestingMeter meter(options.max_nesting_depth);
    wabt::ExprVisitor visitor(&meter);
    if (wabt::Failed(visitor.VisitFunc(&func))) {
      return located_error(name, static_cast<uint32_t>(i), meter.offending_offset(),
                           "blocks nested more than " + std::to_string(options.max_nesting_depth) + " deep");
    }
  }
  return std::nullopt;
}

// Runs the initializer guard, the IR reader, our limits, then the
// validator; the first problem found wins.
std::optional<Error> read_and_validate(std::span<const uint8_t> bytes, std::string_view name,
                                       const DecodeOptions& options, wabt::Module& module) {
  wabt::Features features = accepted_features();
  if (!options.multi_memory) features.disable_multi_memory();
  if (std::optional<InitExprProblem> problem = check_init_exprs(bytes, features)) {
    return located_error(name, std::nullopt, problem->offset, problem->message);
  }
  wabt::ReadBinaryOptions read_options(features, /*log_stream=*/nullptr, /*read_debug_names=*/false,
                                       /*stop_on_first_error=*/true, /*fail_on_custom_section_error=*/false);
  wabt::Errors errors;
  std::string filename(name);
  if (wabt::Failed(wabt::ReadBinaryIr(filename.c_str(), bytes.data(), bytes.size(), read_options, &errors,
                                      &module))) {
    return first_error(name, module, bytes, errors);
  }
  if (std::optional<Error> error = check_limits(name, module, options)) return error;
  if (wabt::Failed(wabt::ValidateModule(&module, &errors, wabt::ValidateOptions(features)))) {
    return first_error(name, module, bytes, errors);
  }
  return std::nullopt;
}

}  // namespace

Result<DecodedModule> decode(std::span<const uint8_t> bytes, std::string_view name, const DecodeOptions& options) {
  if (bytes.size() > options.max_module_bytes) {
    return make_error(ErrorKind::InvalidModule, std::string(name) + ": module is " + std::to_string(bytes.size()) +
                      " bytes, over the limit of " + std::to_string(options.max_module_bytes),
                      {.file = std::string(name)});
  }
  if (bytes.empty()) {
    return make_error(ErrorKind::InvalidModule, std::string(name) + ": empty file, not a WebAssembly module",
                      {.file = std::string(name)});
  }
  DecodedModule decoded;
  decoded.ir = std::make_unique<wabt::Module>();
  if (std::optional<Error> error = read_and_validate(bytes, name, options, *decoded.ir)) return *error;
  decoded.info = inspect(*decoded.ir, bytes.size());
  return decoded;
}

}  // namespace kiln::wasm
