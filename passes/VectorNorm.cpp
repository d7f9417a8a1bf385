// The norm kernels: attune.layer_norm and attune.rms_norm over the last dim as vector loops on
// buffers, parallel over tasks of rows. Each row is read twice for layer norm (its sum, then
// the sum of squares about the mean: the two passes PyTorch's accuracy needs) plus once to
// normalize, once for RMS norm; sums are kept in one vector of lanes and reduced at the end,
// so every row sees the same order of additions whatever the thread count.
//
//   task (block of kRowsPerTask rows):
//     for row:  s = Σ x;  mean = s/n;  q = Σ (x - mean)²;  y = (x - mean)/√(q/n + ε)·g + b
//               (RMS norm: q = Σ x²;  y = g·(x · 1/√(q/n + ε)))
//
// Rows whose length is not whole vectors are left for the linalg lowering.
#include "ir/AttuneDialect.h"
#include "passes/KernelBuilder.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
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
    width = type.getShape().back();
    x = readOnlyView(b, loc, input);
    g = readOnlyView(b, loc, gain);
    if (bias)
      beta = readOnlyView(b, loc, bias);
    SmallVector<Value> dynamicSizes;
    rows = index(1);
    for (int64_t i = 0; i + 1 < type.getRank(); ++i) {
      Value size = b.create<memref::DimOp>(loc, x, i);
      leadSizes.push_back(size);
      rows = mul(rows, size);
      if (type.isDynamicDim(i))
        dynamicSizes.push_back(size);
    }
    bufferization::MaterializeInDestinationOp destination;
    out = resultBuffer(b, loc, op, dynamicSizes, destination);
    invN = b.create<arith::ConstantOp>(loc, b.getF32FloatAttr(1.0f / float(width)));
    eps = b.create<arith::ConstantOp>(loc, b.getF32FloatAttr(float(epsilon)));
    // Per element: layer_norm sums x, (x − mean)² and computes (x − mean) / root · g + b (8
    // operations); rms_norm sums x² and computes g · (x · 1/root) (4).
    declareKernel(op->getName().stripDialect(), {}, mul(rows, index(width * (bias ? 8 : 4))));
    tasks(ceilDiv(rows, kRowsPerTask), [&](Value task) {
      Value first = mul(task, index(kRowsPerTask));
      loop(first, minIndex(rows, add(first, index(kRowsPerTask))), 1,
           [&](Value row) { emitRow(rowIndices(row, leadSizes)); });
    });
    if (destination)
      rewriter.eraseOp(destination);
    return b.create<bufferization::ToTensorOp>(loc, out, /*restrict=*/true, /*writable=*/true);
  }

private:
  Value load(Value memref, ArrayRef<Value> indices) {
    return b.create<vector::LoadOp>(loc, vecType(), memref, indices);
  }
  Value broadcast(Value scalar) { return b.create<vector::BroadcastOp>(loc, vecType(), scalar); }
  /// Σ over the row of term(x vector), as one f32.
  Value rowSum(ArrayRef<Value> lead, function_ref<Value(Value)> term) {
    SmallVector<Value> sum = loop(index(0), index(width), lanes, ValueRange{splat(0.0)},
                                  [&](Value k, ValueRange acc) -> SmallVector<Value> {
                                    Value v = term(load(x, with(lead, k)));
                                    return {b.create<arith::AddFOp>(loc, acc[0], v)};
                                  });
    return b.create<vector::ReductionOp>(loc, vector::CombiningKind::ADD, sum[0]);
  }

  void emitRow(ArrayRef<Value> lead) {
    bool layerNorm = bool(beta);
    Value mean;
    if (layerNorm)
      mean = broadcast(b.create<arith::MulFOp>(loc, rowSum(lead, [](Value v) { return v; }),
                                               invN));
    Value squares = rowSum(lead, [&](Value v) {
      Value centred = layerNorm ? b.create<arith::SubFOp>(loc, v, mean).getResult() : v;
      return b.create<arith::MulFOp>(loc, centred, centred).getResult();
    });
    Value root = b.create<math::SqrtOp>(
        loc, b.create<arith::AddFOp>(loc, b.create<arith::MulFOp>(loc, squares, invN), eps));
    Value scale = layerNorm ? broadcast(root)
                            : broadcast(b.create<arith::DivFOp>(
                                  loc, b.create<arith::ConstantOp>(loc, b.getF32FloatAttr(1.0f)),
                                  root));
    loop(index(0), index(width), lanes, [&](Value k) {
      Value v = load(x, with(lead, k));
      Value y;
      if (layerNorm) {
        // (x - mean) / root · gain + bias, rounded as the linalg lowering rounds.
        Value normed = b.create<arith::DivFOp>(loc, b.create<arith::SubFOp>(loc, v, mean), scale);
        y = b.create<arith::AddFOp>(loc, b.create<arith::MulFOp>(loc, normed, load(g, {k})),
                                    load(beta, {k}));
      } else {
        // gain · (x · 1/root): the order PyTorch's RMSNorm rounds in.
        y = b.create<arith::MulFOp>(loc, load(g, {k}), b.create<arith::MulFOp>(loc, v, scale));
      }
      b.create<vector::StoreOp>(loc, y, out, with(lead, k));
    });
  }

  PatternRewriter &rewriter;
  int64_t width = 0;
  Value x, g, beta, out, rows, invN, eps;
  SmallVector<Value> leadSizes;
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
