// attune-fuse-elementwise: fuses elementwise producers into their linalg consumers, but only
// where the consumer reads each produced element once. Upstream's linalg-fuse-elementwise-ops
// also fuses into contractions, where the producer's body (a GELU's tanh, a layer norm's
// division) would be recomputed for every output column.
#include "passes/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace attune {
#define GEN_PASS_DEF_ATTUNEFUSEELEMENTWISEPASS
#include "passes/Passes.h.inc"
} // namespace attune

using namespace mlir;

namespace {

/// Fuse when the producer has no other user and the consumer's map for it is a permutation of
/// the consumer's loops (every produced element is read exactly once).
bool readsEachElementOnce(OpOperand *fusedOperand) {
  Operation *producer = fusedOperand->get().getDefiningOp();
  auto consumer = dyn_cast<linalg::LinalgOp>(fusedOperand->getOwner());
  if (!producer || !producer->hasOneUse() || !consumer)
    return false;
  return consumer.getMatchingIndexingMap(fusedOperand).isPermutation();
}

struct FuseElementwisePass
    : attune::impl::AttuneFuseElementwisePassBase<FuseElementwisePass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    attune::populateFuseElementwisePatterns(patterns);
    if (failed(applyPatternsAndFoldGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace

void attune::populateFuseElementwisePatterns(RewritePatternSet &patterns) {
  linalg::populateElementwiseOpsFusionPatterns(patterns, readsEachElementOnce);
  // Reshapes between elementwise ops would otherwise block fusion.
  linalg::populateFoldReshapeOpsByExpansionPatterns(patterns, readsEachElementOnce);
  affine::AffineApplyOp::getCanonicalizationPatterns(patterns, patterns.getContext());
  linalg::GenericOp::getCanonicalizationPatterns(patterns, patterns.getContext());
  tensor::ExpandShapeOp::getCanonicalizationPatterns(patterns, patterns.getContext());
  tensor::CollapseShapeOp::getCanonicalizationPatterns(patterns, patterns.getContext());
}
