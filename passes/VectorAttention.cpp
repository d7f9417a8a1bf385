// The vectorized attention kernel: attune.attention as an online-softmax loop nest written
// directly with vector registers, parallel over (batch..., query block) tasks.
//
// Scores are computed transposed, keys down and queries across the vector lanes, so that
// every contraction is a register tile of outer products whose vector operand is contiguous
// in a small packed buffer and whose scalar operand is broadcast straight from k or v:
//
//   task (batch..., query block of QB at i0; blocks end at the last query):
//     qᵀ[d][i]  = q[i0 + i][d] · scale · log2 e          packed once per task
//     for key block j0 (KB keys; causal: none after the task's last query):
//       for column tile of W = lanes·vectors queries (causal: only keys it can see):
//         sᵀ[j][i] = Σ_d k[j0 + j][d] · qᵀ[d][i]          MR keys × W queries in registers
//         mask/bias/causal into sᵀ; m' = max(m, max_j sᵀ); p = 2^(sᵀ − m'); α = 2^(m − m')
//         l = l·α + Σ_j p
//         oᵀ[c][i] = oᵀ[c][i]·α + Σ_j v[j0 + j][c] · p[j][i]   MR channels × W queries
//     out[i0 + i][c] = oᵀ[c][i] / l[i]
//
// Extra memory is the per-thread scratch (qᵀ, sᵀ, oᵀ: a few tens of KiB), whatever the
// sequence length. The task loop is an scf.parallel marked `attune.tasks`, which
// attune-outline-parallel turns into a function the runtime's thread pool runs.
#include "ir/AttuneDialect.h"
#include "passes/AttentionSemantics.h"
#include "passes/KernelBuilder.h"
#include "passes/LinalgBuilders.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/PatternMatch.h"
#include "llvm/Support/FormatVariadic.h"

#include <cmath>

using namespace mlir;
using namespace attune;

namespace {

constexpr double kLog2E = 1.44269504088896341;

/// Register-tile geometry, from the target's vector width and register count.
struct TileShape {
  int64_t lanes;      // f32 lanes per vector register
  int64_t vectors;    // vector registers across a tile (W = lanes · vectors queries)
  int64_t rows;       // rows (keys, or output channels) down a tile
  int64_t queryBlock; // queries per task, a multiple of W
  int64_t keyBlock;   // keys per block
  /// Rows of the scores scratch: whole register tiles cover the key block.
  int64_t scoreRows() const { return (keyBlock + rows - 1) / rows * rows; }
  int64_t width() const { return lanes * vectors; }
};

TileShape chooseTileShape(const VectorAttentionOptions &options) {
  TileShape shape;
  shape.lanes = std::max<int64_t>(1, options.lanes);
  // Three vectors across: each broadcast feeds three FMAs (two would need more broadcasts
  // per FMA; four leave too few rows with 16 registers). Accumulators rows·vectors, plus the
  // vectors loaded and one broadcast, must stay in registers.
  shape.vectors = options.registers >= 12 ? 3 : 1;
  int64_t fit = (options.registers - shape.vectors - 1) / shape.vectors;
  shape.rows = std::clamp<int64_t>(fit, 1, 8);
  // Whole register tiles of queries per task, at least one.
  shape.queryBlock = std::max<int64_t>(1, options.queryBlock / shape.width()) * shape.width();
  shape.keyBlock = std::max<int64_t>(1, options.keyBlock);
  return shape;
}

/// Emits one attention op's kernel; holds the values every part of it reads.
class KernelEmitter : KernelBuilder {
public:
  KernelEmitter(PatternRewriter &rewriter, Location loc, AttentionOp op, TileShape tile)
      : KernelBuilder(rewriter, loc, tile.lanes), rewriter(rewriter), op(op), tile(tile) {}

  Value emit() {
    RankedTensorType result = op.getType();
    int64_t rank = result.getRank();
    batchRank = rank - 2;
    headDim = tensorOf(op.getQuery()).getShape().back();
    valueDim = result.getShape().back();
    scale = op.getScale().convertToDouble();
    maskedValue = op.getMaskedValue().convertToDouble();
    causal = op.getCausal();

    q = toBuffer(op.getQuery());
    k = toBuffer(op.getKey());
    v = toBuffer(op.getValue());
    if (op.getMask())
      mask = toBuffer(op.getMask());
    if (op.getBias())
      bias = toBuffer(op.getBias());
    if (op.getQueryOffsets())
      queryOffsets = readOnlyView(b, loc, op.getQueryOffsets());
    queries = b.create<memref::DimOp>(loc, q, memRank(q) - 2);
    keys = b.create<memref::DimOp>(loc, k, memRank(k) - 2);

    // The output and the batch dims it has: each from an operand that has it dynamic.
    SmallVector<Value> sizes, dynamicSizes;
    for (int64_t i = 0; i < rank; ++i) {
      Value size = i == rank - 2 ? queries : i == rank - 1 ? index(valueDim) : batchDimSize(i);
      sizes.push_back(size);
      if (i < batchRank)
        batchSizes.push_back(size);
      if (result.isDynamicDim(i))
        dynamicSizes.push_back(size);
    }
    // A result written straight into an output buffer needs no buffer of its own. (The
    // kernel owns its output buffer, so it picks the destination here; destination passing
    // through the whole graph is the memory plan's job.) A head merge after the kernel
    // ([batch, heads, seq, dv] to [batch, seq, heads, dv]) is written in place: the kernel
    // stores through a transposed view of the merged buffer.
    bufferization::MaterializeInDestinationOp destination;
    Value merged;
    ArrayRef<int64_t> mergePermutation;
    Operation *merge = headMerge(mergePermutation);
    if (merge) {
      auto mergedType = cast<RankedTensorType>(merge->getResult(0).getType());
      SmallVector<Value> mergedSizes;
      for (int64_t i = 0; i < rank; ++i)
        if (mergedType.isDynamicDim(i))
          mergedSizes.push_back(sizes[mergePermutation[i]]);
      merged = resultBuffer(b, loc, merge->getResult(0), mergedSizes, destination);
      out = transposedView(merged, mergePermutation);
    } else {
      out = resultBuffer(b, loc, op->getResult(0), dynamicSizes, destination);
    }

    Value queryBlocks = b.create<arith::DivUIOp>(
        loc, b.create<arith::AddIOp>(loc, queries, index(tile.queryBlock - 1)),
        index(tile.queryBlock));
    Value tasks = queryBlocks;
    for (Value size : batchSizes)
      tasks = b.create<arith::MulIOp>(loc, tasks, size);
    // A few queries (a decode step) take the one-query kernel: keys across the lanes rather
    // than queries, which would leave all but a few lanes of each tile idle.
    Value few = decodeFits() ? b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::ule, queries,
                                                       index(kDecodeQueries))
                             : Value();
    declareKernel(llvm::formatv("attention d{0}", headDim).str(), fusedOps(), flops());
    if (few) {
      ifElse(
          few,
          [&]() {
            Value perQuery = queries;
            for (Value size : batchSizes)
              perQuery = mul(perQuery, size);
            this->tasks(perQuery, [&](Value task) { emitDecodeTask(task); });
            return SmallVector<Value>{};
          },
          [&]() {
            this->tasks(tasks, [&](Value task) { emitTask(task, queryBlocks); });
            return SmallVector<Value>{};
          });
    } else {
      this->tasks(tasks, [&](Value task) { emitTask(task, queryBlocks); });
    }
    if (destination)
      rewriter.eraseOp(destination);
    if (merge) {
      rewriter.replaceOp(merge, b.create<bufferization::ToTensorOp>(loc, merged, /*restrict=*/true,
                                                                    /*writable=*/true));
      // The attention's own result has no use left.
      return b.create<tensor::EmptyOp>(loc, result.getShape(), result.getElementType(),
                                       dynamicSizes);
    }
    return b.create<bufferization::ToTensorOp>(loc, out, /*restrict=*/true, /*writable=*/true);
  }

private:
  // ---- small builders ----
  Value f32Const(double value) {
    return b.create<arith::ConstantOp>(loc, b.getF32FloatAttr(static_cast<float>(value)));
  }
  Value maxIndex(Value a, Value c) { return b.create<arith::MaxSIOp>(loc, a, c); }
  arith::FastMathFlagsAttr contract() {
    return arith::FastMathFlagsAttr::get(b.getContext(), arith::FastMathFlags::contract);
  }
  /// a·x + y, fused into one FMA where the target has it.
  Value fma(Value a, Value x, Value y) {
    Value product = b.create<arith::MulFOp>(loc, a, x, contract());
    return b.create<arith::AddFOp>(loc, product, y, contract());
  }
  int64_t memRank(Value memref) { return cast<MemRefType>(memref.getType()).getRank(); }

  /// The transpose that is the result's only use, if the kernel can write through it.
  Operation *headMerge(ArrayRef<int64_t> &permutation) {
    if (!op->hasOneUse())
      return nullptr;
    Operation *user = *op->user_begin();
    if (auto transpose = dyn_cast<TransposeOp>(user))
      permutation = transpose.getPermutation();
    else if (auto transpose = dyn_cast<linalg::TransposeOp>(user))
      permutation = transpose.getPermutation();
    else
      return nullptr;
    return foldableTranspose(permutation) ? user : nullptr;
  }

  Value transposedView(Value buffer, ArrayRef<int64_t> permutation) {
    SmallVector<unsigned> dims(permutation.begin(), permutation.end());
    auto map = AffineMap::getPermutationMap(dims, b.getContext());
    return b.create<memref::TransposeOp>(loc, buffer, AffineMapAttr::get(map));
  }

  /// A read-only view of an operand. A head split (a transpose of the dims before the last,
  /// [batch, seq, heads, d] to [batch, heads, seq, d]) is read through a transposed view of
  /// its input instead: the kernel takes any strides, so the copy is never made.
  Value toBuffer(Value tensor) {
    Value source;
    ArrayRef<int64_t> permutation;
    if (auto transpose = tensor.getDefiningOp<TransposeOp>()) {
      source = transpose.getInput();
      permutation = transpose.getPermutation();
    } else if (auto transpose = tensor.getDefiningOp<linalg::TransposeOp>()) {
      source = transpose.getInput();
      permutation = transpose.getPermutation();
    }
    if (!source || !foldableTranspose(permutation))
      return readOnlyView(b, loc, tensor);
    return transposedView(readOnlyView(b, loc, source), permutation);
  }

  /// Keeps the last dim (contiguous vectors) in place and is its own inverse (so which way
  /// memref.transpose reads the map does not matter).
  static bool foldableTranspose(ArrayRef<int64_t> permutation) {
    int64_t rank = permutation.size();
    if (rank < 2 || permutation.back() != rank - 1)
      return false;
    for (int64_t i = 0; i < rank; ++i)
      if (permutation[permutation[i]] != i)
        return false;
    return true;
  }

  /// Result batch dim `i`, from the first of q, k, v that has it (not as a broadcast 1).
  Value batchDimSize(int64_t i) {
    int64_t staticSize = op.getType().getDimSize(i);
    if (!ShapedType::isDynamic(staticSize))
      return index(staticSize);
    for (Value operand : {q, k, v}) {
      auto type = cast<MemRefType>(operand.getType());
      int64_t j = i - (batchRank - (type.getRank() - 2));
      if (j >= 0 && type.isDynamicDim(j))
        return b.create<memref::DimOp>(loc, operand, j);
    }
    llvm_unreachable("dynamic batch dim with no dynamic operand");
  }

  /// Indices into `operand` (aligned right against [batch..., rows, cols]) for the task's
  /// batch indices, `row` and `col`; a static 1 that broadcasts reads index 0.
  SmallVector<Value> indicesOf(Value operand, Value row, Value col) {
    auto type = cast<MemRefType>(operand.getType());
    int64_t rank = type.getRank();
    SmallVector<Value> indices;
    for (int64_t j = 0; j < rank; ++j) {
      int64_t aligned = j + (batchRank + 2 - rank);
      Value wanted = aligned == batchRank + 1 ? col : aligned == batchRank ? row
                                                    : batchIndices[aligned];
      bool broadcast = type.getDimSize(j) == 1 &&
                       (aligned >= batchRank || op.getType().getDimSize(aligned) != 1);
      indices.push_back(broadcast ? index(0) : wanted);
    }
    return indices;
  }
  Value loadAt(Value operand, Value row, Value col) {
    return b.create<memref::LoadOp>(loc, operand, indicesOf(operand, row, col));
  }
  /// What the kernel folds into its two products, for the kernel table.
  SmallVector<StringRef> fusedOps() const {
    SmallVector<StringRef> fused{"scale"};
    if (mask)
      fused.push_back("mask");
    if (bias)
      fused.push_back("bias");
    if (causal)
      fused.push_back("causal mask");
    fused.append({"softmax", "@v"});
    return fused;
  }

  /// 2·(D + Dv) per visible (query, key) pair: all Sq·Sk of them, or under a causal mask
  /// (query i sees the keys up to i + Sk − Sq) Sq·Sk − Sq·(Sq − 1)/2; with query offsets
  /// (row 0's taken for every row), Sq·offset + Sq·(Sq + 1)/2.
  Value flops() {
    Value pairs = mul(queries, keys);
    if (queryOffsets) {
      Value offset = attentionQueryOffset(b, loc, queryOffsets, index(0));
      pairs = add(mul(queries, offset),
                  b.create<arith::DivUIOp>(loc, mul(queries, add(queries, index(1))), index(2)));
    } else if (causal) {
      Value hidden = b.create<arith::DivUIOp>(loc, mul(queries, sub(queries, index(1))), index(2));
      pairs = b.create<arith::SelectOp>(
          loc, b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::uge, keys, queries),
          sub(pairs, hidden), pairs);
    }
    Value total = mul(pairs, index(2 * (headDim + valueDim)));
    for (Value size : batchSizes)
      total = mul(total, size);
    return total;
  }

  /// Whether a mask/bias differs between queries (its query dim is not a broadcast 1).
  bool perQuery(Value operand) {
    auto type = cast<MemRefType>(operand.getType());
    return type.getRank() >= 2 && type.getDimSize(type.getRank() - 2) != 1;
  }
  /// The mask/bias values for `lanes` queries from `firstQuery` at key `key`, as a vector.
  Value scoreOperandVector(Value operand, Value firstQuery, Value key) {
    Type element = cast<MemRefType>(operand.getType()).getElementType();
    auto type = VectorType::get({tile.lanes}, element);
    if (!perQuery(operand))
      return b.create<vector::BroadcastOp>(loc, type, loadAt(operand, index(0), key));
    // Queries before the first (padding lanes of the first block) read row 0.
    Value vector = b.create<arith::ConstantOp>(loc, b.getZeroAttr(type));
    for (int64_t lane = 0; lane < tile.lanes; ++lane) {
      Value query = maxIndex(add(firstQuery, index(lane)), index(0));
      vector = b.create<vector::InsertOp>(loc, loadAt(operand, query, key), vector, lane);
    }
    return vector;
  }

  /// 2^x on a vector for x <= 0: x = n + f with n an integer and |f| <= 1/2, 2^f by a degree-5 minimax
  /// polynomial (relative error 1.6e-7), 2^n built in the exponent bits. Arguments at or
  /// below −127 give exactly 0, so masked scores vanish.
  Value exp2(Value x) {
    auto fast = arith::FastMathFlagsAttr::get(b.getContext(), arith::FastMathFlags::nnan |
                                                                   arith::FastMathFlags::nsz);
    // Arguments are score − running max <= 0: only the lower end needs a clamp.
    x = b.create<arith::MaxNumFOp>(loc, x, splat(-127.0), fast);
    // Adding 1.5·2^23 rounds to an integer held in the low mantissa bits.
    Value shifter = splat(12582912.0);
    Value shifted = b.create<arith::AddFOp>(loc, x, shifter);
    Value n = b.create<arith::SubFOp>(loc, shifted, shifter);
    Value f = b.create<arith::SubFOp>(loc, x, n);
    Value p = splat(1.3276472e-3);
    for (double c : {9.6755419e-3, 5.5507131e-2, 2.4022120e-1, 6.9314694e-1, 1.0000001})
      p = fma(p, f, splat(c));
    // (n + 127) << 23: the mantissa bits of `shifted` hold n, and the shift drops the rest.
    auto intType = VectorType::get({tile.lanes}, b.getI32Type());
    auto intSplat = [&](int32_t value) {
      return b.create<arith::ConstantOp>(
          loc, DenseElementsAttr::get(intType, b.getI32IntegerAttr(value)));
    };
    Value bits = b.create<arith::ShLIOp>(
        loc, b.create<arith::BitcastOp>(loc, intType, shifted), intSplat(23));
    bits = b.create<arith::AddIOp>(loc, bits, intSplat(127 << 23));
    return b.create<arith::MulFOp>(loc, p, b.create<arith::BitcastOp>(loc, vecType(), bits));
  }

  /// `loop` with the body repeated `factor` times per iteration (fewer loop instructions per
  /// FMA), then a loop over the remaining iterations.
  SmallVector<Value> unrolledLoop(Value lb, Value ub, int64_t factor, ValueRange init,
                          function_ref<SmallVector<Value>(Value, ValueRange)> body) {
    Value trips = sub(ub, lb);
    Value mainEnd = add(lb, mul(b.create<arith::DivSIOp>(loc, trips, index(factor)),
                                index(factor)));
    SmallVector<Value> carried = loop(lb, mainEnd, factor, init, [&](Value iv, ValueRange values) {
      SmallVector<Value> current(values);
      for (int64_t u = 0; u < factor; ++u)
        current = body(add(iv, index(u)), current);
      return current;
    });
    return loop(mainEnd, ub, 1, carried, body);
  }

  Value scratch(ArrayRef<int64_t> shape) {
    return b.create<memref::AllocaOp>(loc, MemRefType::get(shape, f32), ValueRange{},
                                      b.getI64IntegerAttr(64));
  }
  Value loadVector(Value memref, ValueRange indices) {
    return b.create<vector::LoadOp>(loc, vecType(), memref, indices);
  }
  void storeVector(Value value, Value memref, ValueRange indices) {
    b.create<vector::StoreOp>(loc, value, memref, indices);
  }

  /// The task's batch indices from `rest`, its index over the batch dims (row-major).
  void setBatchIndices(Value rest) {
    batchIndices.assign(batchRank, Value());
    for (int64_t i = batchRank - 1; i >= 0; --i) {
      batchIndices[i] = b.create<arith::RemUIOp>(loc, rest, batchSizes[i]);
      rest = b.create<arith::DivUIOp>(loc, rest, batchSizes[i]);
    }
  }

  // ---- the one-query (decode) kernel ----

  /// At most this many queries run the decode kernel, one task per query.
  static constexpr int64_t kDecodeQueries = 4;

  bool decodeFits() const {
    return headDim % tile.lanes == 0 && valueDim % tile.lanes == 0;
  }

  /// One query (task: batch indices, then the query) against its visible keys, `lanes` keys at
  /// a time: a block's scores are one vector (each a dot product over the head dim, reduced
  /// across lanes), then the online-softmax update of the running max and sum (scalars) and
  /// of the output row (a scratch row of Dv). Reads each key and value row once.
  void emitDecodeTask(Value task) {
    Value query = b.create<arith::RemUIOp>(loc, task, queries);
    Value rest = b.create<arith::DivUIOp>(loc, task, queries);
    setBatchIndices(rest);
    Value keyEnd = keys;
    if (causal)
      keyEnd = minIndex(keys, add(attentionQueryPosition(b, loc, queryOffsets,
                                                         batchRank ? batchIndices.front()
                                                                   : Value(),
                                                         query),
                                  index(1)));
    // The query scaled to log2 units, and the output row being accumulated.
    Value scaledQuery = scratch({headDim}), row = scratch({valueDim});
    Value scaleValue = splat(scale * kLog2E);
    loop(index(0), index(headDim), tile.lanes, [&](Value c) {
      storeVector(b.create<arith::MulFOp>(loc, loadVector(q, indicesOf(q, query, c)),
                                          scaleValue),
                  scaledQuery, c);
    });
    loop(index(0), index(valueDim), tile.lanes,
         [&](Value c) { storeVector(splat(0.0), row, c); });

    auto reassoc = arith::FastMathFlagsAttr::get(b.getContext(), arith::FastMathFlags::reassoc |
                                                                      arith::FastMathFlags::nnan |
                                                                      arith::FastMathFlags::nsz);
    auto intType = VectorType::get({tile.lanes}, b.getIndexType());
    SmallVector<int64_t> laneIds;
    for (int64_t lane = 0; lane < tile.lanes; ++lane)
      laneIds.push_back(lane);
    Value laneOffsets = b.create<arith::ConstantOp>(
        loc, DenseElementsAttr::get(intType, ArrayRef<int64_t>(laneIds)));
    Value initial[] = {f32Const(-INFINITY), f32Const(0.0)};
    SmallVector<Value> stats =
        loop(index(0), keyEnd, tile.lanes, initial, [&](Value first, ValueRange carried) {
          // Lanes past the last visible key read that key again and are dropped.
          SmallVector<Value> rowKeys;
          Value scores = splat(0.0);
          for (int64_t t = 0; t < tile.lanes; ++t) {
            Value key = minIndex(add(first, index(t)), sub(keyEnd, index(1)));
            rowKeys.push_back(key);
            Value dot = splat(0.0);
            for (int64_t c = 0; c < headDim; c += tile.lanes)
              dot = fma(loadVector(scaledQuery, index(c)),
                        loadVector(k, indicesOf(k, key, index(c))), dot);
            Value sum = b.create<vector::ReductionOp>(loc, vector::CombiningKind::ADD, dot,
                                                      Value(), reassoc.getValue());
            scores = b.create<vector::InsertOp>(loc, sum, scores, t);
          }
          // The masked value in log2 units, finite as in the tile kernel.
          Value masked = f32Const(std::max(maskedValue * kLog2E, -3.4028234663852886e38));
          for (int64_t t = 0; t < tile.lanes && (bias || mask); ++t) {
            Value s = b.create<vector::ExtractOp>(loc, scores, t);
            if (bias)
              s = b.create<arith::AddFOp>(
                  loc, s,
                  b.create<arith::MulFOp>(loc, loadAt(bias, query, rowKeys[t]),
                                          f32Const(kLog2E)));
            if (mask)
              s = b.create<arith::SelectOp>(loc, loadAt(mask, query, rowKeys[t]), s, masked);
            scores = b.create<vector::InsertOp>(loc, s, scores, t);
          }
          Value positions = b.create<arith::AddIOp>(
              loc, b.create<vector::BroadcastOp>(loc, intType, first), laneOffsets);
          Value valid = b.create<arith::CmpIOp>(
              loc, arith::CmpIPredicate::ult, positions,
              b.create<vector::BroadcastOp>(loc, intType, keyEnd));
          scores = b.create<arith::SelectOp>(loc, valid, scores, splat(-INFINITY));
          Value blockMax = b.create<vector::ReductionOp>(loc, vector::CombiningKind::MAXNUMF,
                                                         scores);
          Value newMax = b.create<arith::MaxNumFOp>(loc, carried[0], blockMax);
          Value probabilities =
              exp2(b.create<arith::SubFOp>(loc, scores, b.create<vector::BroadcastOp>(
                                                            loc, vecType(), newMax)));
          Value alpha = b.create<vector::ExtractOp>(
              loc,
              exp2(b.create<vector::BroadcastOp>(
                  loc, vecType(), b.create<arith::SubFOp>(loc, carried[0], newMax))),
              0);
          Value blockSum = b.create<vector::ReductionOp>(loc, vector::CombiningKind::ADD,
                                                         probabilities, Value(),
                                                         reassoc.getValue());
          Value sum = b.create<arith::AddFOp>(
              loc, b.create<arith::MulFOp>(loc, carried[1], alpha), blockSum);
          Value alphas = b.create<vector::BroadcastOp>(loc, vecType(), alpha);
          for (int64_t c = 0; c < valueDim; c += tile.lanes) {
            Value acc = b.create<arith::MulFOp>(loc, loadVector(row, index(c)), alphas);
            for (int64_t t = 0; t < tile.lanes; ++t)
              acc = fma(b.create<vector::BroadcastOp>(
                            loc, vecType(), b.create<vector::ExtractOp>(loc, probabilities, t)),
                        loadVector(v, indicesOf(v, rowKeys[t], index(c))), acc);
            storeVector(acc, row, index(c));
          }
          return SmallVector<Value>{newMax, sum};
        });
    Value inverse = b.create<vector::BroadcastOp>(
        loc, vecType(), b.create<arith::DivFOp>(loc, f32Const(1.0), stats[1]));
    loop(index(0), index(valueDim), tile.lanes, [&](Value c) {
      SmallVector<Value> indices(batchIndices);
      indices.push_back(query);
      indices.push_back(c);
      storeVector(b.create<arith::MulFOp>(loc, loadVector(row, c), inverse), out, indices);
    });
  }

  // ---- the kernel ----

  void emitTask(Value task, Value queryBlocks) {
    // Per-task scratch (hoisted per thread when the loop is outlined).
    packedQuery = scratch({headDim, tile.queryBlock});
    scores = scratch({tile.scoreRows(), tile.queryBlock});
    accumulator = scratch({valueDim, tile.queryBlock});
    runningMax = scratch({tile.queryBlock});
    runningSum = scratch({tile.queryBlock});
    rescale = scratch({tile.queryBlock});

    // Later query blocks see more keys under a causal mask: they are handed out first.
    Value block = sub(sub(queryBlocks, index(1)), b.create<arith::RemUIOp>(loc, task, queryBlocks));
    Value rest = b.create<arith::DivUIOp>(loc, task, queryBlocks);
    setBatchIndices(rest);
    // Blocks end at the last query, so the partial block is the first one, whose padding
    // lanes (before query 0) see the fewest keys under a causal mask.
    firstQuery = sub(queries, mul(sub(queryBlocks, block), index(tile.queryBlock)));
    Value firstLane = maxIndex(index(0), sub(index(0), firstQuery));
    // Where the first query sits among the keys: what the causal limits are measured from.
    queryOffset = attentionQueryOffset(b, loc, queryOffsets,
                                       batchRank ? batchIndices.front() : Value());
    Value firstPosition = add(firstQuery, queryOffset);

    packQueries(firstLane);
    loop(index(0), index(tile.queryBlock), tile.lanes, [&](Value i) {
      storeVector(splat(-INFINITY), runningMax, i);
      storeVector(splat(0.0), runningSum, i);
      loop(index(0), index(valueDim), 1,
           [&](Value c) { storeVector(splat(0.0), accumulator, {c, i}); });
    });

    // Causal: no key after the block's last query is visible to it, and key blocks wholly at
    // or before its first query need no mask.
    Value keyEnd = causal ? minIndex(keys, add(firstPosition, index(tile.queryBlock))) : keys;
    if (causal) {
      Value unmaskedEnd = minIndex(
          keyEnd, maxIndex(index(0),
                           mul(b.create<arith::DivSIOp>(loc, add(firstPosition, index(1)),
                                                        index(tile.keyBlock)),
                               index(tile.keyBlock))));
      attendKeyBlocks(index(0), unmaskedEnd, keyEnd, firstPosition, /*diagonal=*/false);
      attendKeyBlocks(unmaskedEnd, keyEnd, keyEnd, firstPosition, /*diagonal=*/true);
    } else {
      attendKeyBlocks(index(0), keyEnd, keyEnd, firstPosition, /*diagonal=*/false);
    }
    writeOutput(firstLane);
  }

  /// The online-softmax steps for the key blocks starting in [from, to); `diagonal` blocks
  /// hold keys after some of the task's queries: causally masked, and each column tile stops
  /// at the last key its queries can see.
  void attendKeyBlocks(Value from, Value to, Value keyEnd, Value firstPosition, bool diagonal) {
    maskCausal = diagonal;
    loop(from, to, tile.keyBlock, [&](Value keyStart) {
      Value blockKeys = minIndex(index(tile.keyBlock), sub(keyEnd, keyStart));
      loop(index(0), index(tile.queryBlock), tile.width(), [&](Value column) {
        Value visible = blockKeys;
        if (diagonal)
          visible = maxIndex(index(0), minIndex(blockKeys, sub(add(firstPosition, add(column,
                                                                   index(tile.width()))),
                                                               keyStart)));
        SmallVector<Value> blockMax = computeScores(keyStart, keyEnd, column, visible);
        updateSoftmax(column, visible, blockMax);
        accumulateValues(keyStart, column, visible);
      });
    });
  }

  /// qᵀ[d][i] = q[i0 + i][d] · scale · log2 e (scores in log2 units: the softmax uses 2^x);
  /// lanes before `firstLane` (before query 0) are 0. Blocks of lanes × lanes are transposed in registers
  /// where the head dim is a whole number of vectors.
  void packQueries(Value firstLane) {
    Value zero = f32Const(0.0), scaleValue = f32Const(scale * kLog2E);
    if (headDim % tile.lanes == 0) {
      loop(index(0), index(tile.queryBlock), tile.lanes, [&](Value lane0) {
        SmallVector<Value> factors;
        for (int64_t r = 0; r < tile.lanes; ++r) {
          Value valid = b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::sge,
                                                add(lane0, index(r)), firstLane);
          factors.push_back(b.create<vector::BroadcastOp>(
              loc, vecType(), b.create<arith::SelectOp>(loc, valid, scaleValue, zero)));
        }
        loop(index(0), index(headDim), tile.lanes, [&](Value d0) {
          SmallVector<Value> rows;
          for (int64_t r = 0; r < tile.lanes; ++r) {
            Value row = maxIndex(add(firstQuery, add(lane0, index(r))), index(0));
            Value loaded = b.create<vector::LoadOp>(loc, vecType(), q, indicesOf(q, row, d0));
            rows.push_back(b.create<arith::MulFOp>(loc, loaded, factors[r]));
          }
          SmallVector<Value> columns = transposeBlock(rows);
          for (int64_t k = 0; k < tile.lanes; ++k)
            storeVector(columns[k], packedQuery, {add(d0, index(k)), lane0});
        });
      });
      return;
    }
    loop(index(0), index(tile.queryBlock), 1, [&](Value i) {
      Value row = maxIndex(add(firstQuery, i), index(0));
      Value valid = b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::sge, i, firstLane);
      loop(index(0), index(headDim), 1, [&](Value d) {
        Value scaled = b.create<arith::MulFOp>(loc, loadAt(q, row, d), scaleValue);
        b.create<memref::StoreOp>(loc, b.create<arith::SelectOp>(loc, valid, scaled, zero),
                                  packedQuery, ValueRange{d, i});
      });
    });
  }

  /// The transpose of the lanes × lanes block whose rows are `rows`: log2(lanes) rounds of
  /// shuffles, each swapping the off-diagonal h × h blocks of every 2h × 2h block.
  SmallVector<Value> transposeBlock(SmallVector<Value> rows) {
    int64_t lanes = tile.lanes;
    for (int64_t half = lanes / 2; half >= 1; half /= 2) {
      SmallVector<int64_t> low, high;
      for (int64_t chunk = 0; chunk < lanes; chunk += 2 * half) {
        for (int64_t k = 0; k < half; ++k)
          low.push_back(chunk + k);
        for (int64_t k = 0; k < half; ++k)
          low.push_back(lanes + chunk + k);
        for (int64_t k = 0; k < half; ++k)
          high.push_back(chunk + half + k);
        for (int64_t k = 0; k < half; ++k)
          high.push_back(lanes + chunk + half + k);
      }
      for (int64_t r = 0; r < lanes; ++r) {
        if (r & half)
          continue;
        Value a = rows[r], c = rows[r + half];
        rows[r] = b.create<vector::ShuffleOp>(loc, a, c, low);
        rows[r + half] = b.create<vector::ShuffleOp>(loc, a, c, high);
      }
    }
    return rows;
  }

  /// sᵀ[j][column..+W) for j < visible (rounded up to whole tiles; rows past the block's keys
  /// read the last key and are never used), with masks applied. Returns each vector's max
  /// over the visible keys.
  SmallVector<Value> computeScores(Value keyStart, Value keyEnd, Value column, Value visible) {
    Value lastKey = sub(keyEnd, index(1));
    SmallVector<Value> lowest(tile.vectors, splat(-INFINITY));
    SmallVector<Value> maxima = loop(index(0), visible, tile.rows, lowest, [&](Value row, ValueRange max) {
      SmallVector<Value> keyRows;
      for (int64_t r = 0; r < tile.rows; ++r)
        keyRows.push_back(minIndex(add(keyStart, add(row, index(r))), lastKey));
      SmallVector<Value> zeros(tile.rows * tile.vectors, splat(0.0));
      SmallVector<Value> sums = unrolledLoop(index(0), index(headDim), 2, zeros,
                                     [&](Value d, ValueRange acc) {
        SmallVector<Value> queryVectors, next;
        for (int64_t n = 0; n < tile.vectors; ++n)
          queryVectors.push_back(loadVector(packedQuery, {d, add(column, index(n * tile.lanes))}));
        for (int64_t r = 0; r < tile.rows; ++r) {
          Value keyValue = b.create<vector::BroadcastOp>(loc, vecType(), loadAt(k, keyRows[r], d));
          for (int64_t n = 0; n < tile.vectors; ++n)
            next.push_back(fma(keyValue, queryVectors[n], acc[r * tile.vectors + n]));
        }
        return next;
      });
      // Epilogue while the tile is in registers: masks, store, and the max over rows that
      // are keys of this block.
      SmallVector<Value> nextMax(max);
      for (int64_t r = 0; r < tile.rows; ++r) {
        Value j = add(row, index(r));
        Value inBlock = b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::slt, j, visible);
        for (int64_t n = 0; n < tile.vectors; ++n) {
          Value lane0 = add(column, index(n * tile.lanes));
          Value s = sums[r * tile.vectors + n];
          if (maskCausal || mask || bias)
            s = applyMasks(s, add(keyStart, j), add(firstQuery, lane0));
          storeVector(s, scores, {j, lane0});
          Value counted = b.create<arith::SelectOp>(loc, inBlock, s, splat(-INFINITY));
          nextMax[n] = b.create<arith::MaximumFOp>(loc, nextMax[n], counted);
        }
      }
      return nextMax;
    });
    return SmallVector<Value>(maxima);
  }

  /// Mask, bias and causal mask on one vector of scores (log2 units) for key `key`, queries
  /// from `firstLaneQuery`.
  Value applyMasks(Value s, Value key, Value firstLaneQuery) {
    // The masked value in log2 units, kept finite so a row with every key masked still
    // averages them all, as the reference does.
    Value masked = splat(std::max(maskedValue * kLog2E, -3.4028234663852886e38));
    if (bias)
      s = fma(scoreOperandVector(bias, firstLaneQuery, key), splat(kLog2E), s);
    if (mask)
      s = b.create<arith::SelectOp>(loc, scoreOperandVector(mask, firstLaneQuery, key), s,
                                    masked);
    if (maskCausal) {
      auto intType = VectorType::get({tile.lanes}, b.getI32Type());
      SmallVector<int32_t> laneOffsets;
      for (int64_t lane = 0; lane < tile.lanes; ++lane)
        laneOffsets.push_back(static_cast<int32_t>(lane));
      Value lanes = b.create<arith::ConstantOp>(loc, b.getI32VectorAttr(laneOffsets));
      auto asI32 = [&](Value i) {
        return b.create<vector::BroadcastOp>(
            loc, intType, b.create<arith::IndexCastOp>(loc, b.getI32Type(), i));
      };
      // attentionKeyVisible, a vector of lanes at a time: key <= the query's position.
      Value queryPositions =
          b.create<arith::AddIOp>(loc, asI32(add(firstLaneQuery, queryOffset)), lanes);
      Value visible = b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::sle, asI32(key),
                                              queryPositions);
      s = b.create<arith::SelectOp>(loc, visible, s, masked);
    }
    return s;
  }

  /// The online-softmax step for the column tile at `column` whose vectors' block maxima are
  /// `blockMax`: sᵀ[j < visible] becomes p, and the running max, sum and the rescale α for the
  /// accumulator update. All in log2 units (scores carry log2 e from the packed queries).
  void updateSoftmax(Value column, Value visible, ArrayRef<Value> blockMax) {
    auto fast = arith::FastMathFlagsAttr::get(b.getContext(), arith::FastMathFlags::nnan |
                                                                   arith::FastMathFlags::nsz);
    SmallVector<Value> lane0s, oldMax, newMax, reference;
    for (int64_t n = 0; n < tile.vectors; ++n) {
      lane0s.push_back(add(column, index(n * tile.lanes)));
      oldMax.push_back(loadVector(runningMax, lane0s[n]));
      newMax.push_back(b.create<arith::MaxNumFOp>(loc, oldMax[n], blockMax[n], fast));
      // A row with every key so far at −inf keeps the reference 0 (no −inf − −inf).
      Value isEmpty = b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OEQ, newMax[n],
                                              splat(-INFINITY));
      reference.push_back(b.create<arith::SelectOp>(loc, isEmpty, splat(0.0), newMax[n]));
    }
    // All vectors of the tile in one pass over the keys, two keys per iteration.
    SmallVector<Value> zeros(tile.vectors, splat(0.0));
    SmallVector<Value> sums = unrolledLoop(index(0), visible, 2, zeros, [&](Value j, ValueRange sum) {
      SmallVector<Value> next;
      for (int64_t n = 0; n < tile.vectors; ++n) {
        Value p = exp2(
            b.create<arith::SubFOp>(loc, loadVector(scores, {j, lane0s[n]}), reference[n]));
        storeVector(p, scores, {j, lane0s[n]});
        next.push_back(b.create<arith::AddFOp>(loc, sum[n], p));
      }
      return next;
    });
    for (int64_t n = 0; n < tile.vectors; ++n) {
      Value alpha = exp2(b.create<arith::SubFOp>(loc, oldMax[n], reference[n]));
      Value oldSum = loadVector(runningSum, lane0s[n]);
      storeVector(fma(oldSum, alpha, sums[n]), runningSum, lane0s[n]);
      storeVector(newMax[n], runningMax, lane0s[n]);
      storeVector(alpha, rescale, lane0s[n]);
    }
  }

  /// oᵀ[c][column..+W) = oᵀ·α + Σ_{j < visible} v[j0 + j][c] · p[j][..].
  void accumulateValues(Value keyStart, Value column, Value visible) {
    // Whole tiles of `rows` channels, then one smaller tile for the rest.
    int64_t whole = valueDim / tile.rows * tile.rows;
    loop(index(0), index(whole), tile.rows,
         [&](Value channel) { accumulateTile(keyStart, column, visible, channel, tile.rows); });
    if (whole < valueDim)
      accumulateTile(keyStart, column, visible, index(whole), valueDim - whole);
  }

  void accumulateTile(Value keyStart, Value column, Value visible, Value channel,
                      int64_t rows) {
    {
      SmallVector<Value> init;
      SmallVector<Value> alphas;
      for (int64_t n = 0; n < tile.vectors; ++n)
        alphas.push_back(loadVector(rescale, add(column, index(n * tile.lanes))));
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t n = 0; n < tile.vectors; ++n)
          init.push_back(b.create<arith::MulFOp>(
              loc,
              loadVector(accumulator, {add(channel, index(r)), add(column, index(n * tile.lanes))}),
              alphas[n]));
      SmallVector<Value> sums = unrolledLoop(index(0), visible, 2, init, [&](Value j, ValueRange acc) {
        SmallVector<Value> probabilities, next;
        for (int64_t n = 0; n < tile.vectors; ++n)
          probabilities.push_back(loadVector(scores, {j, add(column, index(n * tile.lanes))}));
        Value key = add(keyStart, j);
        for (int64_t r = 0; r < rows; ++r) {
          Value value = b.create<vector::BroadcastOp>(loc, vecType(),
                                                      loadAt(v, key, add(channel, index(r))));
          for (int64_t n = 0; n < tile.vectors; ++n)
            next.push_back(fma(value, probabilities[n], acc[r * tile.vectors + n]));
        }
        return next;
      });
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t n = 0; n < tile.vectors; ++n)
          storeVector(sums[r * tile.vectors + n], accumulator,
                      {add(channel, index(r)), add(column, index(n * tile.lanes))});
    }
  }

  /// out[i0 + i][c] = oᵀ[c][i] / l[i] for the block's queries (lanes from `firstLane`); blocks of lanes ×
  /// lanes transposed in registers where the value dim is a whole number of vectors.
  void writeOutput(Value firstLane) {
    loop(index(0), index(tile.queryBlock), tile.lanes, [&](Value i) {
      storeVector(b.create<arith::DivFOp>(loc, splat(1.0), loadVector(runningSum, i)), rescale,
                  i);
    });
    auto outIndices = [&](Value query, Value channel) {
      SmallVector<Value> indices(batchIndices);
      indices.push_back(add(firstQuery, query));
      indices.push_back(channel);
      return indices;
    };
    if (valueDim % tile.lanes == 0) {
      loop(index(0), index(tile.queryBlock), tile.lanes, [&](Value lane0) {
        Value inverse = loadVector(rescale, lane0);
        loop(index(0), index(valueDim), tile.lanes, [&](Value c0) {
          SmallVector<Value> channels;
          for (int64_t k = 0; k < tile.lanes; ++k)
            channels.push_back(b.create<arith::MulFOp>(
                loc, loadVector(accumulator, {add(c0, index(k)), lane0}), inverse));
          SmallVector<Value> rows = transposeBlock(channels);
          for (int64_t r = 0; r < tile.lanes; ++r) {
            Value query = add(lane0, index(r));
            Value inBlock =
                b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::sge, query, firstLane);
            auto ifOp = b.create<scf::IfOp>(loc, inBlock, /*withElseRegion=*/false);
            OpBuilder::InsertionGuard guard(b);
            b.setInsertionPointToStart(ifOp.thenBlock());
            b.create<vector::StoreOp>(loc, rows[r], out, outIndices(query, c0));
          }
        });
      });
      return;
    }
    loop(firstLane, index(tile.queryBlock), 1, [&](Value i) {
      Value inverse = b.create<memref::LoadOp>(loc, rescale, i);
      loop(index(0), index(valueDim), 1, [&](Value c) {
        Value value = b.create<memref::LoadOp>(loc, accumulator, ValueRange{c, i});
        b.create<memref::StoreOp>(loc, b.create<arith::MulFOp>(loc, value, inverse), out,
                                  outIndices(i, c));
      });
    });
  }

  PatternRewriter &rewriter;
  AttentionOp op;
  TileShape tile;
  int64_t batchRank = 0, headDim = 0, valueDim = 0;
  double scale = 1.0, maskedValue = 0.0;
  bool causal = false;
  bool maskCausal = false; // while emitting key blocks that cross the diagonal
  Value q, k, v, mask, bias, out, queries, keys;
  SmallVector<Value> batchSizes, batchIndices;
  Value firstQuery;
  Value queryOffsets; // the op's query_offsets as a buffer, or null
  Value queryOffset;  // this task's row's offset (index 0 without query_offsets)
  Value packedQuery, scores, accumulator, runningMax, runningSum, rescale;
};

struct VectorAttention : OpRewritePattern<AttentionOp> {
  VectorAttention(MLIRContext *ctx, VectorAttentionOptions options)
      : OpRewritePattern(ctx, /*benefit=*/2), options(options) {}

  LogicalResult matchAndRewrite(AttentionOp op, PatternRewriter &rewriter) const override {
    auto isF32 = [](Value value) { return !value || tensorOf(value).getElementType().isF32(); };
    if (!isF32(op.getQuery()) || !isF32(op.getKey()) || !isF32(op.getValue()) ||
        !isF32(op.getBias()) || !op.getType().getElementType().isF32())
      return rewriter.notifyMatchFailure(op, "the vector kernel is f32 only");
    if (tensorOf(op.getQuery()).isDynamicDim(tensorOf(op.getQuery()).getRank() - 1) ||
        op.getType().isDynamicDim(op.getType().getRank() - 1))
      return rewriter.notifyMatchFailure(op, "the vector kernel needs static head dims");
    if (!llvm::isPowerOf2_64(options.lanes))
      return rewriter.notifyMatchFailure(op, "vector lanes must be a power of two");
    KernelEmitter emitter(rewriter, op.getLoc(), op, chooseTileShape(options));
    rewriter.replaceOp(op, emitter.emit());
    return success();
  }

  VectorAttentionOptions options;
};

} // namespace

void attune::populateVectorAttentionPatterns(RewritePatternSet &patterns,
                                             const VectorAttentionOptions &options) {
  patterns.add<VectorAttention>(patterns.getContext(), options);
}
