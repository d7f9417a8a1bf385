// attune-lower-to-linalg: one pattern per attune op, each producing linalg on tensors.
//
// Broadcasting follows the op definitions (ir/AttuneOps.cpp): operands align on the right and
// a static size-1 dim is read at index 0. Dynamic result sizes are read with tensor.dim from
// an operand that carries the same dim, so no shape arithmetic is needed at run time.
#include "ir/AttuneDialect.h"
#include "ir/Target.h"
#include "passes/Activations.h"
#include "passes/AttentionSemantics.h"
#include "passes/LinalgBuilders.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/DialectConversion.h"

#include <cmath>

namespace attune {
#define GEN_PASS_DEF_ATTUNELOWERTOLINALGPASS
#include "passes/Passes.h.inc"
} // namespace attune

using namespace mlir;
using namespace attune;

namespace {

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

/// Elementwise arithmetic: FloatOp on f32 tensors, IntOp on integer tensors.
template <typename SourceOp, typename FloatOp, typename IntOp>
struct BinaryLowering : OpRewritePattern<SourceOp> {
  using OpRewritePattern<SourceOp>::OpRewritePattern;
  LogicalResult matchAndRewrite(SourceOp op, PatternRewriter &rewriter) const override {
    bool isFloat = isa<FloatType>(op.getType().getElementType());
    Value result = buildElementwise(
        rewriter, op.getLoc(), op.getType(), op->getOperands(),
        [&](OpBuilder &b, Location loc, ValueRange args) -> Value {
          if (isFloat)
            return b.create<FloatOp>(loc, args[0], args[1]);
          return b.create<IntOp>(loc, args[0], args[1]);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct CompareLowering : OpRewritePattern<CompareOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(CompareOp op, PatternRewriter &rewriter) const override {
    auto predicate = llvm::StringSwitch<arith::CmpIPredicate>(op.getPredicate())
                         .Case("lt", arith::CmpIPredicate::slt)
                         .Case("le", arith::CmpIPredicate::sle)
                         .Case("gt", arith::CmpIPredicate::sgt)
                         .Case("ge", arith::CmpIPredicate::sge)
                         .Case("eq", arith::CmpIPredicate::eq)
                         .Default(arith::CmpIPredicate::ne);
    Value result = buildElementwise(
        rewriter, op.getLoc(), op.getType(), op->getOperands(),
        [&](OpBuilder &b, Location loc, ValueRange args) -> Value {
          return b.create<arith::CmpIOp>(loc, predicate, args[0], args[1]);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct SelectLowering : OpRewritePattern<SelectOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(SelectOp op, PatternRewriter &rewriter) const override {
    Value result = buildElementwise(
        rewriter, op.getLoc(), op.getType(), op->getOperands(),
        [](OpBuilder &b, Location loc, ValueRange args) -> Value {
          return b.create<arith::SelectOp>(loc, args[0], args[1], args[2]);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// Lowers a one-operand activation by building its scalar formula.
template <typename SourceOp>
struct UnaryLowering : OpRewritePattern<SourceOp> {
  using Formula = Value (*)(SourceOp, OpBuilder &, Location, Value);
  UnaryLowering(MLIRContext *ctx, Formula formula)
      : OpRewritePattern<SourceOp>(ctx), formula(formula) {}
  LogicalResult matchAndRewrite(SourceOp op, PatternRewriter &rewriter) const override {
    Value result = buildElementwise(rewriter, op.getLoc(), op.getType(), op->getOperands(),
                                    [&](OpBuilder &b, Location loc, ValueRange args) {
                                      return formula(op, b, loc, args[0]);
                                    });
    rewriter.replaceOp(op, result);
    return success();
  }
  Formula formula;
};

Value geluFormula(GeluOp op, OpBuilder &b, Location loc, Value x) {
  return buildActivation(b, loc, op.getApproximation() == "tanh" ? "gelu_tanh" : "gelu_erf", x);
}

Value reluFormula(ReluOp, OpBuilder &b, Location loc, Value x) {
  return buildActivation(b, loc, "relu", x);
}

Value siluFormula(SiluOp, OpBuilder &b, Location loc, Value x) {
  return buildActivation(b, loc, "silu", x);
}

Value tanhFormula(TanhOp, OpBuilder &b, Location loc, Value x) {
  return b.create<math::TanhOp>(loc, x);
}

//===----------------------------------------------------------------------===//
// Contractions, gathers, data movement
//===----------------------------------------------------------------------===//

struct MatmulLowering : OpRewritePattern<MatmulOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(MatmulOp op, PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    RankedTensorType lhs = tensorOf(op.getLhs()), rhs = tensorOf(op.getRhs());
    RankedTensorType result = op.getType();
    int64_t batchRank = result.getRank() - 2;
    unsigned m = batchRank, n = batchRank + 1, k = batchRank + 2, numLoops = batchRank + 3;
    ArrayRef<int64_t> batchShape = result.getShape().drop_back(2);

    auto operandMap = [&](RankedTensorType type, unsigned row, unsigned col) {
      AffineMap batch = broadcastMap(ctx, type.getShape().drop_back(2), batchShape, numLoops,
                                     batchRank - (type.getRank() - 2));
      SmallVector<AffineExpr> exprs(batch.getResults());
      exprs.push_back(getAffineDimExpr(row, ctx));
      exprs.push_back(getAffineDimExpr(col, ctx));
      return AffineMap::get(numLoops, 0, exprs, ctx);
    };
    SmallVector<AffineExpr> outExprs;
    for (unsigned i = 0; i < numLoops - 1; ++i)
      outExprs.push_back(getAffineDimExpr(i, ctx));
    // x · transpose(w) (torch Linear, the tied LM head) reads w through the indexing map
    // rather than materialising its transpose on every run.
    Value rhsValue = op.getRhs();
    bool rhsTransposed = false;
    if (auto transpose = rhsValue.getDefiningOp<TransposeOp>();
        transpose && transpose.swapsLastTwoDims()) {
      rhsTransposed = true;
      rhsValue = transpose.getInput();
    }
    SmallVector<AffineMap> maps{operandMap(lhs, m, k),
                                rhsTransposed ? operandMap(tensorOf(rhsValue), n, k)
                                              : operandMap(rhs, k, n),
                                AffineMap::get(numLoops, 0, outExprs, ctx)};

    Value zero = floatConstant(rewriter, loc, result.getElementType(), 0.0);
    Value init = filledTensor(rewriter, loc, result, zero, [&](int64_t i) -> Value {
      if (i == batchRank)
        return rewriter.create<tensor::DimOp>(loc, op.getLhs(), lhs.getRank() - 2);
      if (i == batchRank + 1)
        return rewriter.create<tensor::DimOp>(loc, rhsValue,
                                              rhs.getRank() - (rhsTransposed ? 2 : 1));
      SmallVector<Value> batchOperands;
      for (Value operand : {Value(op.getLhs()), rhsValue})
        if (tensorOf(operand).getRank() > 2)
          batchOperands.push_back(operand);
      // Batch dims align on the right of the batch prefix, shifted by the two matrix dims.
      for (Value operand : batchOperands) {
        int64_t kDim = i - (batchRank - (tensorOf(operand).getRank() - 2));
        if (kDim >= 0 && tensorOf(operand).isDynamicDim(kDim))
          return rewriter.create<tensor::DimOp>(loc, operand, kDim);
      }
      llvm_unreachable("dynamic batch dim with no dynamic operand");
    });
    SmallVector<utils::IteratorType> iterators(numLoops, utils::IteratorType::parallel);
    iterators[k] = utils::IteratorType::reduction;
    auto generic = rewriter.create<linalg::GenericOp>(
        loc, result, ValueRange{op.getLhs(), rhsValue}, init, maps, iterators,
        [](OpBuilder &b, Location l, ValueRange args) {
          Value product = b.create<arith::MulFOp>(l, args[0], args[1]);
          b.create<linalg::YieldOp>(l, ValueRange{b.create<arith::AddFOp>(l, args[2], product)});
        });
    rewriter.replaceOp(op, generic.getResult(0));
    return success();
  }
};

/// The reference lowering of attune.packed_matmul: a contraction reading the panels through
/// floordiv/mod indexing (scalar loops; the vector kernel is VectorMatmul.cpp).
struct PackedMatmulLowering : OpRewritePattern<PackedMatmulOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(PackedMatmulOp op, PatternRewriter &rewriter) const override {
    // A fused norm follows as its own op (lowered by its own pattern); the product is
    // lowered here.
    if (op.getNorm())
      op = unfuseNorm(rewriter, op);
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    RankedTensorType result = op.getResult().getType();
    int64_t width = op.getPanels().getType().getDimSize(2);
    bool pairs = op.getPanels().getType().getRank() == 4; // bf16 k pairs
    unsigned lead = result.getRank() - 1, n = lead, k = lead + 1, numLoops = lead + 2;
    SmallVector<AffineExpr> lhsExprs, outExprs;
    for (unsigned i = 0; i < lead; ++i)
      lhsExprs.push_back(getAffineDimExpr(i, ctx));
    outExprs = lhsExprs;
    lhsExprs.push_back(getAffineDimExpr(k, ctx));
    outExprs.push_back(getAffineDimExpr(n, ctx));
    AffineExpr column = getAffineDimExpr(n, ctx), depth = getAffineDimExpr(k, ctx);
    SmallVector<AffineExpr> panelExprs{column.floorDiv(width), depth, column % width};
    if (pairs)
      panelExprs = {column.floorDiv(width), depth.floorDiv(2), column % width, depth % 2};
    SmallVector<AffineMap> maps{AffineMap::get(numLoops, 0, lhsExprs, ctx),
                                AffineMap::get(numLoops, 0, panelExprs, ctx),
                                AffineMap::get(numLoops, 0, outExprs, ctx)};
    Value zero = floatConstant(rewriter, loc, result.getElementType(), 0.0);
    Value init = filledTensor(rewriter, loc, result, zero, [&](int64_t i) -> Value {
      return rewriter.create<tensor::DimOp>(loc, op.getLhs(), i);
    });
    SmallVector<utils::IteratorType> iterators(numLoops, utils::IteratorType::parallel);
    iterators[k] = utils::IteratorType::reduction;
    auto generic = rewriter.create<linalg::GenericOp>(
        loc, result, ValueRange{op.getLhs(), op.getPanels()}, init, maps, iterators,
        [pairs](OpBuilder &b, Location l, ValueRange args) {
          // bf16 panels widen to f32 exactly, i8 ones to their values (scaled after the
          // sum); the sum is f32. The bf16 dot product of k pairs rounds A to bf16 too.
          Value a = pairs ? roundToBf16(b, l, args[0]) : args[0];
          Value weight = args[1];
          if (weight.getType().isBF16())
            weight = b.create<arith::ExtFOp>(l, b.getF32Type(), weight);
          else if (weight.getType().isInteger(8))
            weight = b.create<arith::SIToFPOp>(l, b.getF32Type(), weight);
          Value product = b.create<arith::MulFOp>(l, a, weight);
          b.create<linalg::YieldOp>(l, ValueRange{b.create<arith::AddFOp>(l, args[2], product)});
        });
    // The handle a schedule (attune build --schedule) matches products by.
    generic->setAttr(kMatmulAttr, rewriter.getUnitAttr());
    rewriter.replaceOp(op, applyEpilogue(rewriter, op, generic.getResult(0)));
    return success();
  }

  /// `x` rounded to the nearest bf16 (ties to even), as f32: in integer arithmetic, which
  /// every target has (a scalar f32 -> bf16 truncation is a libgcc call on some).
  static Value roundToBf16(OpBuilder &b, Location l, Value x) {
    auto constant = [&](int64_t value) { return b.create<arith::ConstantIntOp>(l, value, 32); };
    Value bits = b.create<arith::BitcastOp>(l, b.getI32Type(), x);
    Value lowestKept =
        b.create<arith::AndIOp>(l, b.create<arith::ShRUIOp>(l, bits, constant(16)), constant(1));
    Value biased =
        b.create<arith::AddIOp>(l, bits, b.create<arith::AddIOp>(l, constant(0x7fff), lowestKept));
    Value rounded = b.create<arith::AndIOp>(l, biased, constant(0xffff0000));
    return b.create<arith::BitcastOp>(l, b.getF32Type(), rounded);
  }

  /// activation(product + bias) + residual, each part the op has, as one elementwise loop:
  /// what the vector kernel applies in its registers.
  static Value applyEpilogue(PatternRewriter &rewriter, PackedMatmulOp op, Value product) {
    if (!op.getScales() && !op.getBias() && !op.getResidual() && !op.getActivation())
      return product;
    Location loc = op.getLoc();
    RankedTensorType result = op.getResult().getType();
    int64_t rank = result.getRank();
    AffineMap identity = rewriter.getMultiDimIdentityMap(rank);
    SmallVector<Value> inputs{product};
    SmallVector<AffineMap> maps{identity};
    // The column scales of i8 panels are [P·width]: column n's is at n; the first
    // `columns` of them are the result's.
    Value scales = op.getScales();
    int64_t columns = op.getColumns();
    if (scales && cast<RankedTensorType>(scales.getType()).getDimSize(0) != columns)
      scales = rewriter.create<tensor::ExtractSliceOp>(
          loc, scales, ArrayRef<OpFoldResult>{rewriter.getIndexAttr(0)},
          ArrayRef<OpFoldResult>{rewriter.getIndexAttr(columns)},
          ArrayRef<OpFoldResult>{rewriter.getIndexAttr(1)});
    for (Value vector : {scales, Value(op.getBias())}) {
      if (!vector)
        continue;
      inputs.push_back(vector);
      maps.push_back(AffineMap::get(rank, 0, rewriter.getAffineDimExpr(rank - 1)));
    }
    if (op.getResidual()) {
      inputs.push_back(op.getResidual());
      maps.push_back(identity);
    }
    maps.push_back(identity);
    Value init = emptyTensor(rewriter, loc, result, [&](int64_t i) -> Value {
      return rewriter.create<tensor::DimOp>(loc, product, i);
    });
    StringRef activation = op.getActivation() ? *op.getActivation() : "";
    bool scaled = bool(op.getScales()), bias = bool(op.getBias());
    bool residual = bool(op.getResidual());
    SmallVector<utils::IteratorType> iterators(rank, utils::IteratorType::parallel);
    auto generic = rewriter.create<linalg::GenericOp>(
        loc, result, inputs, init, maps, iterators, [&](OpBuilder &b, Location l, ValueRange args) {
          Value x = args[0];
          unsigned next = 1;
          if (scaled)
            x = b.create<arith::MulFOp>(l, x, args[next++]);
          if (bias)
            x = b.create<arith::AddFOp>(l, x, args[next++]);
          if (!activation.empty())
            x = buildActivation(b, l, activation, x);
          if (residual)
            x = b.create<arith::AddFOp>(l, x, args[next++]);
          b.create<linalg::YieldOp>(l, x);
        });
    return generic.getResult(0);
  }
};

struct EmbedLowering : OpRewritePattern<EmbedOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(EmbedOp op, PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    RankedTensorType result = op.getType();
    RankedTensorType table = tensorOf(op.getTable());
    int64_t rank = result.getRank();
    int64_t idsRank = tensorOf(op.getIds()).getRank();
    // The ids index the leading loops; the table's remaining dims the trailing ones.
    SmallVector<AffineExpr> idsExprs;
    for (int64_t i = 0; i < idsRank; ++i)
      idsExprs.push_back(rewriter.getAffineDimExpr(i));
    SmallVector<AffineMap> maps{AffineMap::get(rank, 0, idsExprs, rewriter.getContext()),
                                rewriter.getMultiDimIdentityMap(rank)};
    Value init = emptyTensor(rewriter, loc, result, [&](int64_t i) -> Value {
      if (i < idsRank)
        return rewriter.create<tensor::DimOp>(loc, op.getIds(), i);
      return rewriter.create<tensor::DimOp>(loc, op.getTable(), i - idsRank + 1);
    });
    Value lastRow = rewriter.create<arith::ConstantIndexOp>(loc, table.getDimSize(0) - 1);
    Value zero = rewriter.create<arith::ConstantIndexOp>(loc, 0);
    SmallVector<utils::IteratorType> iterators(rank, utils::IteratorType::parallel);
    auto generic = rewriter.create<linalg::GenericOp>(
        loc, result, ValueRange{op.getIds()}, init, maps, iterators,
        [&](OpBuilder &b, Location l, ValueRange args) {
          // Clamped so a bad id cannot read outside the table.
          Value row = b.create<arith::IndexCastOp>(l, b.getIndexType(), args[0]);
          row = b.create<arith::MinSIOp>(l, b.create<arith::MaxSIOp>(l, row, zero), lastRow);
          SmallVector<Value> indices{row};
          for (int64_t i = idsRank; i < rank; ++i)
            indices.push_back(b.create<linalg::IndexOp>(l, i));
          Value element = b.create<tensor::ExtractOp>(l, op.getTable(), indices);
          b.create<linalg::YieldOp>(l, element);
        });
    rewriter.replaceOp(op, generic.getResult(0));
    return success();
  }
};

struct IotaLowering : OpRewritePattern<IotaOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(IotaOp op, PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    RankedTensorType result = op.getType();
    Value init = emptyTensor(rewriter, loc, result, [&](int64_t) { return op.getSize(); });
    auto generic = rewriter.create<linalg::GenericOp>(
        loc, result, ValueRange{}, init, rewriter.getMultiDimIdentityMap(1),
        utils::IteratorType::parallel, [&](OpBuilder &b, Location l, ValueRange) {
          Value index = b.create<linalg::IndexOp>(l, 0);
          Value cast = b.create<arith::IndexCastOp>(l, result.getElementType(), index);
          b.create<linalg::YieldOp>(l, cast);
        });
    rewriter.replaceOp(op, generic.getResult(0));
    return success();
  }
};

struct TransposeLowering : OpRewritePattern<TransposeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(TransposeOp op, PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    ArrayRef<int64_t> perm = op.getPermutation();
    Value init = emptyTensor(rewriter, loc, op.getType(), [&](int64_t i) -> Value {
      return rewriter.create<tensor::DimOp>(loc, op.getInput(), perm[i]);
    });
    auto transpose = rewriter.create<linalg::TransposeOp>(loc, op.getInput(), init, perm);
    rewriter.replaceOp(op, transpose->getResult(0));
    return success();
  }
};

struct ReshapeLowering : OpRewritePattern<ReshapeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ReshapeOp op, PatternRewriter &rewriter) const override {
    std::optional<SmallVector<ReassociationIndices>> groups = op.getReassociation();
    if (!groups)
      return rewriter.notifyMatchFailure(op, "not an expand or a collapse");
    if (op.getInput().getType() == op.getType()) {
      rewriter.replaceOp(op, op.getInput());
      return success();
    }
    if (!op.isExpand()) {
      rewriter.replaceOpWithNewOp<tensor::CollapseShapeOp>(op, op.getType(), op.getInput(),
                                                           *groups);
      return success();
    }
    SmallVector<OpFoldResult> outputShape;
    auto sizes = op.getSizes().begin();
    for (int64_t size : op.getType().getShape())
      outputShape.push_back(ShapedType::isDynamic(size) ? OpFoldResult(*sizes++)
                                                        : rewriter.getIndexAttr(size));
    rewriter.replaceOpWithNewOp<tensor::ExpandShapeOp>(op, op.getType(), op.getInput(), *groups,
                                                       outputShape);
    return success();
  }
};

struct SliceLowering : OpRewritePattern<SliceOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(SliceOp op, PatternRewriter &rewriter) const override {
    RankedTensorType input = op.getInput().getType();
    SmallVector<OpFoldResult> offsets, sizes, strides;
    for (int64_t i = 0; i < input.getRank(); ++i) {
      bool sliced = i == static_cast<int64_t>(op.getAxis());
      offsets.push_back(rewriter.getIndexAttr(sliced ? op.getStart() : 0));
      if (sliced)
        sizes.push_back(rewriter.getIndexAttr(op.getEnd() - op.getStart()));
      else if (input.isDynamicDim(i))
        sizes.push_back(
            rewriter.create<tensor::DimOp>(op.getLoc(), op.getInput(), i).getResult());
      else
        sizes.push_back(rewriter.getIndexAttr(input.getDimSize(i)));
      strides.push_back(rewriter.getIndexAttr(1));
    }
    rewriter.replaceOpWithNewOp<tensor::ExtractSliceOp>(op, op.getType(), op.getInput(),
                                                        offsets, sizes, strides);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Normalisation
//===----------------------------------------------------------------------===//

struct LayerNormLowering : OpRewritePattern<LayerNormOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(LayerNormOp op, PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value x = op.getInput();
    Type f = op.getType().getElementType();
    int64_t axis = op.getType().getRank() - 1;
    Value zero = floatConstant(rewriter, loc, f, 0.0);
    Value invN = rewriter.create<arith::DivFOp>(loc, floatConstant(rewriter, loc, f, 1.0),
                                                dimAsFloat(rewriter, loc, x, axis, f));
    Value eps = floatConstant(rewriter, loc, f, op.getEpsilon().convertToDouble());

    // Two passes (mean, then centred variance) for accuracy close to PyTorch's.
    Value sum = buildReduction(rewriter, loc, x, axis, zero, {},
                               [](OpBuilder &b, Location l, ValueRange args) -> Value {
                                 return b.create<arith::AddFOp>(l, args[0], args[1]);
                               });
    Value squares = buildReduction(
        rewriter, loc, x, axis, zero, sum, [&](OpBuilder &b, Location l, ValueRange args) {
          Value mean = b.create<arith::MulFOp>(l, args[1], invN);
          Value centred = b.create<arith::SubFOp>(l, args[0], mean);
          Value square = b.create<arith::MulFOp>(l, centred, centred);
          return b.create<arith::AddFOp>(l, args[2], square).getResult();
        });
    Value result = buildAlongAxis(
        rewriter, loc, x, axis, {sum, squares}, {op.getGain(), op.getBias()},
        [&](OpBuilder &b, Location l, ValueRange args) -> Value {
          Value mean = b.create<arith::MulFOp>(l, args[1], invN);
          Value variance = b.create<arith::MulFOp>(l, args[2], invN);
          Value denom = b.create<math::SqrtOp>(l, b.create<arith::AddFOp>(l, variance, eps));
          Value normed =
              b.create<arith::DivFOp>(l, b.create<arith::SubFOp>(l, args[0], mean), denom);
          return b.create<arith::AddFOp>(l, b.create<arith::MulFOp>(l, normed, args[3]),
                                         args[4]);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct RmsNormLowering : OpRewritePattern<RmsNormOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(RmsNormOp op, PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value x = op.getInput();
    Type f = op.getType().getElementType();
    int64_t axis = op.getType().getRank() - 1;
    Value invN = rewriter.create<arith::DivFOp>(loc, floatConstant(rewriter, loc, f, 1.0),
                                                dimAsFloat(rewriter, loc, x, axis, f));
    Value eps = floatConstant(rewriter, loc, f, op.getEpsilon().convertToDouble());
    Value squares = buildReduction(
        rewriter, loc, x, axis, floatConstant(rewriter, loc, f, 0.0), {},
        [](OpBuilder &b, Location l, ValueRange args) -> Value {
          return b.create<arith::AddFOp>(l, args[1], b.create<arith::MulFOp>(l, args[0], args[0]));
        });
    Value result = buildAlongAxis(
        rewriter, loc, x, axis, {squares}, {op.getGain()},
        [&](OpBuilder &b, Location l, ValueRange args) -> Value {
          Value meanSquare = b.create<arith::MulFOp>(l, args[1], invN);
          Value root = b.create<math::SqrtOp>(l, b.create<arith::AddFOp>(l, meanSquare, eps));
          // x * (1 / root), then the gain: the order PyTorch's RMSNorm rounds in.
          Value inverse = b.create<arith::DivFOp>(l, floatConstant(b, l, args[0].getType(), 1.0),
                                                  root);
          return b.create<arith::MulFOp>(l, args[2], b.create<arith::MulFOp>(l, args[0], inverse));
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// Each output element reads its own input element and its rotation partner (half a head
/// away), so the input is read with tensor.extract at explicit indices.
struct RopeLowering : OpRewritePattern<RopeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(RopeOp op, PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    RankedTensorType type = op.getType();
    Type f = type.getElementType();
    int64_t rank = type.getRank();
    int64_t headDim = type.getShape().back(), half = headDim / 2;
    // theta^(-2i/d) for i < d/2, rounded to f32 as PyTorch computes it.
    SmallVector<float> inverseFrequencies;
    for (int64_t i = 0; i < half; ++i)
      inverseFrequencies.push_back(
          1.0f / std::pow(static_cast<float>(op.getTheta().convertToDouble()),
                          static_cast<float>(2 * i) / static_cast<float>(headDim)));
    auto tableType = RankedTensorType::get({half}, f);
    Value table = rewriter.create<arith::ConstantOp>(
        loc, DenseElementsAttr::get(tableType, ArrayRef<float>(inverseFrequencies)));

    // cos and sin of every (position, frequency) once, [seq, head_dim / 2] (or
    // [batch, seq, head_dim / 2] when each row has its own positions): every head reads the
    // same table (and CSE shares it between layers), so the transcendental functions run
    // seq · head_dim / 2 times per row at most, not once per element.
    Value positions = op.getPositions();
    auto positionsType = cast<RankedTensorType>(positions.getType());
    int64_t positionRank = positionsType.getRank();
    SmallVector<int64_t> angleShape(positionsType.getShape());
    angleShape.push_back(half);
    auto angleType = RankedTensorType::get(angleShape, f);
    auto angleInit = [&]() {
      return emptyTensor(rewriter, loc, angleType, [&](int64_t i) -> Value {
        return rewriter.create<tensor::DimOp>(loc, positions, i);
      });
    };
    MLIRContext *ctx = rewriter.getContext();
    AffineMap tableIdentity = rewriter.getMultiDimIdentityMap(positionRank + 1);
    SmallVector<utils::IteratorType> tableIterators(positionRank + 1,
                                                    utils::IteratorType::parallel);
    auto trig = rewriter.create<linalg::GenericOp>(
        loc, TypeRange{angleType, angleType}, ValueRange{positions, table},
        ValueRange{angleInit(), angleInit()},
        ArrayRef<AffineMap>{tableIdentity.getMajorSubMap(positionRank),
                            AffineMap::get(positionRank + 1, 0,
                                           getAffineDimExpr(positionRank, ctx)),
                            tableIdentity, tableIdentity},
        tableIterators, [&](OpBuilder &b, Location l, ValueRange args) {
          Value angle = b.create<arith::MulFOp>(l, b.create<arith::SIToFPOp>(l, f, args[0]), args[1]);
          b.create<linalg::YieldOp>(
              l, ValueRange{b.create<math::CosOp>(l, angle), b.create<math::SinOp>(l, angle)});
        });

    // out[.., s, j] = x[j] · cos[s, j mod h/2] + rotate_half(x)[j] · sin[s, j mod h/2].
    AffineMap identity = rewriter.getMultiDimIdentityMap(rank);
    SmallVector<AffineExpr> tableIndices;
    if (positionRank == 2)
      tableIndices.push_back(getAffineDimExpr(0, ctx));
    tableIndices.append({getAffineDimExpr(rank - 2, ctx), getAffineDimExpr(rank - 1, ctx) % half});
    AffineMap tableMap = AffineMap::get(rank, 0, tableIndices, ctx);
    Value init = emptyTensor(rewriter, loc, type, [&](int64_t i) -> Value {
      return rewriter.create<tensor::DimOp>(loc, op.getInput(), i);
    });
    Value halfIndex = rewriter.create<arith::ConstantIndexOp>(loc, half);
    SmallVector<utils::IteratorType> iterators(rank, utils::IteratorType::parallel);
    auto generic = rewriter.create<linalg::GenericOp>(
        loc, type, ValueRange{op.getInput(), trig.getResult(0), trig.getResult(1)}, init,
        ArrayRef<AffineMap>{identity, tableMap, tableMap, identity}, iterators,
        [&](OpBuilder &b, Location l, ValueRange args) {
          SmallVector<Value> indices;
          for (int64_t d = 0; d < rank; ++d)
            indices.push_back(b.create<linalg::IndexOp>(l, d));
          Value j = indices.back();
          Value firstHalf = b.create<arith::CmpIOp>(l, arith::CmpIPredicate::ult, j, halfIndex);
          Value pair = b.create<arith::SelectOp>(l, firstHalf,
                                                 b.create<arith::AddIOp>(l, j, halfIndex),
                                                 b.create<arith::SubIOp>(l, j, halfIndex));
          indices.back() = pair;
          Value partner = b.create<tensor::ExtractOp>(l, op.getInput(), indices);
          // rotate_half(x)[j] is -x[j + h/2] in the first half and x[j - h/2] in the second.
          Value rotated = b.create<arith::SelectOp>(l, firstHalf,
                                                    b.create<arith::NegFOp>(l, partner), partner);
          Value result = b.create<arith::AddFOp>(l, b.create<arith::MulFOp>(l, args[0], args[1]),
                                                 b.create<arith::MulFOp>(l, rotated, args[2]));
          b.create<linalg::YieldOp>(l, result);
        });
    rewriter.replaceOp(op, generic.getResult(0));
    return success();
  }
};

/// Attention through its decomposition (q·kᵀ, scale, bias, mask, softmax, ·v), whose ops the
/// other patterns lower in turn: the reference the online kernel is compared against.
struct AttentionLowering : OpRewritePattern<AttentionOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(AttentionOp op, PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    RankedTensorType key = op.getKey().getType();
    Type f = key.getElementType();
    Value kt = transposeLastTwo(rewriter, loc, op.getKey());
    auto scoresType = RankedTensorType::get(op.getScoresShape(), f);
    Value scores = rewriter.create<MatmulOp>(loc, scoresType, op.getQuery(), kt);
    auto broadcastType = [&](Value a, Value b, Type element) {
      SmallVector<int64_t> shape;
      broadcastShapes(cast<RankedTensorType>(a.getType()).getShape(),
                      cast<RankedTensorType>(b.getType()).getShape(), shape);
      return RankedTensorType::get(shape, element);
    };
    auto scalar = [&](double value) -> Value {
      auto type = RankedTensorType::get({}, f);
      return rewriter.create<arith::ConstantOp>(
          loc, DenseElementsAttr::get(type, rewriter.getFloatAttr(f, value)));
    };
    double scale = op.getScale().convertToDouble();
    if (scale != 1.0)
      scores = rewriter.create<MulOp>(loc, scores.getType(), scores, scalar(scale));
    if (Value bias = op.getBias())
      scores = rewriter.create<AddOp>(loc, broadcastType(scores, bias, f), scores, bias);
    if (Value mask = op.getMask()) {
      Value masked = scalar(op.getMaskedValue().convertToDouble());
      scores = rewriter.create<SelectOp>(loc, broadcastType(mask, scores, f), mask, scores, masked);
    }
    if (op.getCausal()) {
      // The causal mask the op implies, [rows, 1, ..., Sq, Sk] (rows: 1, or the batch when
      // each row has its own query offset), from the one definition of which keys a query
      // sees.
      auto scoresType = cast<RankedTensorType>(scores.getType());
      int64_t rank = scoresType.getRank();
      Value offsets = op.getQueryOffsets();
      SmallVector<int64_t> shape(rank, 1);
      shape[0] = offsets ? ShapedType::kDynamic : 1;
      shape[rank - 2] = scoresType.getDimSize(rank - 2);
      shape[rank - 1] = scoresType.getDimSize(rank - 1);
      auto maskType = RankedTensorType::get(shape, rewriter.getI1Type());
      Value init = emptyTensor(rewriter, loc, maskType, [&](int64_t i) -> Value {
        if (i == 0 && rank > 2)
          return rewriter.create<tensor::DimOp>(loc, offsets, 0);
        return rewriter.create<tensor::DimOp>(loc, scores, i);
      });
      SmallVector<utils::IteratorType> iterators(rank, utils::IteratorType::parallel);
      Value visible =
          rewriter
              .create<linalg::GenericOp>(
                  loc, maskType, ValueRange{}, init,
                  ArrayRef<AffineMap>{rewriter.getMultiDimIdentityMap(rank)}, iterators,
                  [&](OpBuilder &b, Location l, ValueRange) {
                    Value position = attentionQueryPosition(
                        b, l, offsets, b.create<linalg::IndexOp>(l, 0),
                        b.create<linalg::IndexOp>(l, rank - 2));
                    b.create<linalg::YieldOp>(
                        l, attentionKeyVisible(b, l, b.create<linalg::IndexOp>(l, rank - 1),
                                               position));
                  })
              .getResult(0);
      Value masked = scalar(op.getMaskedValue().convertToDouble());
      scores = rewriter.create<SelectOp>(loc, scoresType, visible, scores, masked);
    }
    auto type = cast<RankedTensorType>(scores.getType());
    Value probabilities = rewriter.create<SoftmaxOp>(loc, type, scores, type.getRank() - 1);
    rewriter.replaceOpWithNewOp<MatmulOp>(op, op.getType(), probabilities, op.getValue());
    return success();
  }
};

/// Row b of the update goes to its own offset along the length dim: a loop over the rows
/// (each holds a different number of tokens), each an insert of its [1, ..., len, d] slice,
/// which bufferizes in place into the cache. An update that is a transpose keeping the batch
/// and last dims (the heads split out of [batch, seq, heads, d]) is transposed straight into
/// the cache: the transposed tensor is never made.
struct CacheWriteLowering : OpRewritePattern<CacheWriteOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(CacheWriteOp op, PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value update = op.getUpdate(), source;
    int64_t rank = tensorOf(update).getRank();
    SmallVector<int64_t> permutation;
    if (auto transpose = update.getDefiningOp<TransposeOp>()) {
      source = transpose.getInput();
      permutation.assign(transpose.getPermutation().begin(), transpose.getPermutation().end());
    } else if (auto transpose = update.getDefiningOp<linalg::TransposeOp>()) {
      source = transpose.getInput();
      permutation.assign(transpose.getPermutation().begin(), transpose.getPermutation().end());
    }
    if (source && (permutation.front() != 0 || permutation.back() != rank - 1))
      source = Value();
    Value zero = rewriter.create<arith::ConstantIndexOp>(loc, 0);
    Value one = rewriter.create<arith::ConstantIndexOp>(loc, 1);
    Value rows = rewriter.create<tensor::DimOp>(loc, update, 0);
    // The kernel table's name for the loop (it moves data: no FLOPs), and its bytes: the
    // update read, as many written into the cache, the offsets read (not the whole cache).
    RankedTensorType updateType = tensorOf(update);
    Value bytes =
        rewriter.create<arith::ConstantIndexOp>(loc, 2 * updateType.getElementTypeBitWidth() / 8);
    for (int64_t i = 0; i < updateType.getRank(); ++i)
      bytes = rewriter.create<arith::MulIOp>(
          loc, bytes,
          updateType.isDynamicDim(i)
              ? rewriter.create<tensor::DimOp>(loc, update, i).getResult()
              : rewriter.create<arith::ConstantIndexOp>(loc, updateType.getDimSize(i)).getResult());
    bytes = rewriter.create<arith::AddIOp>(
        loc, bytes,
        rewriter.create<arith::MulIOp>(loc, rows, rewriter.create<arith::ConstantIndexOp>(loc, 4)));
    rewriter.create<KernelCostOp>(loc, zero, bytes, rewriter.getStringAttr("cache write"),
                                  rewriter.getStrArrayAttr({}));
    auto loop = rewriter.create<scf::ForOp>(
        loc, zero, rows, one, ValueRange{op.getCache()},
        [&](OpBuilder &b, Location l, Value row, ValueRange carried) {
          SmallVector<OpFoldResult> origin(rank, b.getIndexAttr(0)), to(rank, b.getIndexAttr(0));
          SmallVector<OpFoldResult> strides(rank, b.getIndexAttr(1));
          origin[0] = to[0] = row;
          to[rank - 2] = b.create<arith::IndexCastOp>(
                              l, b.getIndexType(),
                              b.create<tensor::ExtractOp>(l, op.getOffsets(), row))
                             .getResult();
          Value written;
          if (source) {
            SmallVector<OpFoldResult> sourceSizes = tensor::getMixedSizes(b, l, source);
            sourceSizes[0] = b.getIndexAttr(1);
            SmallVector<OpFoldResult> sizes;
            for (int64_t i = 0; i < rank; ++i)
              sizes.push_back(sourceSizes[permutation[i]]);
            Value from = b.create<tensor::ExtractSliceOp>(l, source, origin, sourceSizes, strides);
            Value into = b.create<tensor::ExtractSliceOp>(l, carried[0], to, sizes, strides);
            Value moved =
                b.create<linalg::TransposeOp>(l, from, into, permutation)->getResult(0);
            written = b.create<tensor::InsertSliceOp>(l, moved, carried[0], to, sizes, strides);
          } else {
            SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, l, update);
            sizes[0] = b.getIndexAttr(1);
            Value slice = b.create<tensor::ExtractSliceOp>(l, update, origin, sizes, strides);
            written = b.create<tensor::InsertSliceOp>(l, slice, carried[0], to, sizes, strides);
          }
          b.create<scf::YieldOp>(l, written);
        });
    rewriter.replaceOp(op, loop.getResult(0));
    return success();
  }
};

struct SoftmaxLowering : OpRewritePattern<SoftmaxOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(SoftmaxOp op, PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value x = op.getInput();
    Type f = op.getType().getElementType();
    int64_t axis = op.getAxis();
    Value lowest = floatConstant(rewriter, loc, f, -INFINITY);
    Value zero = floatConstant(rewriter, loc, f, 0.0);
    Value max = buildReduction(rewriter, loc, x, axis, lowest, {},
                               [](OpBuilder &b, Location l, ValueRange args) -> Value {
                                 return b.create<arith::MaxNumFOp>(l, args[0], args[1]);
                               });
    Value sum = buildReduction(rewriter, loc, x, axis, zero, max,
                               [](OpBuilder &b, Location l, ValueRange args) -> Value {
                                 Value shifted = b.create<arith::SubFOp>(l, args[0], args[1]);
                                 Value e = b.create<math::ExpOp>(l, shifted);
                                 return b.create<arith::AddFOp>(l, args[2], e);
                               });
    Value result = buildAlongAxis(rewriter, loc, x, axis, {max, sum}, {},
                                  [](OpBuilder &b, Location l, ValueRange args) -> Value {
                                    Value shifted = b.create<arith::SubFOp>(l, args[0], args[1]);
                                    Value e = b.create<math::ExpOp>(l, shifted);
                                    return b.create<arith::DivFOp>(l, e, args[2]);
                                  });
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct LowerToLinalgPass : attune::impl::AttuneLowerToLinalgPassBase<LowerToLinalgPass> {
  using AttuneLowerToLinalgPassBase::AttuneLowerToLinalgPassBase;
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateLowerToLinalgPatterns(patterns);
    if (decomposeAttention)
      populateAttentionDecompositionPatterns(patterns);
    else
      populateOnlineAttentionPatterns(patterns, attentionBlock, attentionQueryBlock);
    TargetDescription machine = targetOf(getOperation());
    int64_t lanes = vectorLanes > 0 ? int64_t(vectorLanes) : machine.lanes;
    int64_t registers = vectorRegisters > 0 ? int64_t(vectorRegisters) : machine.registers;
    if (vectorNorms)
      populateVectorNormPatterns(patterns, lanes);
    if (!decomposeAttention && vectorAttention)
      populateVectorAttentionPatterns(
          patterns, {lanes, registers, attentionQueryBlock, attentionBlock});

    ConversionTarget target(getContext());
    target.addIllegalDialect<AttuneDialect>();
    // Kernel descriptions stay for attune-instrument-kernels, bf16 dot products in kernels for
    // attune-lower-bf16-dot: they are not graph ops.
    target.addLegalOp<KernelCostOp, Bf16DotOp>();
    target.markUnknownOpDynamicallyLegal([](Operation *) { return true; });
    if (failed(applyPartialConversion(getOperation(), target, std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace

void attune::populateAttentionDecompositionPatterns(RewritePatternSet &patterns) {
  patterns.add<AttentionLowering>(patterns.getContext());
}

void attune::populateLowerToLinalgPatterns(RewritePatternSet &patterns) {
  MLIRContext *ctx = patterns.getContext();
  patterns.add<BinaryLowering<AddOp, arith::AddFOp, arith::AddIOp>,
               BinaryLowering<SubOp, arith::SubFOp, arith::SubIOp>,
               BinaryLowering<MulOp, arith::MulFOp, arith::MulIOp>,
               BinaryLowering<DivOp, arith::DivFOp, arith::DivSIOp>,
               CompareLowering, SelectLowering, MatmulLowering, PackedMatmulLowering, EmbedLowering, IotaLowering,
               TransposeLowering, ReshapeLowering, SliceLowering, LayerNormLowering,
               RmsNormLowering, RopeLowering, SoftmaxLowering, CacheWriteLowering>(ctx);
  patterns.add<UnaryLowering<GeluOp>>(ctx, geluFormula);
  patterns.add<UnaryLowering<ReluOp>>(ctx, reluFormula);
  patterns.add<UnaryLowering<SiluOp>>(ctx, siluFormula);
  patterns.add<UnaryLowering<TanhOp>>(ctx, tanhFormula);
}
