// attune-fuse-epilogues: the bias add, activation and residual add after a packed matmul
// become its epilogue, applied in the matmul kernel's registers before the single store: the
// product is written once instead of once per elementwise op. Grows each packed_matmul along
// its only use, in the order the epilogue applies them: + bias ([N]), activation, + residual
// (the result's shape). Each part can be turned off (options bias, activation, residual).
#include "ir/AttuneDialect.h"
#include "passes/Passes.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "llvm/ADT/TypeSwitch.h"

namespace attune {
#define GEN_PASS_DEF_ATTUNEFUSEEPILOGUESPASS
#include "passes/Passes.h.inc"
} // namespace attune

using namespace mlir;
using namespace attune;

namespace {

/// The other operand of `add` when one of its operands is `value`.
Value otherOperand(AddOp add, Value value) {
  return add.getLhs() == value ? add.getRhs() : add.getLhs();
}

/// A copy of `op` with `bias`, `residual` or `activation` set, in place of `consumer`.
void growInto(PatternRewriter &rewriter, PackedMatmulOp op, Operation *consumer, Value bias,
              Value residual, StringAttr activation) {
  rewriter.setInsertionPoint(consumer);
  auto grown = rewriter.create<PackedMatmulOp>(
      consumer->getLoc(), op.getResult().getType(), /*normalized=*/Type(), op.getLhs(),
      op.getPanels(), op.getScales(), bias ? bias : op.getBias(),
      residual ? residual : op.getResidual(),
      /*norm_gain=*/Value(), /*norm_bias=*/Value(), op.getColumnsAttr(),
      activation ? activation : op.getActivationAttr(), /*norm=*/StringAttr(),
      /*norm_epsilon=*/FloatAttr());
  rewriter.replaceOp(consumer, grown.getResult());
  rewriter.eraseOp(op);
}

struct FuseEpiloguePattern : OpRewritePattern<PackedMatmulOp> {
  FuseEpiloguePattern(MLIRContext *ctx, const EpilogueFusionOptions &options)
      : OpRewritePattern(ctx), options(options) {}

  LogicalResult matchAndRewrite(PackedMatmulOp op, PatternRewriter &rewriter) const override {
    if (op.getNorm())
      return rewriter.notifyMatchFailure(op, "a norm follows the epilogue");
    if (!op->hasOneUse())
      return rewriter.notifyMatchFailure(op, "the product has other uses");
    Operation *user = *op->user_begin();
    Value result = op.getResult();
    bool later = op.getActivation() || op.getResidual();
    if (auto add = dyn_cast<AddOp>(user); add && add.getType() == op.getResult().getType()) {
      Value other = otherOperand(add, result);
      auto otherType = cast<RankedTensorType>(other.getType());
      // A bias: [N], broadcast over the rows; it goes first, so only before anything else.
      if (options.bias && !op.getBias() && !later && other != result &&
          otherType.getShape() == ArrayRef<int64_t>{static_cast<int64_t>(op.getColumns())}) {
        growInto(rewriter, op, add, other, {}, {});
        return success();
      }
      // A residual: the result's own shape, last.
      if (options.residual && !op.getResidual() && other != result && otherType == op.getResult().getType()) {
        growInto(rewriter, op, add, {}, other, {});
        return success();
      }
      return rewriter.notifyMatchFailure(op, "the add is neither a bias nor a residual");
    }
    if (!options.activation || later)
      return rewriter.notifyMatchFailure(op, "no activation to fuse here");
    StringRef kind = TypeSwitch<Operation *, StringRef>(user)
                         .Case([](GeluOp gelu) {
                           return gelu.getApproximation() == "tanh" ? "gelu_tanh" : "gelu_erf";
                         })
                         .Case([](ReluOp) { return "relu"; })
                         .Case([](SiluOp) { return "silu"; })
                         .Default([](Operation *) { return ""; });
    if (kind.empty())
      return rewriter.notifyMatchFailure(op, "the use is not an epilogue op");
    growInto(rewriter, op, user, {}, {}, rewriter.getStringAttr(kind));
    return success();
  }

  EpilogueFusionOptions options;
};

struct FuseEpiloguesPass : attune::impl::AttuneFuseEpiloguesPassBase<FuseEpiloguesPass> {
  using AttuneFuseEpiloguesPassBase::AttuneFuseEpiloguesPassBase;
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateFuseEpiloguePatterns(patterns, {bias, activation, residual});
    if (failed(applyPatternsAndFoldGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace

void attune::populateFuseEpiloguePatterns(RewritePatternSet &patterns,
                                          const EpilogueFusionOptions &options) {
  patterns.add<FuseEpiloguePattern>(patterns.getContext(), options);
}
