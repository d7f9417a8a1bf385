#include "passes/AttentionSemantics.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;

Value attune::attentionQueryOffset(OpBuilder &b, Location loc, Value offsets, Value row) {
  if (!offsets)
    return b.create<arith::ConstantIndexOp>(loc, 0);
  Value offset = isa<MemRefType>(offsets.getType())
                     ? b.create<memref::LoadOp>(loc, offsets, row).getResult()
                     : b.create<tensor::ExtractOp>(loc, offsets, row).getResult();
  return b.create<arith::IndexCastOp>(loc, b.getIndexType(), offset);
}

Value attune::attentionQueryPosition(OpBuilder &b, Location loc, Value offsets, Value row,
                                     Value query) {
  if (!offsets)
    return query;
  return b.create<arith::AddIOp>(loc, query, attentionQueryOffset(b, loc, offsets, row));
}

Value attune::attentionKeyVisible(OpBuilder &b, Location loc, Value key, Value position) {
  return b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::sle, key, position);
}
