// The blocked attention kernel on tensors: attune.attention lowered to an online-softmax loop
// nest (flash-attention style) of linalg ops, one thread, scalar loops after lowering. It takes
// what the vectorized kernel (VectorAttention.cpp) does not: other element types, dynamic head
// dims, or `vector-attention=false` (`attune build --blocked-attention`). For each block of
// queries and each block of keys it computes the block's scores, folds them into a running row
// max, a running row sum and a rescaled output accumulator, and never materialises the Sq×Sk
// score matrix: extra memory is O(query block · key block) per batch and head, whatever the
// sequence length.
//
//   for q0 in 0..Sq step query_block:          (q, and the mask/bias rows, sliced to the block)
//   m = -inf, l = 0, acc = 0
//   for k0 in 0..(causal ? min(Sk, q0 + qb) : Sk) step block:
//     s    = where(mask, q·k[k0:]ᵀ·scale + bias, masked_value)   [..., Sq, kb]
//     m'   = max(m, rowmax(s))
//     p    = exp(s - m')
//     l    = l·exp(m - m') + rowsum(p)
//     acc  = acc·exp(m - m') + p·v[k0:]
//     m    = m'
//   out[q0:] = acc / l
#include "ir/AttuneDialect.h"
#include "passes/AttentionSemantics.h"
#include "passes/LinalgBuilders.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"

#include <cmath>

using namespace mlir;
using namespace attune;

namespace {

/// Offsets, sizes and strides of the slice [offset, offset + size) of `value` along `axis`
/// (everything along the other dims).
struct AxisSlice {
  SmallVector<OpFoldResult> offsets, sizes, strides;
};
AxisSlice sliceAlong(OpBuilder &b, Location loc, Value value, int64_t axis, Value offset,
                     Value size) {
  int64_t rank = tensorOf(value).getRank();
  AxisSlice slice{SmallVector<OpFoldResult>(rank, b.getIndexAttr(0)),
                  tensor::getMixedSizes(b, loc, value),
                  SmallVector<OpFoldResult>(rank, b.getIndexAttr(1))};
  slice.offsets[axis] = offset;
  slice.sizes[axis] = size;
  return slice;
}

/// A slice of `value` along the dim `fromRight` from the end (2: the length axis of q/k/v and
/// the query axis of a mask/bias; 1: the key axis of a mask/bias) covering [k0, k0 + size),
/// unless that dim is a broadcast 1 or the value has no such dim.
Value sliceKeys(OpBuilder &b, Location loc, Value value, int64_t fromRight, Value k0,
                Value size) {
  RankedTensorType type = tensorOf(value);
  int64_t axis = type.getRank() - fromRight;
  if (axis < 0 || type.getDimSize(axis) == 1)
    return value;
  SmallVector<int64_t> shape(type.getShape());
  shape[axis] = ShapedType::kDynamic;
  AxisSlice slice = sliceAlong(b, loc, value, axis, k0, size);
  return b.create<tensor::ExtractSliceOp>(loc, RankedTensorType::get(shape, type.getElementType()),
                                          value, slice.offsets, slice.sizes, slice.strides);
}

/// A contraction over loops (batch..., rows, cols, k) with `reduceOver` the last loop:
/// out[batch, rows, cols] += lhs[batch, rows, k] * rhs[batch, rhsRow, rhsCol], with lhs/rhs
/// maps given by (row, col) loop positions. `init` is the accumulator.
Value contract(OpBuilder &b, Location loc, Value lhs, Value rhs, Value init,
               ArrayRef<int64_t> batchShape, std::pair<unsigned, unsigned> lhsDims,
               std::pair<unsigned, unsigned> rhsDims) {
  MLIRContext *ctx = b.getContext();
  unsigned batchRank = batchShape.size();
  unsigned numLoops = batchRank + 3;
  auto operandMap = [&](Value operand, std::pair<unsigned, unsigned> dims) {
    RankedTensorType type = tensorOf(operand);
    AffineMap batch = broadcastMap(ctx, type.getShape().drop_back(2), batchShape, numLoops,
                                   batchRank - (type.getRank() - 2));
    SmallVector<AffineExpr> exprs(batch.getResults());
    exprs.push_back(getAffineDimExpr(dims.first, ctx));
    exprs.push_back(getAffineDimExpr(dims.second, ctx));
    return AffineMap::get(numLoops, 0, exprs, ctx);
  };
  SmallVector<AffineExpr> outExprs;
  for (unsigned i = 0; i < numLoops - 1; ++i)
    outExprs.push_back(getAffineDimExpr(i, ctx));
  SmallVector<AffineMap> maps{operandMap(lhs, lhsDims), operandMap(rhs, rhsDims),
                              AffineMap::get(numLoops, 0, outExprs, ctx)};
  SmallVector<utils::IteratorType> iterators(numLoops, utils::IteratorType::parallel);
  iterators.back() = utils::IteratorType::reduction;
  return b
      .create<linalg::GenericOp>(
          loc, init.getType(), ValueRange{lhs, rhs}, init, maps, iterators,
          [](OpBuilder &nb, Location l, ValueRange args) {
            Value product = nb.create<arith::MulFOp>(l, args[0], args[1]);
            nb.create<linalg::YieldOp>(l, ValueRange{nb.create<arith::AddFOp>(l, args[2], product)});
          })
      .getResult(0);
}

/// Reduces the last axis of `input` into `init` (which lacks that axis) with `combine`.
Value reduceLast(OpBuilder &b, Location loc, Value input, Value init, BodyBuilder combine) {
  int64_t rank = tensorOf(input).getRank();
  AffineMap identity = b.getMultiDimIdentityMap(rank);
  SmallVector<utils::IteratorType> iterators(rank, utils::IteratorType::parallel);
  iterators.back() = utils::IteratorType::reduction;
  return b
      .create<linalg::GenericOp>(
          loc, init.getType(), input, init,
          ArrayRef<AffineMap>{identity, identity.dropResult(rank - 1)}, iterators,
          [&](OpBuilder &nb, Location l, ValueRange args) {
            nb.create<linalg::YieldOp>(l, combine(nb, l, args));
          })
      .getResult(0);
}

struct OnlineAttention : OpRewritePattern<AttentionOp> {
  OnlineAttention(MLIRContext *ctx, int64_t block, int64_t queryBlock)
      : OpRewritePattern(ctx), block(block), queryBlock(queryBlock) {}

  LogicalResult matchAndRewrite(AttentionOp op, PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value q = op.getQuery();
    RankedTensorType result = op.getType();
    int64_t rank = result.getRank();
    Value queries = rewriter.create<tensor::DimOp>(loc, q, tensorOf(q).getRank() - 2);
    Value out0 = emptyTensor(rewriter, loc, result, [&](int64_t i) {
      return resultDimSize(rewriter, loc, op, i, queries);
    });
    // Blocks of queries: each computes its rows of the output from the blocks of keys.
    Value begin = rewriter.create<arith::ConstantIndexOp>(loc, 0);
    Value step = rewriter.create<arith::ConstantIndexOp>(loc, queryBlock);
    auto loop = rewriter.create<scf::ForOp>(
        loc, begin, queries, step, ValueRange{out0},
        [&](OpBuilder &b, Location l, Value q0, ValueRange carried) {
          Value size = b.create<arith::MinSIOp>(l, step, b.create<arith::SubIOp>(l, queries, q0));
          Value qTile = sliceKeys(b, l, q, 2, q0, size);
          Value maskTile = op.getMask() ? sliceKeys(b, l, op.getMask(), 2, q0, size) : Value();
          Value biasTile = op.getBias() ? sliceKeys(b, l, op.getBias(), 2, q0, size) : Value();
          // Causal: keys after the block's last query are all masked; their blocks are skipped.
          // (With per-row query offsets every row of the block may see a different number of
          // keys: all blocks run and the mask hides the rest.)
          Value keys = b.create<tensor::DimOp>(l, op.getKey(), tensorOf(op.getKey()).getRank() - 2);
          Value keyLimit =
              op.getCausal() && !op.getQueryOffsets()
                  ? b.create<arith::MinSIOp>(l, keys, b.create<arith::AddIOp>(l, q0, size))
                        .getResult()
                  : keys;
          Value tile = attendBlock(b, l, op, qTile, maskTile, biasTile, size, keyLimit, q0);
          AxisSlice slice = sliceAlong(b, l, tile, rank - 2, q0, size);
          Value updated = b.create<tensor::InsertSliceOp>(l, tile, carried[0], slice.offsets,
                                                          slice.sizes, slice.strides);
          b.create<scf::YieldOp>(l, updated);
        });
    rewriter.replaceOp(op, loop.getResult(0));
    return success();
  }

  /// The size of result dim `i`, with `queries` for the query dim.
  static Value resultDimSize(OpBuilder &b, Location loc, AttentionOp op, int64_t i,
                             Value queries) {
    Value k = op.getKey(), v = op.getValue(), q = op.getQuery();
    int64_t rank = op.getType().getRank();
    int64_t batchRank = rank - 2;
    if (i == rank - 2)
      return queries;
    if (i == rank - 1)
      return b.create<tensor::DimOp>(loc, v, tensorOf(v).getRank() - 1);
    for (Value operand : {q, k, v}) {
      int64_t j = i - (batchRank - (tensorOf(operand).getRank() - 2));
      if (j >= 0 && tensorOf(operand).isDynamicDim(j))
        return b.create<tensor::DimOp>(loc, operand, j);
    }
    llvm_unreachable("dynamic batch dim with no dynamic operand");
  }

  /// The output rows for one block of `querySize` queries `q` (mask and bias sliced to them):
  /// the online softmax over blocks of the first `keys` keys.
  Value attendBlock(OpBuilder &rewriter, Location loc, AttentionOp op, Value q, Value mask,
                    Value bias, Value querySize, Value keys, Value queryOffset) const {
    bool causal = op.getCausal();
    Value k = op.getKey(), v = op.getValue();
    RankedTensorType full = op.getType();
    Type f = full.getElementType();
    int64_t rank = full.getRank();
    SmallVector<int64_t> batchShape(full.getShape().drop_back(2));
    int64_t batchRank = batchShape.size();
    SmallVector<int64_t> outShape(full.getShape());
    outShape[rank - 2] = ShapedType::kDynamic;
    auto result = RankedTensorType::get(outShape, f);
    auto sizeOfResultDim = [&](int64_t i) {
      return resultDimSize(rewriter, loc, op, i, querySize);
    };
    // Running statistics [batch..., qb] and output [batch..., qb, Dv].
    SmallVector<int64_t> rowShape(outShape.begin(), outShape.end() - 1);
    auto rowType = RankedTensorType::get(rowShape, f);
    Value lowest = floatConstant(rewriter, loc, f, -INFINITY);
    Value zero = floatConstant(rewriter, loc, f, 0.0);
    Value m0 = filledTensor(rewriter, loc, rowType, lowest, sizeOfResultDim);
    Value l0 = filledTensor(rewriter, loc, rowType, zero, sizeOfResultDim);
    Value acc0 = filledTensor(rewriter, loc, result, zero, sizeOfResultDim);

    Value begin = rewriter.create<arith::ConstantIndexOp>(loc, 0);
    Value step = rewriter.create<arith::ConstantIndexOp>(loc, block);
    double scale = op.getScale().convertToDouble();
    double maskedValue = op.getMaskedValue().convertToDouble();

    auto loop = rewriter.create<scf::ForOp>(
        loc, begin, keys, step, ValueRange{m0, l0, acc0},
        [&](OpBuilder &b, Location l, Value k0, ValueRange carried) {
          Value m = carried[0], sum = carried[1], acc = carried[2];
          Value size = b.create<arith::MinSIOp>(l, step, b.create<arith::SubIOp>(l, keys, k0));
          Value kTile = sliceKeys(b, l, k, 2, k0, size);
          Value vTile = sliceKeys(b, l, v, 2, k0, size);

          // Scores of the block's queries against this block of keys: [batch..., qb, kb].
          SmallVector<int64_t> scoreShape(rowShape);
          scoreShape.push_back(ShapedType::kDynamic);
          auto scoreType = RankedTensorType::get(scoreShape, f);
          Value scores0 = filledTensor(b, l, scoreType, floatConstant(b, l, f, 0.0),
                                       [&](int64_t i) -> Value {
                                         return i == rank - 1 ? size : sizeOfResultDim(i);
                                       });
          // Loops (batch..., qb, kb, D): q[.., qb, D] x k[.., kb, D].
          Value scores = contract(b, l, q, kTile, scores0, batchShape,
                                  {batchRank, batchRank + 2}, {batchRank + 1, batchRank + 2});
          SmallVector<Value> extras{scores};
          Value maskTile = mask ? sliceKeys(b, l, mask, 1, k0, size) : Value();
          Value biasTile = bias ? sliceKeys(b, l, bias, 1, k0, size) : Value();
          if (biasTile)
            extras.push_back(biasTile);
          if (maskTile)
            extras.push_back(maskTile);
          scores = buildElementwise(
              b, l, scoreType, extras, [&](OpBuilder &nb, Location nl, ValueRange args) -> Value {
                Value s = args[0];
                if (scale != 1.0)
                  s = nb.create<arith::MulFOp>(nl, s, floatConstant(nb, nl, f, scale));
                unsigned next = 1;
                if (biasTile)
                  s = nb.create<arith::AddFOp>(nl, s, args[next++]);
                if (maskTile)
                  s = nb.create<arith::SelectOp>(nl, args[next], s,
                                                 floatConstant(nb, nl, f, maskedValue));
                if (causal) {
                  // Key k0 + j after the position of query q0 + i: masked.
                  Value query = nb.create<arith::AddIOp>(
                      nl, queryOffset, nb.create<linalg::IndexOp>(nl, rank - 2));
                  Value position = attentionQueryPosition(nb, nl, op.getQueryOffsets(),
                                                          nb.create<linalg::IndexOp>(nl, 0),
                                                          query);
                  Value key =
                      nb.create<arith::AddIOp>(nl, k0, nb.create<linalg::IndexOp>(nl, rank - 1));
                  Value visible = attentionKeyVisible(nb, nl, key, position);
                  s = nb.create<arith::SelectOp>(nl, visible, s,
                                                 floatConstant(nb, nl, f, maskedValue));
                }
                return s;
              });

          Value mNew = reduceLast(b, l, scores, m, [](OpBuilder &nb, Location nl, ValueRange a) {
            return nb.create<arith::MaximumFOp>(nl, a[0], a[1]).getResult();
          });
          Value p = buildAlongAxis(b, l, scores, rank - 1, {mNew}, {},
                                   [](OpBuilder &nb, Location nl, ValueRange a) -> Value {
                                     Value shifted = nb.create<arith::SubFOp>(nl, a[0], a[1]);
                                     return nb.create<math::ExpOp>(nl, shifted);
                                   });
          // exp(m - m'): how much the statistics so far shrink.
          Value correction = buildElementwise(
              b, l, rowType, ValueRange{m, mNew},
              [](OpBuilder &nb, Location nl, ValueRange a) -> Value {
                return nb.create<math::ExpOp>(nl, nb.create<arith::SubFOp>(nl, a[0], a[1]));
              });
          Value sumScaled = buildElementwise(b, l, rowType, ValueRange{sum, correction},
                                             [](OpBuilder &nb, Location nl, ValueRange a) -> Value {
                                               return nb.create<arith::MulFOp>(nl, a[0], a[1]);
                                             });
          Value sumNew =
              reduceLast(b, l, p, sumScaled, [](OpBuilder &nb, Location nl, ValueRange a) {
                return nb.create<arith::AddFOp>(nl, a[0], a[1]).getResult();
              });
          Value accScaled = buildAlongAxis(b, l, acc, rank - 1, {correction}, {},
                                           [](OpBuilder &nb, Location nl, ValueRange a) -> Value {
                                             return nb.create<arith::MulFOp>(nl, a[0], a[1]);
                                           });
          // Loops (batch..., qb, Dv, kb): p[.., qb, kb] x v[.., kb, Dv].
          Value accNew = contract(b, l, p, vTile, accScaled, batchShape, {batchRank, batchRank + 2},
                                  {batchRank + 2, batchRank + 1});
          b.create<scf::YieldOp>(l, ValueRange{mNew, sumNew, accNew});
        });

    return buildAlongAxis(rewriter, loc, loop.getResult(2), rank - 1, {loop.getResult(1)}, {},
                          [](OpBuilder &nb, Location nl, ValueRange a) -> Value {
                            return nb.create<arith::DivFOp>(nl, a[0], a[1]);
                          });
  }

  int64_t block, queryBlock;
};

} // namespace

void attune::populateOnlineAttentionPatterns(RewritePatternSet &patterns, int64_t block,
                                             int64_t queryBlock) {
  patterns.add<OnlineAttention>(patterns.getContext(), block, queryBlock);
}
