#include "wasm/feature_detector.h"

#include <wabt/cast.h>
#include <wabt/ir.h>

#include <vector>

namespace kiln::wasm {
namespace {

constexpr uint8_t kMiscPrefix = 0xfc;
constexpr uint8_t kSimdPrefix = 0xfd;
constexpr uint32_t kLastSaturatingTruncCode = 0x07;  // i64.trunc_sat_f64_u

// Calls `visit` on every expression of `root`, nested bodies included. An
// explicit stack rather than recursion: a hostile body nests deeply.
template <class Visit>
void for_each_expr(const wabt::ExprList& root, Visit&& visit) {
  std::vector<const wabt::ExprList*> pending{&root};
  while (!pending.empty()) {
    const wabt::ExprList* list = pending.back();
    pending.pop_back();
    for (const wabt::Expr& expr : *list) {
      visit(expr);
      if (auto* block = wabt::dyn_cast<wabt::BlockExpr>(&expr)) {
        pending.push_back(&block->block.exprs);
      } else if (auto* loop = wabt::dyn_cast<wabt::LoopExpr>(&expr)) {
        pending.push_back(&loop->block.exprs);
      } else if (auto* if_expr = wabt::dyn_cast<wabt::IfExpr>(&expr)) {
        pending.push_back(&if_expr->true_.exprs);
        pending.push_back(&if_expr->false_);
      } else if (auto* try_expr = wabt::dyn_cast<wabt::TryExpr>(&expr)) {
        pending.push_back(&try_expr->block.exprs);
        for (const wabt::Catch& handler : try_expr->catches) pending.push_back(&handler.exprs);
      }
    }
  }
}

class Detector {
 public:
  explicit Detector(const wabt::Module& module) : module_(module) {}

  FeatureSet run() {
    scan_declarations();
    for (const wabt::Func* func : module_.funcs) scan_func(*func);
    for (const wabt::Global* global : module_.globals) scan_body(global->init_expr);
    for (const wabt::ElemSegment* segment : module_.elem_segments) scan_elem_segment(*segment);
    for (const wabt::DataSegment* segment : module_.data_segments) scan_data_segment(*segment);
    return features_;
  }

 private:
  void scan_declarations() {
    for (const wabt::TypeEntry* entry : module_.types) {
      if (auto* func_type = wabt::dyn_cast<wabt::FuncType>(entry)) scan_signature(func_type->sig);
    }
    for (const wabt::Memory* memory : module_.memories) {
      features_.threads |= memory->page_limits.is_shared;
      features_.memory64 |= memory->page_limits.is_64;
    }
    features_.multi_memory |= module_.memories.size() > 1;
    // The MVP allows one funcref table; anything else came with reference types.
    features_.reference_types |= module_.tables.size() > 1;
    for (const wabt::Table* table : module_.tables) note_ref_value(table->elem_type);
    for (const wabt::Global* global : module_.globals) note_value(global->type);
  }

  void scan_func(const wabt::Func& func) {
    scan_signature(func.decl.sig);
    for (wabt::Type type : func.local_types) note_value(type);
    scan_body(func.exprs);
  }

  void scan_elem_segment(const wabt::ElemSegment& segment) {
    features_.bulk_memory |= segment.kind == wabt::SegmentKind::Passive;
    features_.reference_types |= segment.kind == wabt::SegmentKind::Declared;
    note_ref_value(segment.elem_type);
    scan_body(segment.offset);
    // WABT holds even MVP function indexes as ref.func expressions; only
    // other element expressions (ref.null) need reference types.
    for (const wabt::ExprList& init : segment.elem_exprs) {
      bool plain_index = init.size() == 1 && wabt::isa<wabt::RefFuncExpr>(&init.front());
      if (!plain_index) features_.reference_types = true;
    }
  }

  void scan_data_segment(const wabt::DataSegment& segment) {
    features_.bulk_memory |= segment.kind == wabt::SegmentKind::Passive;
    scan_body(segment.offset);
  }

  void scan_signature(const wabt::FuncSignature& sig) {
    for (wabt::Type type : sig.param_types) note_value(type);
    for (wabt::Type type : sig.result_types) note_value(type);
    features_.multi_value |= sig.result_types.size() > 1;
  }

  // Block types: several results, or any parameters, need multi-value.
  void scan_block_type(const wabt::FuncSignature& sig) {
    scan_signature(sig);
    features_.multi_value |= !sig.param_types.empty();
  }

  void note_value(wabt::Type type) {
    features_.simd |= type == wabt::Type::V128;
    features_.reference_types |= type.IsRef();
  }

  // funcref tables and segments are MVP; other element types are not.
  void note_ref_value(wabt::Type type) { features_.reference_types |= type.IsRef() && type != wabt::Type::FuncRef; }

  void scan_body(const wabt::ExprList& body) {
    for_each_expr(body, [this](const wabt::Expr& expr) { scan_expr(expr); });
  }

  void scan_opcode(wabt::Opcode opcode) {
    features_.simd |= opcode.GetPrefix() == kSimdPrefix;
    features_.sign_extension |= opcode >= wabt::Opcode::I32Extend8S && opcode <= wabt::Opcode::I64Extend32S;
    features_.saturating_float_to_int |=
        opcode.GetPrefix() == kMiscPrefix && opcode.GetCode() <= kLastSaturatingTruncCode;
  }

  void scan_expr(const wabt::Expr& expr);

  const wabt::Module& module_;
  FeatureSet features_;
};

void Detector::scan_expr(const wabt::Expr& expr) {
  using wabt::ExprType;
  switch (expr.type()) {
    case ExprType::Binary:
      scan_opcode(wabt::cast<wabt::BinaryExpr>(&expr)->opcode);
      break;
    case ExprType::Compare:
      scan_opcode(wabt::cast<wabt::CompareExpr>(&expr)->opcode);
      break;
    case ExprType::Convert:
      scan_opcode(wabt::cast<wabt::ConvertExpr>(&expr)->opcode);
      break;
    case ExprType::Unary:
      scan_opcode(wabt::cast<wabt::UnaryExpr>(&expr)->opcode);
      break;
    case ExprType::Ternary:
      scan_opcode(wabt::cast<wabt::TernaryExpr>(&expr)->opcode);
      break;
    case ExprType::Load:
      scan_opcode(wabt::cast<wabt::LoadExpr>(&expr)->opcode);
      break;
    case ExprType::Store:
      scan_opcode(wabt::cast<wabt::StoreExpr>(&expr)->opcode);
      break;
    case ExprType::Const:
      features_.simd |= wabt::cast<wabt::ConstExpr>(&expr)->const_.type() == wabt::Type::V128;
      break;
    case ExprType::SimdLaneOp:
    case ExprType::SimdLoadLane:
    case ExprType::SimdStoreLane:
    case ExprType::SimdShuffleOp:
    case ExprType::LoadSplat:
    case ExprType::LoadZero:
      features_.simd = true;
      break;
    case ExprType::AtomicLoad:
    case ExprType::AtomicStore:
    case ExprType::AtomicRmw:
    case ExprType::AtomicRmwCmpxchg:
    case ExprType::AtomicWait:
    case ExprType::AtomicNotify:
    case ExprType::AtomicFence:
      features_.threads = true;
      break;
    case ExprType::ReturnCall:
    case ExprType::ReturnCallIndirect:
      features_.tail_call = true;
      break;
    case ExprType::MemoryCopy:
    case ExprType::MemoryFill:
    case ExprType::MemoryInit:
    case ExprType::DataDrop:
    case ExprType::TableCopy:
    case ExprType::TableInit:
    case ExprType::ElemDrop:
      features_.bulk_memory = true;
      break;
    case ExprType::TableGet:
    case ExprType::TableSet:
    case ExprType::TableGrow:
    case ExprType::TableSize:
    case ExprType::TableFill:
    case ExprType::RefNull:
    case ExprType::RefIsNull:
    case ExprType::RefFunc:
      features_.reference_types = true;
      break;
    case ExprType::Select: {
      // Only the typed form, select (result t), carries types; it came with
      // reference types.
      const wabt::TypeVector& types = wabt::cast<wabt::SelectExpr>(&expr)->result_type;
      features_.reference_types |= !types.empty();
      for (wabt::Type type : types) note_value(type);
      break;
    }
    case ExprType::Block:
      scan_block_type(wabt::cast<wabt::BlockExpr>(&expr)->block.decl.sig);
      break;
    case ExprType::Loop:
      scan_block_type(wabt::cast<wabt::LoopExpr>(&expr)->block.decl.sig);
      break;
    case ExprType::If:
      scan_block_type(wabt::cast<wabt::IfExpr>(&expr)->true_.decl.sig);
      break;
    case ExprType::Try:
      scan_block_type(wabt::cast<wabt::TryExpr>(&expr)->block.decl.sig);
      break;
    default:
      break;
  }
}

}  // namespace

FeatureSet detect_features(const wabt::Module& module) { return Detector(module).run(); }

}  // namespace kiln::wasm
