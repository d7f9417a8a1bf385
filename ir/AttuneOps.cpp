// Verifiers and shape inference of the attune ops. Shape rules live here once, so the
// frontend builds ops without spelling result types and the parser checks textual IR the same.
#include "ir/AttuneDialect.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"

#define GET_OP_CLASSES
#include "ir/AttuneOps.cpp.inc"

using namespace mlir;
using namespace attune;

namespace {

std::string shapeString(ArrayRef<int64_t> shape) {
  std::string text = "[";
  for (auto [i, size] : llvm::enumerate(shape)) {
    if (i)
      text += ", ";
    text += ShapedType::isDynamic(size) ? "?" : std::to_string(size);
  }
  return text + "]";
}

RankedTensorType tensorOf(Value value) { return cast<RankedTensorType>(value.getType()); }

bool allRanked(ArrayRef<Value> values) {
  return llvm::all_of(values, [](Value v) { return isa<RankedTensorType>(v.getType()); });
}

LogicalResult emitOptionalError(std::optional<Location> loc, const Twine &message) {
  if (loc)
    return mlir::emitError(*loc, message);
  return failure();
}

/// Shared by every broadcasting op: the broadcast shape with `elementType`.
LogicalResult inferBroadcast(std::optional<Location> loc, ArrayRef<Value> operands,
                             Type elementType, SmallVectorImpl<Type> &results) {
  SmallVector<int64_t> shape(tensorOf(operands[0]).getShape());
  for (Value operand : operands.drop_front()) {
    SmallVector<int64_t> next;
    if (!broadcastShapes(shape, tensorOf(operand).getShape(), next))
      return emitOptionalError(loc, "operands of shapes " + shapeString(shape) + " and " +
                                        shapeString(tensorOf(operand).getShape()) +
                                        " do not broadcast");
    shape = std::move(next);
  }
  results.push_back(RankedTensorType::get(shape, elementType));
  return success();
}

} // namespace

bool attune::broadcastShapes(ArrayRef<int64_t> lhs, ArrayRef<int64_t> rhs,
                             SmallVectorImpl<int64_t> &result) {
  size_t rank = std::max(lhs.size(), rhs.size());
  result.assign(rank, 1);
  for (size_t i = 0; i < rank; ++i) {
    int64_t a = i < rank - lhs.size() ? 1 : lhs[i - (rank - lhs.size())];
    int64_t b = i < rank - rhs.size() ? 1 : rhs[i - (rank - rhs.size())];
    if (a == b)
      result[i] = a;
    else if (a == 1)
      result[i] = b;
    else if (b == 1)
      result[i] = a;
    else if (ShapedType::isDynamic(a))
      result[i] = b;
    else if (ShapedType::isDynamic(b))
      result[i] = a;
    else
      return false;
  }
  return true;
}

//===----------------------------------------------------------------------===//
// Sources
//===----------------------------------------------------------------------===//

LogicalResult WeightOp::verify() {
  if (!getType().hasStaticShape())
    return emitOpError("weight '") << getName() << "' must have a static shape, got "
                                   << getType();
  if (getName().empty())
    return emitOpError("weight name must not be empty");
  return success();
}

LogicalResult IotaOp::verify() {
  if (getType().getRank() != 1)
    return emitOpError("result must be rank 1, got ") << getType();
  return success();
}

//===----------------------------------------------------------------------===//
// Gathers and shape manipulation
//===----------------------------------------------------------------------===//

LogicalResult EmbedOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                        Adaptor adaptor, SmallVectorImpl<Type> &results) {
  if (!allRanked({adaptor.getTable(), adaptor.getIds()}))
    return emitOptionalError(loc, "operands must be ranked tensors");
  RankedTensorType table = tensorOf(adaptor.getTable());
  if (table.getRank() < 1 || table.isDynamicDim(0))
    return emitOptionalError(loc, "table must have a static first dim, got " +
                                      shapeString(table.getShape()));
  SmallVector<int64_t> shape(tensorOf(adaptor.getIds()).getShape());
  llvm::append_range(shape, table.getShape().drop_front());
  results.push_back(RankedTensorType::get(shape, table.getElementType()));
  return success();
}

LogicalResult TransposeOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                            Adaptor adaptor, SmallVectorImpl<Type> &results) {
  if (!allRanked({adaptor.getInput()}) || !adaptor.getPermutationAttr())
    return emitOptionalError(loc, "expects a ranked tensor and a permutation");
  RankedTensorType input = tensorOf(adaptor.getInput());
  ArrayRef<int64_t> perm = adaptor.getPermutation();
  if (static_cast<int64_t>(perm.size()) != input.getRank())
    return emitOptionalError(loc, "permutation has " + Twine(perm.size()) +
                                      " entries for a rank-" + Twine(input.getRank()) +
                                      " input");
  SmallVector<int64_t> shape;
  for (int64_t p : perm) {
    if (p < 0 || p >= input.getRank())
      return emitOptionalError(loc, "permutation entry " + Twine(p) + " out of range");
    shape.push_back(input.getDimSize(p));
  }
  results.push_back(RankedTensorType::get(shape, input.getElementType()));
  return success();
}

bool TransposeOp::swapsLastTwoDims() {
  ArrayRef<int64_t> perm = getPermutation();
  int64_t rank = perm.size();
  for (int64_t i = 0; i + 2 < rank; ++i)
    if (perm[i] != i)
      return false;
  return rank >= 2 && perm[rank - 2] == rank - 1 && perm[rank - 1] == rank - 2;
}

Value attune::transposeLastTwo(OpBuilder &b, Location loc, Value value) {
  RankedTensorType type = tensorOf(value);
  SmallVector<int64_t> perm, shape;
  for (int64_t i = 0; i < type.getRank(); ++i)
    perm.push_back(i);
  std::swap(perm[type.getRank() - 2], perm[type.getRank() - 1]);
  for (int64_t p : perm)
    shape.push_back(type.getDimSize(p));
  return b.create<TransposeOp>(loc, RankedTensorType::get(shape, type.getElementType()), value,
                               perm);
}

LogicalResult TransposeOp::verify() {
  SmallVector<bool> seen(getPermutation().size(), false);
  for (int64_t p : getPermutation()) {
    if (seen[p])
      return emitOpError("permutation repeats dimension ") << p;
    seen[p] = true;
  }
  return success();
}

std::optional<SmallVector<ReassociationIndices>> ReshapeOp::getReassociation() {
  ArrayRef<int64_t> small = getInput().getType().getShape();
  ArrayRef<int64_t> large = getType().getShape();
  if (!isExpand())
    std::swap(small, large);
  // Each dim of the smaller-rank shape takes the next run of larger-rank dims whose product
  // is its size. A dynamic dim groups with exactly one dynamic dim (plus trailing static 1s).
  SmallVector<ReassociationIndices> groups;
  size_t next = 0;
  for (int64_t size : small) {
    ReassociationIndices group;
    if (ShapedType::isDynamic(size)) {
      while (next < large.size() && large[next] == 1)
        group.push_back(next++);
      if (next >= large.size() || !ShapedType::isDynamic(large[next]))
        return std::nullopt;
      group.push_back(next++);
    } else {
      int64_t product = 1;
      while (next < large.size() && !ShapedType::isDynamic(large[next]) &&
             (group.empty() || product < size)) {
        product *= large[next];
        group.push_back(next++);
      }
      if (product != size)
        return std::nullopt;
    }
    groups.push_back(group);
  }
  // Trailing size-1 dims join the last group.
  while (!groups.empty() && next < large.size() && large[next] == 1)
    groups.back().push_back(next++);
  if (next != large.size() || (small.empty() && !large.empty()))
    return std::nullopt;
  return groups;
}

LogicalResult ReshapeOp::verify() {
  RankedTensorType input = getInput().getType();
  RankedTensorType result = getType();
  if (input.getElementType() != result.getElementType())
    return emitOpError("changes the element type from ")
           << input.getElementType() << " to " << result.getElementType();
  if (static_cast<int64_t>(getSizes().size()) != result.getNumDynamicDims())
    return emitOpError("expects ") << result.getNumDynamicDims()
                                   << " sizes for the dynamic result dims, got "
                                   << getSizes().size();
  if (input.hasStaticShape() && result.hasStaticShape() &&
      input.getNumElements() != result.getNumElements())
    return emitOpError("cannot reshape ") << shapeString(input.getShape()) << " ("
                                          << input.getNumElements() << " elements) into "
                                          << shapeString(result.getShape()) << " ("
                                          << result.getNumElements() << " elements)";
  if (!getReassociation())
    return emitOpError("reshape from ") << shapeString(input.getShape()) << " to "
                                        << shapeString(result.getShape())
                                        << " neither splits nor merges adjacent dims";
  return success();
}

LogicalResult SliceOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                        Adaptor adaptor, SmallVectorImpl<Type> &results) {
  if (!allRanked({adaptor.getInput()}) || !adaptor.getAxisAttr() || !adaptor.getStartAttr() ||
      !adaptor.getEndAttr())
    return emitOptionalError(loc, "expects a ranked tensor and axis, start, end");
  RankedTensorType input = tensorOf(adaptor.getInput());
  int64_t axis = adaptor.getAxis();
  if (axis < 0 || axis >= input.getRank())
    return emitOptionalError(loc, "slice axis " + Twine(axis) + " out of range for rank " +
                                      Twine(input.getRank()));
  SmallVector<int64_t> shape(input.getShape());
  shape[axis] = adaptor.getEnd() - adaptor.getStart();
  results.push_back(RankedTensorType::get(shape, input.getElementType()));
  return success();
}

LogicalResult SliceOp::verify() {
  int64_t size = getInput().getType().getDimSize(getAxis());
  // A dynamic dim is at least 1 at run time, so only its first element can be sliced safely.
  if (ShapedType::isDynamic(size)) {
    if (getStart() != 0 || getEnd() != 1)
      return emitOpError("slices [") << getStart() << ", " << getEnd() << ") of dynamic dimension "
                                     << getAxis() << "; only [0, 1) is known to be in range";
    return success();
  }
  if (getStart() < 0 || getEnd() > size || getStart() >= getEnd())
    return emitOpError("range [") << getStart() << ", " << getEnd()
                                  << ") is empty or outside dimension " << getAxis()
                                  << " of size " << size;
  return success();
}

//===----------------------------------------------------------------------===//
// Arithmetic
//===----------------------------------------------------------------------===//

#define ATTUNE_FLOAT_BROADCAST(OP)                                                             \
  LogicalResult OP::inferReturnTypes(MLIRContext *, std::optional<Location> loc,               \
                                     Adaptor adaptor, SmallVectorImpl<Type> &results) {        \
    if (!allRanked({adaptor.getLhs(), adaptor.getRhs()}))                                      \
      return emitOptionalError(loc, "operands must be ranked tensors");                        \
    if (tensorOf(adaptor.getLhs()).getElementType() !=                                         \
        tensorOf(adaptor.getRhs()).getElementType())                                           \
      return emitOptionalError(loc, "operands must have the same element type");               \
    return inferBroadcast(loc, {adaptor.getLhs(), adaptor.getRhs()},                           \
                          tensorOf(adaptor.getLhs()).getElementType(), results);               \
  }
ATTUNE_FLOAT_BROADCAST(AddOp)
ATTUNE_FLOAT_BROADCAST(SubOp)
ATTUNE_FLOAT_BROADCAST(MulOp)
ATTUNE_FLOAT_BROADCAST(DivOp)
#undef ATTUNE_FLOAT_BROADCAST

LogicalResult CompareOp::inferReturnTypes(MLIRContext *context, std::optional<Location> loc,
                                          Adaptor adaptor, SmallVectorImpl<Type> &results) {
  if (!allRanked({adaptor.getLhs(), adaptor.getRhs()}))
    return emitOptionalError(loc, "operands must be ranked tensors");
  if (tensorOf(adaptor.getLhs()).getElementType() != tensorOf(adaptor.getRhs()).getElementType())
    return emitOptionalError(loc, "compared operands must have the same element type");
  return inferBroadcast(loc, {adaptor.getLhs(), adaptor.getRhs()},
                        IntegerType::get(context, 1), results);
}

LogicalResult SelectOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                         Adaptor adaptor, SmallVectorImpl<Type> &results) {
  if (!allRanked({adaptor.getCond(), adaptor.getOnTrue(), adaptor.getOnFalse()}))
    return emitOptionalError(loc, "operands must be ranked tensors");
  return inferBroadcast(loc, {adaptor.getCond(), adaptor.getOnTrue(), adaptor.getOnFalse()},
                        tensorOf(adaptor.getOnTrue()).getElementType(), results);
}

LogicalResult MatmulOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                         Adaptor adaptor, SmallVectorImpl<Type> &results) {
  if (!allRanked({adaptor.getLhs(), adaptor.getRhs()}))
    return emitOptionalError(loc, "operands must be ranked tensors");
  RankedTensorType lhs = tensorOf(adaptor.getLhs());
  RankedTensorType rhs = tensorOf(adaptor.getRhs());
  if (lhs.getRank() < 2 || rhs.getRank() < 2)
    return emitOptionalError(loc, "matmul operands must have rank >= 2, got " +
                                      shapeString(lhs.getShape()) + " and " +
                                      shapeString(rhs.getShape()));
  int64_t k = lhs.getShape().back();
  int64_t rhsK = rhs.getDimSize(rhs.getRank() - 2);
  if (!ShapedType::isDynamic(k) && !ShapedType::isDynamic(rhsK) && k != rhsK)
    return emitOptionalError(loc, "matmul contracts " + shapeString(lhs.getShape()) +
                                      " with " + shapeString(rhs.getShape()) +
                                      ": inner dimensions " + Twine(k) + " and " +
                                      Twine(rhsK) + " differ");
  SmallVector<int64_t> batch;
  if (!broadcastShapes(lhs.getShape().drop_back(2), rhs.getShape().drop_back(2), batch))
    return emitOptionalError(loc, "matmul batch dimensions of " +
                                      shapeString(lhs.getShape()) + " and " +
                                      shapeString(rhs.getShape()) + " do not broadcast");
  batch.push_back(lhs.getDimSize(lhs.getRank() - 2));
  batch.push_back(rhs.getShape().back());
  results.push_back(RankedTensorType::get(batch, lhs.getElementType()));
  return success();
}

LogicalResult PackedMatmulOp::verify() {
  RankedTensorType lhs = getLhs().getType(), panels = getPanels().getType();
  RankedTensorType result = getResult().getType();
  // [P, K, width], or bf16 k pairs [P, K/2, width, 2].
  bool pairs = panels.getRank() == 4;
  if ((panels.getRank() != 3 && !pairs) || !panels.hasStaticShape() ||
      (pairs && (panels.getDimSize(3) != 2 || !panels.getElementType().isBF16())))
    return emitOpError("panels must be a static [P, K, width] tensor or bf16 [P, K/2, width, 2] "
                       "k pairs, got ")
           << shapeString(panels.getShape()) << " of " << panels.getElementType();
  int64_t count = panels.getDimSize(0), k = panels.getDimSize(1) * (pairs ? 2 : 1),
          width = panels.getDimSize(2);
  int64_t columns = getColumns();
  if (columns < 1 || width < 1 || count != (columns + width - 1) / width)
    return emitOpError("panels ") << shapeString(panels.getShape()) << " do not hold "
                                  << columns << " columns in panels of " << width;
  if (lhs.getRank() < 1 || (!lhs.isDynamicDim(lhs.getRank() - 1) && lhs.getShape().back() != k))
    return emitOpError("lhs ") << shapeString(lhs.getShape()) << " does not contract with K = "
                               << k;
  SmallVector<int64_t> expected(lhs.getShape().drop_back());
  expected.push_back(columns);
  if (result.getShape() != ArrayRef<int64_t>(expected))
    return emitOpError("result must be ") << shapeString(expected) << ", got "
                                          << shapeString(result.getShape());
  bool quantized = panels.getElementType().isInteger(8);
  if (quantized != bool(getScales()))
    return emitOpError("i8 panels need scales, and only they have them");
  if (getScales() && getScales().getType().getShape() != ArrayRef<int64_t>{count * width})
    return emitOpError("scales must be [")
           << count * width << "], got " << shapeString(getScales().getType().getShape());
  if (getBias() && getBias().getType().getShape() != ArrayRef<int64_t>{columns})
    return emitOpError("bias must be [") << columns << "], got "
                                         << shapeString(getBias().getType().getShape());
  if (getResidual() && getResidual().getType() != result)
    return emitOpError("residual must have the result's shape ")
           << shapeString(result.getShape()) << ", got "
           << shapeString(getResidual().getType().getShape());
  return verifyNorm(columns);
}

LogicalResult Bf16DotOp::verify() {
  int64_t sums = getAcc().getType().getNumElements(), pairs = getLhs().getType().getNumElements();
  if (pairs != 2 * sums)
    return emitOpError("needs a bf16 pair per f32 sum: ")
           << sums << " sums and " << pairs << " bf16s";
  return success();
}

LogicalResult PackedMatmulOp::verifyNorm(int64_t columns) {
  std::optional<StringRef> norm = getNorm();
  bool normalized = bool(getNormalized());
  if (!norm) {
    if (getNormGain() || getNormBias() || getNormEpsilon() || normalized)
      return emitOpError("norm_gain, norm_bias, norm_epsilon and a normalized result need a "
                         "norm");
    return success();
  }
  if (!getNormGain() || !getNormEpsilon() || !normalized)
    return emitOpError("norm '") << *norm << "' needs norm_gain, norm_epsilon and a "
                                 << "normalized result";
  if (bool(getNormBias()) != (*norm == "layer_norm"))
    return emitOpError("norm_bias goes with layer_norm only, and layer_norm needs one");
  for (Value vector : {getNormGain(), getNormBias()})
    if (vector && cast<RankedTensorType>(vector.getType()).getShape() !=
                      ArrayRef<int64_t>{columns})
      return emitOpError("norm_gain and norm_bias must be [")
             << columns << "], got "
             << shapeString(cast<RankedTensorType>(vector.getType()).getShape());
  if (getNormalized().getType() != getResult().getType())
    return emitOpError("the normalized result must have the result's type");
  return success();
}

//===----------------------------------------------------------------------===//
// Normalisation and activations
//===----------------------------------------------------------------------===//

LogicalResult LayerNormOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                            Adaptor adaptor, SmallVectorImpl<Type> &results) {
  if (!allRanked({adaptor.getInput()}))
    return emitOptionalError(loc, "input must be a ranked tensor");
  results.push_back(adaptor.getInput().getType());
  return success();
}

LogicalResult LayerNormOp::verify() {
  RankedTensorType input = getInput().getType();
  if (input.getRank() < 1)
    return emitOpError("input must have rank >= 1");
  int64_t size = input.getShape().back();
  for (Value param : {getGain(), getBias()}) {
    RankedTensorType type = tensorOf(param);
    if (type.getRank() != 1 || (!ShapedType::isDynamic(size) && type.getDimSize(0) != size))
      return emitOpError("gain and bias must be [") << size << "] to match the last dim of "
                                                    << input << ", got " << type;
  }
  if (getEpsilon().convertToDouble() < 0)
    return emitOpError("epsilon must be non-negative");
  return success();
}

LogicalResult RmsNormOp::verify() {
  RankedTensorType input = getInput().getType();
  RankedTensorType gain = getGain().getType();
  if (input.getRank() < 1)
    return emitOpError("input must have rank >= 1");
  int64_t size = input.getShape().back();
  if (gain.getRank() != 1 || (!ShapedType::isDynamic(size) && gain.getDimSize(0) != size))
    return emitOpError("gain must be [") << size << "] to match the last dim of " << input
                                         << ", got " << gain;
  if (getEpsilon().convertToDouble() < 0)
    return emitOpError("epsilon must be non-negative");
  return success();
}

LogicalResult RopeOp::verify() {
  RankedTensorType input = getInput().getType();
  RankedTensorType positions = getPositions().getType();
  if (input.getRank() < 2)
    return emitOpError("input must be [..., seq, head_dim], got ") << input;
  int64_t headDim = input.getShape().back();
  if (ShapedType::isDynamic(headDim) || headDim % 2 != 0)
    return emitOpError("head dim must be static and even, got ") << headDim;
  auto compatible = [](int64_t a, int64_t b) {
    return a == b || ShapedType::isDynamic(a) || ShapedType::isDynamic(b);
  };
  int64_t seq = input.getDimSize(input.getRank() - 2);
  bool perRow = positions.getRank() == 2 && input.getRank() >= 3;
  if ((positions.getRank() != 1 && !perRow) ||
      !compatible(positions.getShape().back(), seq) ||
      (perRow && !compatible(positions.getDimSize(0), input.getDimSize(0))))
    return emitOpError("positions must be [seq] or [batch, seq] for input ")
           << input << ", got " << positions;
  if (getTheta().convertToDouble() <= 0)
    return emitOpError("theta must be positive");
  return success();
}

SmallVector<int64_t> AttentionOp::getScoresShape() {
  RankedTensorType q = getQuery().getType(), k = getKey().getType();
  SmallVector<int64_t> batch;
  broadcastShapes(q.getShape().drop_back(2), k.getShape().drop_back(2), batch);
  batch.push_back(q.getDimSize(q.getRank() - 2));
  batch.push_back(k.getDimSize(k.getRank() - 2));
  return batch;
}

LogicalResult AttentionOp::verify() {
  RankedTensorType q = getQuery().getType(), k = getKey().getType(), v = getValue().getType();
  if (q.getRank() < 2 || k.getRank() < 2 || v.getRank() < 2)
    return emitOpError("query, key and value need rank >= 2");
  auto compatible = [](int64_t a, int64_t b) {
    return a == b || ShapedType::isDynamic(a) || ShapedType::isDynamic(b);
  };
  if (!compatible(q.getShape().back(), k.getShape().back()))
    return emitOpError("query and key head dims differ: ")
           << shapeString(q.getShape()) << " and " << shapeString(k.getShape());
  if (!compatible(k.getDimSize(k.getRank() - 2), v.getDimSize(v.getRank() - 2)))
    return emitOpError("key and value lengths differ: ")
           << shapeString(k.getShape()) << " and " << shapeString(v.getShape());
  SmallVector<int64_t> batch, kv;
  if (!broadcastShapes(q.getShape().drop_back(2), k.getShape().drop_back(2), kv) ||
      !broadcastShapes(kv, v.getShape().drop_back(2), batch))
    return emitOpError("batch dims of query, key and value do not broadcast");
  SmallVector<int64_t> scores = getScoresShape(), merged;
  for (Value extra : {getMask(), getBias()})
    if (extra && !broadcastShapes(scores, tensorOf(extra).getShape(), merged))
      return emitOpError("mask/bias of shape ") << shapeString(tensorOf(extra).getShape())
                                                << " does not broadcast to the scores "
                                                << shapeString(scores);
  if (Value offsets = getQueryOffsets()) {
    auto type = cast<RankedTensorType>(offsets.getType());
    if (!getCausal())
      return emitOpError("query offsets need a causal attention (they move its diagonal)");
    if (type.getRank() != 1 || batch.empty() || !compatible(type.getDimSize(0), batch.front()))
      return emitOpError("query offsets must be [batch] of the scores ")
             << shapeString(scores) << ", got " << shapeString(type.getShape());
  }
  SmallVector<int64_t> expected(batch);
  expected.push_back(q.getDimSize(q.getRank() - 2));
  expected.push_back(v.getShape().back());
  RankedTensorType result = getType();
  if (result.getRank() != static_cast<int64_t>(expected.size()))
    return emitOpError("result must be ") << shapeString(expected) << ", got "
                                          << shapeString(result.getShape());
  for (auto [got, want] : llvm::zip(result.getShape(), expected))
    if (!compatible(got, want))
      return emitOpError("result must be ") << shapeString(expected) << ", got "
                                            << shapeString(result.getShape());
  return success();
}

LogicalResult CacheWriteOp::verify() {
  RankedTensorType cache = getCache().getType(), update = getUpdate().getType();
  auto offsets = cast<RankedTensorType>(getOffsets().getType());
  int64_t rank = cache.getRank();
  if (rank < 3 || update.getRank() != rank)
    return emitOpError("cache and update must be [batch, ..., len, d] of one rank, got ")
           << shapeString(cache.getShape()) << " and " << shapeString(update.getShape());
  for (int64_t i = 0; i < rank; ++i) {
    int64_t a = cache.getDimSize(i), b = update.getDimSize(i);
    if (i != rank - 2 && a != b && !ShapedType::isDynamic(a) && !ShapedType::isDynamic(b))
      return emitOpError("cache ") << shapeString(cache.getShape()) << " and update "
                                   << shapeString(update.getShape()) << " differ in dim " << i;
  }
  if (offsets.getRank() != 1 ||
      (!offsets.isDynamicDim(0) && !cache.isDynamicDim(0) &&
       offsets.getDimSize(0) != cache.getDimSize(0)))
    return emitOpError("offsets must be [batch], got ") << shapeString(offsets.getShape());
  return success();
}

LogicalResult SoftmaxOp::verify() {
  int64_t rank = getType().getRank();
  if (getAxis() < 0 || getAxis() >= rank)
    return emitOpError("axis ") << getAxis() << " out of range for rank " << rank;
  return success();
}
