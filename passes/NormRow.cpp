#include "passes/NormRow.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;
using namespace attune;

NormRowEmitter::NormRowEmitter(OpBuilder &b, Location loc, int64_t lanes, int64_t width,
                               Value gain, Value bias, double epsilon)
    : KernelBuilder(b, loc, lanes), width(width), gain(gain), bias(bias) {
  invN = b.create<arith::ConstantOp>(loc, b.getF32FloatAttr(1.0f / float(width)));
  eps = b.create<arith::ConstantOp>(loc, b.getF32FloatAttr(float(epsilon)));
}

Value NormRowEmitter::load(Value memref, ArrayRef<Value> indices) {
  return b.create<vector::LoadOp>(loc, vecType(), memref, indices);
}

Value NormRowEmitter::broadcast(Value scalar) {
  return b.create<vector::BroadcastOp>(loc, vecType(), scalar);
}

Value NormRowEmitter::rowSum(Value x, ArrayRef<Value> lead, function_ref<Value(Value)> term) {
  SmallVector<Value> sum = loop(index(0), index(width), lanes, ValueRange{splat(0.0)},
                                [&](Value k, ValueRange acc) -> SmallVector<Value> {
                                  Value v = term(load(x, with(lead, k)));
                                  return {b.create<arith::AddFOp>(loc, acc[0], v)};
                                });
  return b.create<vector::ReductionOp>(loc, vector::CombiningKind::ADD, sum[0]);
}

void NormRowEmitter::emit(Value x, Value out, ArrayRef<Value> lead) {
  bool layerNorm = bool(bias);
  Value mean;
  if (layerNorm)
    mean = broadcast(
        b.create<arith::MulFOp>(loc, rowSum(x, lead, [](Value v) { return v; }), invN));
  Value squares = rowSum(x, lead, [&](Value v) {
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
      y = b.create<arith::AddFOp>(loc, b.create<arith::MulFOp>(loc, normed, load(gain, {k})),
                                  load(bias, {k}));
    } else {
      // gain · (x · 1/root): the order PyTorch's RMSNorm rounds in.
      y = b.create<arith::MulFOp>(loc, load(gain, {k}), b.create<arith::MulFOp>(loc, v, scale));
    }
    b.create<vector::StoreOp>(loc, y, out, with(lead, k));
  });
}
