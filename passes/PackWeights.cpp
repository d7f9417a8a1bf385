// attune-pack-weights: a matmul by a weight reads the weight as column panels, the layout the
// matmul kernel streams (VectorMatmul.cpp). The entry function gets one argument per
// (weight, layout) in panel form, tagged `attune.packed` with the shape the file stores; the
// runtime packs the file's tensor into it when the model is opened. Both Hugging Face layouts
// ([K, N] Conv1D and [N, K] nn.Linear, read through a transpose) become the same panels, so
// both run at the same speed. A weight nothing else reads loses its unpacked argument.
// bf16 panels for a target with a bf16 dot product (`bf16_dot` in attune.target) come in k
// pairs, [P, K/2, width, 2], the operand layout of that instruction.
#include "ir/Abi.h"
#include "ir/AttuneDialect.h"
#include "ir/Target.h"
#include "passes/Passes.h"

#include "mlir/IR/Builders.h"
#include "llvm/ADT/BitVector.h"

#include <map>

namespace attune {
#define GEN_PASS_DEF_ATTUNEPACKWEIGHTSPASS
#include "passes/Passes.h.inc"
} // namespace attune

using namespace mlir;
using namespace attune;

namespace {

/// The weight argument `value` reads (through its to_tensor), if it is one.
BlockArgument weightArgument(Value value) {
  auto toTensor = value.getDefiningOp<bufferization::ToTensorOp>();
  auto arg = toTensor ? dyn_cast<BlockArgument>(toTensor.getMemref()) : BlockArgument();
  if (!arg || !isa<func::FuncOp>(arg.getOwner()->getParentOp()))
    return {};
  auto func = cast<func::FuncOp>(arg.getOwner()->getParentOp());
  auto role = func.getArgAttrOfType<StringAttr>(arg.getArgNumber(), abi::kRole);
  return role && role.getValue() == "weight" ? arg : BlockArgument();
}

class EntryPacker {
public:
  /// `pairAlignment`: bf16 panels of a weight whose K is a multiple of it are packed in k
  /// pairs (for the target's bf16 dot product); 0: never.
  EntryPacker(func::FuncOp func, int64_t width, Type element, int64_t pairAlignment)
      : func(func), width(width), element(element), pairAlignment(pairAlignment), b(func) {}

  void run() {
    SmallVector<MatmulOp> matmuls;
    func.walk([&](MatmulOp op) { matmuls.push_back(op); });
    for (MatmulOp op : matmuls)
      pack(op);
    eraseUnusedWeights();
  }

private:
  void pack(MatmulOp op) {
    Value rhs = op.getRhs();
    bool transposed = false;
    if (auto transpose = rhs.getDefiningOp<TransposeOp>();
        transpose && transpose.swapsLastTwoDims()) {
      rhs = transpose.getInput();
      transposed = true;
    }
    BlockArgument weight = weightArgument(rhs);
    auto weightType = cast<RankedTensorType>(rhs.getType());
    RankedTensorType lhs = op.getLhs().getType();
    // Panels hold one matrix shared by every row: a 2-D f32 weight, and a static K to size
    // the panels by.
    if (!weight || weightType.getRank() != 2 || !weightType.getElementType().isF32() ||
        lhs.isDynamicDim(lhs.getRank() - 1))
      return;
    int64_t k = weightType.getDimSize(transposed ? 1 : 0);
    int64_t n = weightType.getDimSize(transposed ? 0 : 1);
    auto [panels, scales] = panelsOf(weight, transposed, k, n);
    b.setInsertionPoint(op);
    auto packed =
        b.create<PackedMatmulOp>(op.getLoc(), op.getType(), op.getLhs(), panels, scales, n);
    Operation *transpose = op.getRhs().getDefiningOp();
    op.replaceAllUsesWith(packed.getResult());
    op.erase();
    if (transpose && isa<TransposeOp>(transpose) && transpose->use_empty())
      transpose->erase();
  }

  /// The tensor of `weight` in panels, and for i8 panels that of its column scales (made
  /// once per weight and layout).
  std::pair<Value, Value> panelsOf(BlockArgument weight, bool transposed, int64_t k, int64_t n) {
    auto &[panels, scales] = made[{weight.getArgNumber(), transposed}];
    if (panels)
      return {panels, scales};
    int64_t count = (n + width - 1) / width;
    // The dot product's kernel converts its rows of A to bf16 a vector at a time: K pairs
    // where K is whole vectors.
    bool pairs = element.isBF16() && pairAlignment > 0 && k % pairAlignment == 0;
    auto type = pairs ? MemRefType::get({count, k / 2, width, 2}, element)
                      : MemRefType::get({count, k, width}, element);
    panels = addPacked(weight, transposed, type, false);
    if (element.isInteger(8))
      scales =
          addPacked(weight, transposed, MemRefType::get({count * width}, b.getF32Type()), true);
    return {panels, scales};
  }

  /// A new weight argument of `type` filled from `weight` when the model opens: its panels,
  /// or (`scales`) the scale of each column of its i8 panels.
  Value addPacked(BlockArgument weight, bool transposed, MemRefType type, bool scales) {
    unsigned index = firstOutput();
    ArrayRef<int64_t> stored = cast<MemRefType>(weight.getType()).getShape();
    SmallVector<NamedAttribute> packing{b.getNamedAttr("shape", b.getI64ArrayAttr(stored)),
                                        b.getNamedAttr("transposed", b.getBoolAttr(transposed))};
    if (scales)
      packing.push_back(b.getNamedAttr(abi::kPackedScales, b.getI64IntegerAttr(width)));
    SmallVector<NamedAttribute> attrs{
        b.getNamedAttr(abi::kName, func.getArgAttr(weight.getArgNumber(), abi::kName)),
        b.getNamedAttr(abi::kRole, b.getStringAttr("weight")),
        b.getNamedAttr(abi::kPacked, b.getDictionaryAttr(packing))};
    (void)func.insertArgument(index, type, b.getDictionaryAttr(attrs), weight.getLoc());
    b.setInsertionPointToStart(&func.getBody().front());
    return b.create<bufferization::ToTensorOp>(weight.getLoc(), func.getArgument(index),
                                               /*restrict=*/true);
  }

  /// Packed weights go after the other weights, before the outputs.
  unsigned firstOutput() {
    for (unsigned i = 0; i < func.getNumArguments(); ++i) {
      auto role = func.getArgAttrOfType<StringAttr>(i, abi::kRole);
      if (role && role.getValue() == "output")
        return i;
    }
    return func.getNumArguments();
  }

  /// Weights read only through panels now: their unpacked argument goes.
  void eraseUnusedWeights() {
    llvm::BitVector unused(func.getNumArguments());
    for (BlockArgument arg : func.getArguments()) {
      auto role = func.getArgAttrOfType<StringAttr>(arg.getArgNumber(), abi::kRole);
      if (!role || role.getValue() != "weight" || !arg.hasOneUse())
        continue;
      Operation *toTensor = arg.use_begin()->getOwner();
      if (isa<bufferization::ToTensorOp>(toTensor) && toTensor->use_empty()) {
        toTensor->erase();
        unused.set(arg.getArgNumber());
      }
    }
    func.eraseArguments(unused);
  }

  func::FuncOp func;
  int64_t width;
  Type element; // of the panels: f32, bf16 or i8
  int64_t pairAlignment;
  OpBuilder b;
  std::map<std::pair<unsigned, bool>, std::pair<Value, Value>> made;
};

struct PackWeightsPass : attune::impl::AttunePackWeightsPassBase<PackWeightsPass> {
  using AttunePackWeightsPassBase::AttunePackWeightsPassBase;
  void runOnOperation() override {
    Builder b(&getContext());
    Type element = precision == "fp32"   ? Type(b.getF32Type())
                   : precision == "bf16" ? Type(b.getBF16Type())
                   : precision == "int8" ? Type(b.getI8Type())
                                         : Type();
    if (!element) {
      getOperation().emitError("attune-pack-weights: precision must be fp32, bf16 or int8, got '")
          << precision << "'";
      return signalPassFailure();
    }
    // Two vectors per panel row: the matmul kernel's register tile is that wide. i8 panels
    // four: a decode step's one-row tile then reads 64 bytes a k step (a line on AVX-512),
    // which it needs to stream at the memory's speed (GPT-2-small, Zen 5, 1 thread: its
    // products 5.7 ms a step at 64 columns, 8.0-8.5 ms at 32).
    TargetDescription target = targetOf(getOperation());
    int64_t vectors = element.isInteger(8) ? 4 : 2;
    int64_t width = panelWidth > 0 ? int64_t(panelWidth) : vectors * target.lanes;
    int64_t pairAlignment = target.bf16Dot ? target.lanes : 0;
    for (auto func : getOperation().getOps<func::FuncOp>())
      if (func->hasAttr(abi::kEntry) && !func.isExternal())
        EntryPacker(func, width, element, pairAlignment).run();
  }
};

} // namespace
