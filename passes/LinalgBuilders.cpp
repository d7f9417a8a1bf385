// See LinalgBuilders.h.
#include "passes/LinalgBuilders.h"

#include "ir/AttuneDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;

namespace attune {

RankedTensorType tensorOf(Value value) { return cast<RankedTensorType>(value.getType()); }

Value floatConstant(OpBuilder &b, Location loc, Type type, double value) {
  return b.create<arith::ConstantOp>(loc, b.getFloatAttr(type, value));
}

/// tensor.empty of `type`, with dynamic dim i sized by sizeOf(i).
Value emptyTensor(OpBuilder &b, Location loc, RankedTensorType type,
                  function_ref<Value(int64_t)> sizeOf) {
  SmallVector<Value> dynamicSizes;
  for (int64_t i = 0; i < type.getRank(); ++i)
    if (type.isDynamicDim(i))
      dynamicSizes.push_back(sizeOf(i));
  return b.create<tensor::EmptyOp>(loc, type.getShape(), type.getElementType(), dynamicSizes);
}

Value filledTensor(OpBuilder &b, Location loc, RankedTensorType type, Value fill,
                   function_ref<Value(int64_t)> sizeOf) {
  Value empty = emptyTensor(b, loc, type, sizeOf);
  return b.create<linalg::FillOp>(loc, fill, empty).getResult(0);
}

/// The map reading `operand` (aligned right) inside a loop nest over `resultShape`, with
/// `firstDim` the loop index of the operand's leftmost aligned dim.
AffineMap broadcastMap(MLIRContext *ctx, ArrayRef<int64_t> operandShape,
                       ArrayRef<int64_t> resultShape, unsigned numLoops, unsigned firstDim) {
  SmallVector<AffineExpr> exprs;
  for (auto [k, size] : llvm::enumerate(operandShape)) {
    unsigned loop = firstDim + k;
    bool stretched = size == 1 && resultShape[loop] != 1;
    exprs.push_back(stretched ? getAffineConstantExpr(0, ctx) : getAffineDimExpr(loop, ctx));
  }
  return AffineMap::get(numLoops, 0, exprs, ctx);
}

/// The size of dim `dim` of a broadcast result, read from an operand that has it dynamic.
Value broadcastDimSize(OpBuilder &b, Location loc, ValueRange operands, int64_t resultRank,
                       int64_t dim) {
  for (Value operand : operands) {
    RankedTensorType type = tensorOf(operand);
    int64_t k = dim - (resultRank - type.getRank());
    if (k >= 0 && type.isDynamicDim(k))
      return b.create<tensor::DimOp>(loc, operand, k);
  }
  llvm_unreachable("dynamic broadcast dim with no dynamic operand");
}

/// An elementwise linalg.generic over `resultType` reading `operands` with broadcasting.
Value buildElementwise(OpBuilder &b, Location loc, RankedTensorType resultType,
                       ValueRange operands, BodyBuilder body) {
  MLIRContext *ctx = b.getContext();
  int64_t rank = resultType.getRank();
  SmallVector<AffineMap> maps;
  for (Value operand : operands)
    maps.push_back(broadcastMap(ctx, tensorOf(operand).getShape(), resultType.getShape(), rank,
                                rank - tensorOf(operand).getRank()));
  maps.push_back(b.getMultiDimIdentityMap(rank));
  Value init = emptyTensor(b, loc, resultType, [&](int64_t i) {
    return broadcastDimSize(b, loc, operands, rank, i);
  });
  SmallVector<utils::IteratorType> iterators(rank, utils::IteratorType::parallel);
  auto generic = b.create<linalg::GenericOp>(
      loc, resultType, operands, init, maps, iterators,
      [&](OpBuilder &nb, Location nl, ValueRange args) {
        nb.create<linalg::YieldOp>(nl, body(nb, nl, args.drop_back()));
      });
  return generic.getResult(0);
}

/// Reduces `input` along `axis` with `combine(element, accumulator)`, starting from `init`.
/// `pre` (optional) are extra operands of the reduction's shape (e.g. a running max).
Value buildReduction(OpBuilder &b, Location loc, Value input, int64_t axis, Value init,
                     ValueRange pre, BodyBuilder combine) {
  RankedTensorType inputType = tensorOf(input);
  int64_t rank = inputType.getRank();
  SmallVector<int64_t> shape(inputType.getShape());
  shape.erase(shape.begin() + axis);
  auto resultType = RankedTensorType::get(shape, inputType.getElementType());
  AffineMap identity = b.getMultiDimIdentityMap(rank);
  AffineMap reduced = identity.dropResult(axis);
  Value acc = filledTensor(b, loc, resultType, init, [&](int64_t i) -> Value {
    return b.create<tensor::DimOp>(loc, input, i < axis ? i : i + 1);
  });
  SmallVector<Value> operands{input};
  operands.append(pre.begin(), pre.end());
  SmallVector<AffineMap> maps{identity};
  maps.append(pre.size(), reduced);
  maps.push_back(reduced);
  SmallVector<utils::IteratorType> iterators(rank, utils::IteratorType::parallel);
  iterators[axis] = utils::IteratorType::reduction;
  auto generic = b.create<linalg::GenericOp>(
      loc, resultType, operands, acc, maps, iterators,
      [&](OpBuilder &nb, Location nl, ValueRange args) {
        nb.create<linalg::YieldOp>(nl, combine(nb, nl, args));
      });
  return generic.getResult(0);
}

/// Applies `body` to (input, reduced operands...) elementwise; reduced operands lack `axis`.
Value buildAlongAxis(OpBuilder &b, Location loc, Value input, int64_t axis,
                     ValueRange reducedOperands, ValueRange axisOperands, BodyBuilder body) {
  RankedTensorType type = tensorOf(input);
  int64_t rank = type.getRank();
  AffineMap identity = b.getMultiDimIdentityMap(rank);
  SmallVector<Value> operands{input};
  SmallVector<AffineMap> maps{identity};
  for (Value operand : reducedOperands) {
    operands.push_back(operand);
    maps.push_back(identity.dropResult(axis));
  }
  for (Value operand : axisOperands) {
    operands.push_back(operand);
    maps.push_back(AffineMap::get(rank, 0, b.getAffineDimExpr(axis)));
  }
  maps.push_back(identity);
  Value init = emptyTensor(b, loc, type, [&](int64_t i) -> Value {
    return b.create<tensor::DimOp>(loc, input, i);
  });
  SmallVector<utils::IteratorType> iterators(rank, utils::IteratorType::parallel);
  auto generic = b.create<linalg::GenericOp>(
      loc, type, operands, init, maps, iterators,
      [&](OpBuilder &nb, Location nl, ValueRange args) {
        nb.create<linalg::YieldOp>(nl, body(nb, nl, args.drop_back()));
      });
  return generic.getResult(0);
}

/// The size of dim `axis` of `value` as a float scalar.
Value dimAsFloat(OpBuilder &b, Location loc, Value value, int64_t axis, Type floatType) {
  RankedTensorType type = tensorOf(value);
  if (!type.isDynamicDim(axis))
    return floatConstant(b, loc, floatType, static_cast<double>(type.getDimSize(axis)));
  Value size = b.create<tensor::DimOp>(loc, value, axis);
  Value asInt = b.create<arith::IndexCastOp>(loc, b.getI64Type(), size);
  return b.create<arith::SIToFPOp>(loc, floatType, asInt);
}


} // namespace attune
