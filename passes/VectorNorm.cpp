// The norm kernels: attune.layer_norm and attune.rms_norm over the last dim as vector loops on
// buffers, parallel over tasks of rows (each row as NormRow.h emits it), so every row sees
// the same order of additions whatever the thread count.
//
//   task (block of kRowsPerTask rows):
//     for row:  s = Σ x;  mean = s/n;  q = Σ (x - mean)²;  y = (x - mean)/√(q/n + ε)·g + b
//               (RMS norm: q = Σ x²;  y = g·(x · 1/√(q/n + ε)))
//
// Rows whose length is not whole vectors are left for the linalg lowering.
#include "ir/AttuneDialect.h"
#include "passes/KernelBuilder.h"
#include "passes/NormRow.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/PatternMatch.h"

using namespace mlir;
using namespace attune;

namespace {

/// Rows per task: a few tens of KiB of rows, so a task is worth handing to a thread.
constexpr int64_t kRowsPerTask = 16;

class NormEmitter : KernelBuilder {
public:
  NormEmitter(PatternRewriter &rewriter, Location loc, int64_t lanes)
      : KernelBuilder(rewriter, loc, lanes), rewriter(rewriter) {}

  /// Emits the kernel for `op` (LayerNormOp or RmsNormOp) and returns its result tensor.
  Value emit(Operation *op, Value input, Value gain, Value bias, double epsilon) {
    auto type = cast<RankedTensorType>(op->getResult(0).getType());
    int64_t width = type.getShape().back();
    Value x = readOnlyView(b, loc, input);
    Value g = readOnlyView(b, loc, gain);
    Value beta = bias ? readOnlyView(b, loc, bias) : Value();
    SmallVector<Value> dynamicSizes, leadSizes;
    Value rows = index(1);
    for (int64_t i = 0; i + 1 < type.getRank(); ++i) {
      Value size = b.create<memref::DimOp>(loc, x, i);
      leadSizes.push_back(size);
      rows = mul(rows, size);
      if (type.isDynamicDim(i))
        dynamicSizes.push_back(size);
    }
    bufferization::MaterializeInDestinationOp destination;
    Value out = resultBuffer(b, loc, op->getResult(0), dynamicSizes, destination);
    NormRowEmitter row(b, loc, lanes, width, g, beta, epsilon);
    declareKernel(op->getName().stripDialect(), {},
                  mul(rows, index(width * row.flopsPerElement())));
    tasks(ceilDiv(rows, kRowsPerTask), [&](Value task) {
      Value first = mul(task, index(kRowsPerTask));
      loop(first, minIndex(rows, add(first, index(kRowsPerTask))), 1,
           [&](Value r) { row.emit(x, out, rowIndices(r, leadSizes)); });
    });
    if (destination)
      rewriter.eraseOp(destination);
    return b.create<bufferization::ToTensorOp>(loc, out, /*restrict=*/true, /*writable=*/true);
  }

private:
  PatternRewriter &rewriter;
};

/// Whether the kernel takes an input of `type`: f32 rows of whole vectors.
bool fits(RankedTensorType type, int64_t lanes) {
  return type.getElementType().isF32() && type.getRank() >= 1 &&
         !type.isDynamicDim(type.getRank() - 1) && type.getShape().back() % lanes == 0;
}

Value biasOf(LayerNormOp op) { return op.getBias(); }
Value biasOf(RmsNormOp) { return {}; }

/// Layer norm or RMS norm (no bias) as the row kernel.
template <typename NormOp>
struct NormKernel : OpRewritePattern<NormOp> {
  NormKernel(MLIRContext *ctx, int64_t lanes)
      : OpRewritePattern<NormOp>(ctx, /*benefit=*/2), lanes(lanes) {}
  LogicalResult matchAndRewrite(NormOp op, PatternRewriter &rewriter) const override {
    if (!fits(op.getType(), lanes))
      return rewriter.notifyMatchFailure(op, "rows are not whole f32 vectors");
    rewriter.replaceOp(op, NormEmitter(rewriter, op.getLoc(), lanes)
                               .emit(op, op.getInput(), op.getGain(), biasOf(op),
                                     op.getEpsilon().convertToDouble()));
    return success();
  }
  int64_t lanes;
};

} // namespace

void attune::populateVectorNormPatterns(RewritePatternSet &patterns, int64_t lanes) {
  patterns.add<NormKernel<LayerNormOp>, NormKernel<RmsNormOp>>(patterns.getContext(), lanes);
}
