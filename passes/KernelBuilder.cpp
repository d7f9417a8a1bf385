// See KernelBuilder.h.
#include "passes/KernelBuilder.h"

#include "ir/AttuneDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

using namespace mlir;

namespace attune {

Value KernelBuilder::index(int64_t value) {
  return b.create<arith::ConstantIndexOp>(loc, value);
}
Value KernelBuilder::add(Value x, Value y) { return b.create<arith::AddIOp>(loc, x, y); }
Value KernelBuilder::sub(Value x, Value y) { return b.create<arith::SubIOp>(loc, x, y); }
Value KernelBuilder::mul(Value x, Value y) { return b.create<arith::MulIOp>(loc, x, y); }
Value KernelBuilder::minIndex(Value x, Value y) { return b.create<arith::MinSIOp>(loc, x, y); }
Value KernelBuilder::ceilDiv(Value x, int64_t d) {
  return b.create<arith::DivUIOp>(loc, add(x, index(d - 1)), index(d));
}
Value KernelBuilder::ceilDiv(Value x, Value d) {
  return b.create<arith::DivUIOp>(loc, sub(add(x, d), index(1)), d);
}
Value KernelBuilder::floorTo(Value x, int64_t m) {
  return mul(b.create<arith::DivUIOp>(loc, x, index(m)), index(m));
}

VectorType KernelBuilder::vecType() { return VectorType::get({lanes}, f32); }
Value KernelBuilder::splat(double value) {
  return b.create<arith::ConstantOp>(
      loc, DenseElementsAttr::get(vecType(), b.getF32FloatAttr(static_cast<float>(value))));
}

void KernelBuilder::loop(Value lb, Value ub, int64_t step, function_ref<void(Value)> body) {
  b.create<scf::ForOp>(loc, lb, ub, index(step), ValueRange{},
                       [&](OpBuilder &nested, Location, Value iv, ValueRange) {
                         OpBuilder::InsertionGuard guard(b);
                         b.setInsertionPoint(nested.getInsertionBlock(),
                                             nested.getInsertionPoint());
                         body(iv);
                         b.create<scf::YieldOp>(loc);
                       });
}

SmallVector<Value>
KernelBuilder::loop(Value lb, Value ub, int64_t step, ValueRange init,
                    function_ref<SmallVector<Value>(Value, ValueRange)> body) {
  auto forOp = b.create<scf::ForOp>(
      loc, lb, ub, index(step), init,
      [&](OpBuilder &nested, Location, Value iv, ValueRange carried) {
        OpBuilder::InsertionGuard guard(b);
        b.setInsertionPoint(nested.getInsertionBlock(), nested.getInsertionPoint());
        b.create<scf::YieldOp>(loc, body(iv, carried));
      });
  return SmallVector<Value>(forOp.getResults());
}

SmallVector<Value> KernelBuilder::ifElse(Value condition,
                                         function_ref<SmallVector<Value>()> then,
                                         function_ref<SmallVector<Value>()> otherwise) {
  auto branch = [&](function_ref<SmallVector<Value>()> build) {
    return [&, build](OpBuilder &nested, Location) {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPoint(nested.getInsertionBlock(), nested.getInsertionPoint());
      b.create<scf::YieldOp>(loc, build());
    };
  };
  auto ifOp = b.create<scf::IfOp>(loc, condition, branch(then), branch(otherwise));
  return SmallVector<Value>(ifOp.getResults());
}

void KernelBuilder::when(Value condition, function_ref<void()> then) {
  b.create<scf::IfOp>(loc, condition, [&](OpBuilder &nested, Location) {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPoint(nested.getInsertionBlock(), nested.getInsertionPoint());
    then();
    b.create<scf::YieldOp>(loc);
  });
}

void KernelBuilder::tasks(Value count, function_ref<void(Value)> body) {
  auto parallel = b.create<scf::ParallelOp>(
      loc, ValueRange{index(0)}, ValueRange{count}, ValueRange{index(1)},
      [&](OpBuilder &nested, Location, ValueRange ivs) {
        OpBuilder::InsertionGuard guard(b);
        b.setInsertionPoint(nested.getInsertionBlock(), nested.getInsertionPoint());
        body(ivs[0]);
      });
  parallel->setAttr("attune.tasks", b.getUnitAttr());
}

void KernelBuilder::declareKernel(StringRef name, ArrayRef<StringRef> fused, Value flops) {
  b.create<KernelCostOp>(loc, flops, /*bytes=*/Value(), b.getStringAttr(name),
                         b.getStrArrayAttr(fused));
}

SmallVector<Value> KernelBuilder::rowIndices(Value row, ValueRange leadSizes) {
  int64_t rank = leadSizes.size();
  SmallVector<Value> indices(rank);
  for (int64_t i = rank - 1; i > 0; --i) {
    indices[i] = b.create<arith::RemUIOp>(loc, row, leadSizes[i]);
    row = b.create<arith::DivUIOp>(loc, row, leadSizes[i]);
  }
  if (rank > 0)
    indices[0] = row;
  return indices;
}

SmallVector<Value> KernelBuilder::with(ArrayRef<Value> lead, Value last) {
  SmallVector<Value> indices(lead);
  indices.push_back(last);
  return indices;
}

Value readOnlyView(OpBuilder &b, Location loc, Value tensor) {
  auto type = cast<RankedTensorType>(tensor.getType());
  SmallVector<int64_t> strides(type.getRank(), ShapedType::kDynamic);
  strides.back() = 1;
  auto layout = StridedLayoutAttr::get(b.getContext(), ShapedType::kDynamic, strides);
  auto memrefType = MemRefType::get(type.getShape(), type.getElementType(), layout);
  return b.create<bufferization::ToMemrefOp>(loc, memrefType, tensor, /*read_only=*/true);
}

bufferization::MaterializeInDestinationOp inPlaceDestination(Value result) {
  if (!result.hasOneUse())
    return {};
  auto materialize = dyn_cast<bufferization::MaterializeInDestinationOp>(*result.user_begin());
  auto buffer =
      materialize ? dyn_cast<MemRefType>(materialize.getDest().getType()) : MemRefType();
  if (!buffer || !buffer.getLayout().isIdentity() ||
      !materialize.getDest().getParentBlock()->isEntryBlock())
    return {};
  return materialize;
}

Value resultBuffer(OpBuilder &b, Location loc, Value result, ValueRange dynamicSizes,
                   bufferization::MaterializeInDestinationOp &destination) {
  destination = inPlaceDestination(result);
  if (destination)
    return destination.getDest();
  auto type = cast<RankedTensorType>(result.getType());
  return b.create<memref::AllocOp>(loc, MemRefType::get(type.getShape(), type.getElementType()),
                                   dynamicSizes, b.getI64IntegerAttr(64));
}

} // namespace attune
