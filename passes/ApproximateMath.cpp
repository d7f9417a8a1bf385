// attune-approximate-math: tanh, erf, exp and the other transcendental math ops become
// polynomial approximations in arith ops (MLIR's own, f32 error of a few ulp), on scalars and
// vectors alike. Generated code then calls no libm function on a hot path, and loops over
// them can be vectorized.
#include "passes/Passes.h"

#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace attune {
#define GEN_PASS_DEF_ATTUNEAPPROXIMATEMATHPASS
#include "passes/Passes.h.inc"
} // namespace attune

using namespace mlir;

namespace {

struct ApproximateMathPass
    : attune::impl::AttuneApproximateMathPassBase<ApproximateMathPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateMathPolynomialApproximationPatterns(patterns);
    if (failed(applyPatternsAndFoldGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
