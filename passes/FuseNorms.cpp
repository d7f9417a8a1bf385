// attune-fuse-norms: the layer or RMS norm of a packed matmul's result that carries a fused
// residual add (the norm after every residual add of a pre- or post-norm block) becomes the
// matmul's second result. The kernel normalizes each block of rows when its last task has
// stored them, while they are in cache, rather than a kernel of its own reading the whole
// sum back after all of the product (and the threads meeting once more in between).
#include "ir/AttuneDialect.h"
#include "passes/Passes.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace attune {
#define GEN_PASS_DEF_ATTUNEFUSENORMSPASS
#include "passes/Passes.h.inc"
} // namespace attune

using namespace mlir;
using namespace attune;

namespace {

Value biasOf(LayerNormOp op) { return op.getBias(); }
Value biasOf(RmsNormOp) { return {}; }
StringRef kindOf(LayerNormOp) { return "layer_norm"; }
StringRef kindOf(RmsNormOp) { return "rms_norm"; }

/// Whether `value` is available where `op` is: a block argument of a region around it or a
/// result of an op before it in its block.
bool availableAt(Value value, Operation *op) {
  if (!value)
    return true;
  if (auto argument = dyn_cast<BlockArgument>(value))
    return argument.getOwner()->getParentOp()->isAncestor(op);
  Operation *definition = value.getDefiningOp();
  return definition->getBlock() == op->getBlock() && definition->isBeforeInBlock(op);
}

template <typename NormOp>
struct FuseNormPattern : OpRewritePattern<NormOp> {
  using OpRewritePattern<NormOp>::OpRewritePattern;

  LogicalResult matchAndRewrite(NormOp norm, PatternRewriter &rewriter) const override {
    auto product = norm.getInput().template getDefiningOp<PackedMatmulOp>();
    if (!product || norm.getInput() != product.getResult())
      return rewriter.notifyMatchFailure(norm, "the input is not a packed matmul's product");
    if (!product.getResidual())
      return rewriter.notifyMatchFailure(norm, "the product has no residual add");
    if (product.getNorm())
      return rewriter.notifyMatchFailure(norm, "the product already has a norm");
    if (!availableAt(norm.getGain(), product) || !availableAt(biasOf(norm), product))
      return rewriter.notifyMatchFailure(norm, "the norm's parameters come after the product");
    rewriter.setInsertionPoint(product);
    Type type = product.getResult().getType();
    auto fused = rewriter.create<PackedMatmulOp>(
        product.getLoc(), type, type, product.getLhs(), product.getPanels(), product.getScales(),
        product.getBias(), product.getResidual(), norm.getGain(), biasOf(norm),
        product.getColumnsAttr(), product.getActivationAttr(), rewriter.getStringAttr(kindOf(norm)),
        norm.getEpsilonAttr());
    rewriter.replaceOp(norm, fused.getNormalized());
    rewriter.replaceOp(product, ValueRange{fused.getResult()});
    return success();
  }
};

struct FuseNormsPass : attune::impl::AttuneFuseNormsPassBase<FuseNormsPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateFuseNormPatterns(patterns);
    if (failed(applyPatternsAndFoldGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace

void attune::populateFuseNormPatterns(RewritePatternSet &patterns) {
  patterns.add<FuseNormPattern<LayerNormOp>, FuseNormPattern<RmsNormOp>>(patterns.getContext());
}

PackedMatmulOp attune::unfuseNorm(RewriterBase &rewriter, PackedMatmulOp op) {
  rewriter.setInsertionPoint(op);
  Location loc = op.getLoc();
  Type type = op.getResult().getType();
  auto product = rewriter.create<PackedMatmulOp>(
      loc, type, /*normalized=*/Type(), op.getLhs(), op.getPanels(), op.getScales(), op.getBias(),
      op.getResidual(), /*norm_gain=*/Value(), /*norm_bias=*/Value(), op.getColumnsAttr(),
      op.getActivationAttr(), /*norm=*/StringAttr(), /*norm_epsilon=*/FloatAttr());
  Value normalized;
  if (*op.getNorm() == "layer_norm")
    normalized = rewriter.create<LayerNormOp>(loc, type, product.getResult(), op.getNormGain(),
                                              op.getNormBias(), op.getNormEpsilonAttr());
  else
    normalized = rewriter.create<RmsNormOp>(loc, type, product.getResult(), op.getNormGain(),
                                            op.getNormEpsilonAttr());
  rewriter.replaceOp(op, ValueRange{product.getResult(), normalized});
  rewriter.setInsertionPoint(product);
  return product;
}
