#include "wasm/init_expr_guard.h"

#include <wabt/binary-reader-nop.h>
#include <wabt/binary-reader.h>
#include <wabt/opcode.h>

#include <string>
#include <utility>

namespace kiln::wasm {
namespace {

bool allowed_in_constant_expression(wabt::Opcode opcode) {
  switch (opcode) {
    case wabt::Opcode::I32Const:
    case wabt::Opcode::I64Const:
    case wabt::Opcode::F32Const:
    case wabt::Opcode::F64Const:
    case wabt::Opcode::V128Const:
    case wabt::Opcode::GlobalGet:
    case wabt::Opcode::RefNull:
    case wabt::Opcode::RefFunc:
    case wabt::Opcode::End:
      return true;
    default:
      return false;
  }
}

class InitExprGuard : public wabt::BinaryReaderNop {
 public:
  // Keeps the reader's own first error (malformed binary) too: it is the
  // same one the IR reader would report, so decode can stop here.
  bool OnError(const wabt::Error& error) override {
    if (!problem_) problem_ = InitExprProblem{error.loc.offset, error.message};
    return true;
  }

  wabt::Result BeginGlobalInitExpr(wabt::Index) override { return enter(); }
  wabt::Result EndGlobalInitExpr(wabt::Index) override { return leave(); }
  wabt::Result BeginElemSegmentInitExpr(wabt::Index) override { return enter(); }
  wabt::Result EndElemSegmentInitExpr(wabt::Index) override { return leave(); }
  wabt::Result BeginDataSegmentInitExpr(wabt::Index) override { return enter(); }
  wabt::Result EndDataSegmentInitExpr(wabt::Index) override { return leave(); }

  wabt::Result OnOpcode(wabt::Opcode opcode) override {
    if (!in_init_expr_) return wabt::Result::Ok;
    if (!allowed_in_constant_expression(opcode)) {
      return fail(std::string("constant expression required, found ") + opcode.GetName());
    }
    saw_end_ = opcode == wabt::Opcode::End;
    return wabt::Result::Ok;
  }

  const std::optional<InitExprProblem>& problem() const { return problem_; }

 private:
  wabt::Result enter() {
    in_init_expr_ = true;
    saw_end_ = false;
    return wabt::Result::Ok;
  }
  // WABT ends an initializer at the end of its section even without an
  // `end` opcode; the spec says such a module is malformed.
  wabt::Result leave() {
    in_init_expr_ = false;
    if (saw_end_) return wabt::Result::Ok;
    return fail("unexpected end of initializer expression, expected end opcode");
  }
  wabt::Result fail(std::string message) {
    problem_ = InitExprProblem{state->offset, std::move(message)};
    return wabt::Result::Error;
  }

  bool in_init_expr_ = false;
  bool saw_end_ = false;
  std::optional<InitExprProblem> problem_;
};

}  // namespace

std::optional<InitExprProblem> check_init_exprs(std::span<const uint8_t> bytes, const wabt::Features& features) {
  InitExprGuard guard;
  wabt::ReadBinaryOptions options(features, /*log_stream=*/nullptr, /*read_debug_names=*/false,
                                  /*stop_on_first_error=*/true, /*fail_on_custom_section_error=*/false);
  // Function bodies are skipped: the IR reader handles them safely and the
  // guard only looks at initializers.
  options.skip_function_bodies = true;
  wabt::ReadBinary(bytes.data(), bytes.size(), &guard, options);
  return guard.problem();
}

}  // namespace kiln::wasm
