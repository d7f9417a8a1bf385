// Rebuilds a cached attention's mask or bias for a decode step (see StepScores.h).
//
// In the forward, a relative position bias (T5) or a position mask is a function of the token
// positions `iota(seq)` laid out along the scores' query and key axes. In the step the two
// differ: queries sit at each row's own positions ([batch, seq]), keys at the cache's
// 0 .. keys - 1. The operand is rebuilt backwards from the scores' axes: each op learns which
// axis each of its dims stands for (the same iota may feed both, as `k - q` does), iotas become
// the query or key positions, and every value computed from query positions carries a leading
// batch dim (a vmap over the rows).
#include "passes/StepScores.h"

#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/Support/FormatVariadic.h"

#include <map>

using namespace mlir;
using namespace attune;

namespace {

enum class Axis { Other, Query, Key };

/// A rebuilt value; `batched`: it has a leading [batch] dim the original did not.
struct Rebuilt {
  Value value;
  bool batched = false;
};

std::string where(Operation *op) {
  std::string text;
  llvm::raw_string_ostream os(text);
  op->getLoc().print(os);
  return text;
}

/// `value` reshaped to `shape` (unit dims inserted or dropped), each dynamic dim i of `shape`
/// sized by `value`'s dim `from[i]`.
Value reshapeTo(OpBuilder &b, Location loc, Value value, ArrayRef<int64_t> shape,
                ArrayRef<int64_t> from) {
  auto type = cast<RankedTensorType>(value.getType());
  SmallVector<Value> sizes;
  for (auto [i, size] : llvm::enumerate(shape))
    if (ShapedType::isDynamic(size))
      sizes.push_back(b.create<tensor::DimOp>(loc, value, from[i]));
  return b.create<ReshapeOp>(loc, RankedTensorType::get(shape, type.getElementType()), value,
                             sizes);
}

/// A batched [batch, dims...] value with `count` unit dims inserted after the batch dim.
Value insertUnitDims(OpBuilder &b, Location loc, Value value, int64_t count) {
  if (count == 0)
    return value;
  auto type = cast<RankedTensorType>(value.getType());
  SmallVector<int64_t> shape{type.getDimSize(0)}, from{0};
  for (int64_t i = 0; i < count; ++i)
    shape.push_back(1), from.push_back(-1);
  for (int64_t i = 1; i < type.getRank(); ++i)
    shape.push_back(type.getDimSize(i)), from.push_back(i);
  return reshapeTo(b, loc, value, shape, from);
}

class ScoresRebuilder {
public:
  ScoresRebuilder(OpBuilder &b, function_ref<bool(IotaOp)> isTokenPositions, Value positions,
                  Value keys, std::string &whyNot)
      : b(b), isTokenPositions(isTokenPositions), positions(positions), keys(keys),
        whyNot(whyNot) {}

  FailureOr<Rebuilt> rebuild(Value value, ArrayRef<Axis> axes) {
    if (!fromPositions(value))
      return Rebuilt{value};
    std::pair<void *, std::vector<int>> key{value.getAsOpaquePointer(), {}};
    for (Axis axis : axes)
      key.second.push_back(static_cast<int>(axis));
    if (auto it = rebuilt.find(key); it != rebuilt.end())
      return it->second;
    FailureOr<Rebuilt> result = rebuildOp(value, axes);
    if (succeeded(result))
      rebuilt[key] = *result;
    return result;
  }

private:
  /// Whether `value` is computed from token positions (and so must be rebuilt).
  bool fromPositions(Value value) {
    if (auto it = computed.find(value); it != computed.end())
      return it->second;
    Operation *op = value.getDefiningOp();
    bool result = false;
    if (auto iota = dyn_cast_or_null<IotaOp>(op))
      result = isTokenPositions(iota);
    else if (op)
      result = llvm::any_of(op->getOperands(), [&](Value v) { return fromPositions(v); });
    return computed[value] = result;
  }

  FailureOr<Rebuilt> fail(Operation *op, const Twine &why) {
    whyNot = (why + " (at " + where(op) + ")").str();
    return failure();
  }

  FailureOr<Rebuilt> rebuildOp(Value value, ArrayRef<Axis> axes) {
    Operation *op = value.getDefiningOp();
    Location loc = op->getLoc();
    if (auto iota = dyn_cast<IotaOp>(op)) {
      auto type = cast<RankedTensorType>(iota.getType());
      if (axes[0] == Axis::Query) {
        if (type.getElementType() != cast<RankedTensorType>(positions.getType()).getElementType())
          return fail(op, "token positions of another integer type than the step's");
        return Rebuilt{positions, true};
      }
      if (axes[0] == Axis::Key)
        return Rebuilt{b.create<IotaOp>(loc, type, keys).getResult()};
      return fail(op, "token positions that are neither the queries' nor the keys' axis of the "
                      "scores");
    }
    if (auto reshape = dyn_cast<ReshapeOp>(op))
      return rebuildReshape(reshape, axes);
    if (auto transpose = dyn_cast<TransposeOp>(op)) {
      ArrayRef<int64_t> permutation = transpose.getPermutation();
      SmallVector<Axis> inputAxes(axes.size(), Axis::Other);
      for (auto [i, dim] : llvm::enumerate(permutation))
        inputAxes[dim] = axes[i];
      FailureOr<Rebuilt> input = rebuild(transpose.getInput(), inputAxes);
      if (failed(input))
        return failure();
      SmallVector<int64_t> shifted(permutation);
      if (input->batched) {
        shifted.assign({0});
        for (int64_t dim : permutation)
          shifted.push_back(dim + 1);
      }
      Operation *clone = b.clone(*op);
      clone->setOperand(0, input->value);
      cast<TransposeOp>(clone).setPermutation(shifted);
      return retyped(clone, input->batched);
    }
    if (isa<AddOp, SubOp, MulOp, DivOp, CompareOp, SelectOp>(op))
      return rebuildBroadcast(op, axes);
    if (auto embed = dyn_cast<EmbedOp>(op)) {
      if (fromPositions(embed.getTable()))
        return fail(op, "an embedding table computed from token positions");
      int64_t ids = cast<RankedTensorType>(embed.getIds().getType()).getRank();
      FailureOr<Rebuilt> input = rebuild(embed.getIds(), axes.take_front(ids));
      if (failed(input))
        return failure();
      Operation *clone = b.clone(*op);
      clone->setOperand(1, input->value);
      return retyped(clone, input->batched);
    }
    return fail(op, llvm::formatv("a mask or bias computed by '{0}' is not derived for a decode "
                                  "step",
                                  op->getName().getStringRef()));
  }

  /// A reshape that inserts or drops unit dims: the other dims keep their axes, in order.
  FailureOr<Rebuilt> rebuildReshape(ReshapeOp reshape, ArrayRef<Axis> axes) {
    auto in = cast<RankedTensorType>(reshape.getInput().getType());
    RankedTensorType out = reshape.getType();
    SmallVector<int64_t> inDims, outDims; // the non-unit dims of each side
    for (int64_t i = 0; i < in.getRank(); ++i)
      if (in.getDimSize(i) != 1)
        inDims.push_back(i);
    for (int64_t i = 0; i < out.getRank(); ++i)
      if (out.getDimSize(i) != 1)
        outDims.push_back(i);
    if (inDims.size() != outDims.size())
      return fail(reshape, "a reshape other than adding or removing unit dims");
    SmallVector<Axis> inputAxes(in.getRank(), Axis::Other);
    for (auto [i, o] : llvm::zip(inDims, outDims))
      inputAxes[i] = axes[o];
    FailureOr<Rebuilt> input = rebuild(reshape.getInput(), inputAxes);
    if (failed(input))
      return failure();
    int64_t shift = input->batched ? 1 : 0;
    SmallVector<int64_t> shape, from;
    if (input->batched)
      shape.push_back(ShapedType::kDynamic), from.push_back(0);
    auto rebuiltType = cast<RankedTensorType>(input->value.getType());
    for (int64_t o = 0, next = 0; o < out.getRank(); ++o) {
      if (out.getDimSize(o) == 1) {
        shape.push_back(1), from.push_back(-1);
        continue;
      }
      int64_t source = inDims[next++] + shift;
      shape.push_back(rebuiltType.getDimSize(source));
      from.push_back(source);
    }
    return Rebuilt{reshapeTo(b, reshape.getLoc(), input->value, shape, from), input->batched};
  }

  /// Elementwise ops broadcast right-aligned: an operand's dims take the result's axes; a
  /// batched operand of lower rank gets unit dims after its batch dim so its batch lines up.
  FailureOr<Rebuilt> rebuildBroadcast(Operation *op, ArrayRef<Axis> axes) {
    auto resultType = cast<RankedTensorType>(op->getResult(0).getType());
    int64_t rank = resultType.getRank();
    SmallVector<Rebuilt> operands;
    bool batched = false;
    for (Value operand : op->getOperands()) {
      auto type = cast<RankedTensorType>(operand.getType());
      SmallVector<Axis> operandAxes;
      for (int64_t d = 0; d < type.getRank(); ++d) {
        int64_t aligned = d + rank - type.getRank();
        bool stretched = type.getDimSize(d) == 1 && resultType.getDimSize(aligned) != 1;
        operandAxes.push_back(stretched ? Axis::Other : axes[aligned]);
      }
      FailureOr<Rebuilt> r = rebuild(operand, operandAxes);
      if (failed(r))
        return failure();
      batched |= r->batched;
      operands.push_back(*r);
    }
    SmallVector<Value> values;
    for (auto [i, operand] : llvm::enumerate(operands)) {
      int64_t operandRank = cast<RankedTensorType>(op->getOperand(i).getType()).getRank();
      values.push_back(operand.batched
                           ? insertUnitDims(b, op->getLoc(), operand.value, rank - operandRank)
                           : operand.value);
    }
    Operation *clone = b.clone(*op);
    clone->setOperands(values);
    return retyped(clone, batched);
  }

  FailureOr<Rebuilt> retyped(Operation *op, bool batched) {
    auto infer = dyn_cast<InferTypeOpInterface>(op);
    SmallVector<Type> types;
    if (!infer || failed(infer.inferReturnTypes(op->getContext(), op->getLoc(), op->getOperands(),
                                                 op->getAttrDictionary(),
                                                 op->getPropertiesStorage(), op->getRegions(),
                                                 types)))
      return fail(op, "the rebuilt mask or bias does not type");
    op->getResult(0).setType(types[0]);
    return Rebuilt{op->getResult(0), batched};
  }

  OpBuilder &b;
  function_ref<bool(IotaOp)> isTokenPositions;
  Value positions, keys;
  std::string &whyNot;
  DenseMap<Value, bool> computed;
  std::map<std::pair<void *, std::vector<int>>, Rebuilt> rebuilt;
};

} // namespace

SmallVector<BlockArgument> attune::argumentsRead(Value value) {
  SmallVector<BlockArgument> arguments;
  SmallVector<Value> work{value};
  DenseSet<Value> seen;
  while (!work.empty()) {
    Value v = work.pop_back_val();
    if (!seen.insert(v).second)
      continue;
    if (auto argument = dyn_cast<BlockArgument>(v)) {
      arguments.push_back(argument);
      continue;
    }
    if (!v.getDefiningOp<tensor::DimOp>())
      llvm::append_range(work, v.getDefiningOp()->getOperands());
  }
  return arguments;
}

FailureOr<Value> attune::rebuildScoresOperand(OpBuilder &b, AttentionOp attention,
                                              Value operand,
                                              function_ref<bool(IotaOp)> isTokenPositions,
                                              Value positions, Value keys, std::string &whyNot) {
  if (!argumentsRead(operand).empty()) {
    whyNot = "the mask or bias of a cached attention is computed from an input (at " +
             where(attention) + "): only masks and biases of token positions are derived";
    return failure();
  }
  auto type = cast<RankedTensorType>(operand.getType());
  int64_t rank = type.getRank();
  int64_t scoresRank = static_cast<int64_t>(attention.getScoresShape().size());
  SmallVector<Axis> axes;
  for (int64_t d = 0; d < rank; ++d) {
    int64_t aligned = d + scoresRank - rank;
    bool unit = type.getDimSize(d) == 1;
    axes.push_back(unit                             ? Axis::Other
                   : aligned == scoresRank - 2 ? Axis::Query
                   : aligned == scoresRank - 1 ? Axis::Key
                                               : Axis::Other);
  }
  ScoresRebuilder rebuilder(b, isTokenPositions, positions, keys, whyNot);
  FailureOr<Rebuilt> result = rebuilder.rebuild(operand, axes);
  if (failed(result))
    return failure();
  if (!result->batched)
    return result->value;
  // [batch, operand dims...] lined up with the scores' [batch, ...]: an operand as long as the
  // scores broadcast its first dim over the rows (it must be 1); a shorter one gets unit dims.
  Location loc = attention.getLoc();
  if (rank < scoresRank)
    return insertUnitDims(b, loc, result->value, scoresRank - rank - 1);
  if (type.getDimSize(0) != 1) {
    whyNot = "a mask or bias with its own batch dim computed from token positions";
    return failure();
  }
  auto batched = cast<RankedTensorType>(result->value.getType());
  SmallVector<int64_t> shape{batched.getDimSize(0)}, from{0};
  for (int64_t i = 2; i < batched.getRank(); ++i)
    shape.push_back(batched.getDimSize(i)), from.push_back(i);
  return reshapeTo(b, loc, result->value, shape, from);
}
