#include "wasm/init_expr_guard.h"

#include <wabt/binary-reader-nop.h>
#include <wabt/binary-reader.h>
#include <wabt/opcode.h>

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
    if (!in_init_expr_ || allowed_in_constant_expression(opcode)) return wabt::Result::Ok;
    problem_ = InitExprProblem{state->offset,
                               std::string("constant expression required, found ") + opcode.GetName()};
    return wabt::Result::Error;
  }

  const std::optional<InitExprProblem>& problem() const { return problem_; }

 private:
  wabt::Result enter() {
    in_init_expr_ = true;
    return wabt::Result::Ok;
  }
  wabt::Result leave() {
    in_init_expr_ = false;
    return wabt::Result::Ok;
  }

  bool in_init_expr_ = false;
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
