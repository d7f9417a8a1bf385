// Activation formulas on f32 scalars and vectors (see Activations.h). tanh, erf and exp stay
// math ops here: attune-approximate-math turns them into polynomials wherever they land.
#include "passes/Activations.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/IR/BuiltinAttributes.h"

#include <cmath>

using namespace mlir;

namespace attune {

Value constantLike(OpBuilder &b, Location loc, Type type, double value) {
  if (auto vector = dyn_cast<VectorType>(type))
    return b.create<arith::ConstantOp>(
        loc, DenseElementsAttr::get(vector, b.getFloatAttr(vector.getElementType(), value)));
  return b.create<arith::ConstantOp>(loc, b.getFloatAttr(type, value));
}

bool isActivation(StringRef kind) {
  return kind == "gelu_tanh" || kind == "gelu_erf" || kind == "relu" || kind == "silu";
}

Value buildActivation(OpBuilder &b, Location loc, StringRef kind, Value x) {
  Type type = x.getType();
  auto c = [&](double value) { return constantLike(b, loc, type, value); };
  if (kind == "relu")
    return b.create<arith::MaximumFOp>(loc, x, c(0.0));
  if (kind == "silu") {
    // x / (1 + exp(-x))
    Value expNeg = b.create<math::ExpOp>(loc, b.create<arith::NegFOp>(loc, x));
    return b.create<arith::DivFOp>(loc, x, b.create<arith::AddFOp>(loc, c(1.0), expNeg));
  }
  Value inner;
  if (kind == "gelu_tanh") {
    // 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
    Value cube = b.create<arith::MulFOp>(loc, b.create<arith::MulFOp>(loc, x, x), x);
    Value poly = b.create<arith::AddFOp>(loc, x, b.create<arith::MulFOp>(loc, c(0.044715), cube));
    inner = b.create<math::TanhOp>(
        loc, b.create<arith::MulFOp>(loc, c(std::sqrt(2.0 / M_PI)), poly));
  } else {
    // 0.5 x (1 + erf(x / sqrt(2)))
    inner = b.create<math::ErfOp>(loc, b.create<arith::MulFOp>(loc, x, c(M_SQRT1_2)));
  }
  Value onePlus = b.create<arith::AddFOp>(loc, c(1.0), inner);
  return b.create<arith::MulFOp>(loc, b.create<arith::MulFOp>(loc, c(0.5), x), onePlus);
}

} // namespace attune
