// attune-approximate-math: tanh, erf, exp and the other transcendental math ops become
// polynomial approximations in arith ops, on scalars and vectors alike. Generated code then
// calls no libm function on a hot path, and loops over them can be vectorized.
//
// MLIR's approximations (a few ulp) serve every op but f32 erf, which gets one rational
// function over the whole clamped range rather than MLIR's three intervals: 15 ops rather than
// 37, of which 21 are selects of the interval's coefficients. erf is BERT's GELU, in the
// epilogue of its largest product: on Zen 1 MLIR's form made that product ~7% slower than with
// the bias alone, this one ~4% (bench/RESULTS.md).
#include "passes/Activations.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace attune {
#define GEN_PASS_DEF_ATTUNEAPPROXIMATEMATHPASS
#include "passes/Passes.h.inc"
} // namespace attune

using namespace mlir;

namespace {

/// f32 erf(x) as x·P(x²)/Q(x²) on x clamped to [-4, 4] (erf(±4) is ±1 in f32), P of degree 6
/// and Q of degree 4 in x²: the minimax fit Eigen and XLA use for float erf. Error within 4.5e-7
/// absolute, 8 ulp (emulated in f32 with numpy against float64 erf on [-6, 6]); BERT's e2e
/// tests hold it to Hugging Face's outputs.
struct FastErfF32 : OpRewritePattern<math::ErfOp> {
  // Above MLIR's own erf pattern (benefit 1), which stays for other element types.
  FastErfF32(MLIRContext *context) : OpRewritePattern(context, /*benefit=*/2) {}

  LogicalResult matchAndRewrite(math::ErfOp op, PatternRewriter &rewriter) const override {
    Type type = op.getType();
    if (!getElementTypeOrSelf(type).isF32())
      return failure();
    Location loc = op.getLoc();
    auto constant = [&](float value) { return attune::constantLike(rewriter, loc, type, value); };
    // Horner's rule from the highest coefficient down.
    auto horner = [&](Value x2, ArrayRef<float> coefficients) {
      Value sum = constant(coefficients.front());
      for (float c : coefficients.drop_front())
        sum = rewriter.create<math::FmaOp>(loc, x2, sum, constant(c));
      return sum;
    };
    // The clamp as unordered compares and selects: NaN passes through (erf(NaN) is NaN), and
    // x86 makes each one vminps or vmaxps (arith.minimumf's NaN rules would cost a blend more).
    auto clamp = [&](Value value, arith::CmpFPredicate keep, float bound) -> Value {
      Value limit = constant(bound);
      Value inside = rewriter.create<arith::CmpFOp>(loc, keep, value, limit);
      return rewriter.create<arith::SelectOp>(loc, inside, value, limit);
    };
    Value x = clamp(clamp(op.getOperand(), arith::CmpFPredicate::ULT, 4.0f),
                    arith::CmpFPredicate::UGT, -4.0f);
    Value x2 = rewriter.create<arith::MulFOp>(loc, x, x);
    Value p = horner(x2, {-2.72614225801306e-10f, 2.77068142495902e-08f, -2.10102402082508e-06f,
                          -5.69250639462346e-05f, -7.34990630326855e-04f,
                          -2.95459980854025e-03f, -1.60960333262415e-02f});
    Value q = horner(x2, {-1.45660718464996e-05f, -2.13374055278905e-04f,
                          -1.68282697438203e-03f, -7.37332916720468e-03f,
                          -1.42647390514189e-02f});
    rewriter.replaceOpWithNewOp<arith::DivFOp>(op, rewriter.create<arith::MulFOp>(loc, x, p), q);
    return success();
  }
};

struct ApproximateMathPass
    : attune::impl::AttuneApproximateMathPassBase<ApproximateMathPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<FastErfF32>(&getContext());
    populateMathPolynomialApproximationPatterns(patterns);
    if (failed(applyPatternsAndFoldGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
