// See StaticSizes.h.
#include "tools/attune/StaticSizes.h"

#include "ir/Abi.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/Matchers.h"

using namespace mlir;

namespace attune {

std::optional<int64_t> StaticSizes::valueOf(Value value) {
  if (auto it = known.find(value); it != known.end())
    return it->second;
  std::optional<int64_t> result = compute(value);
  known[value] = result;
  return result;
}

std::optional<int64_t> StaticSizes::valueOf(OpFoldResult size) {
  if (auto attr = dyn_cast<Attribute>(size))
    if (auto integer = dyn_cast<IntegerAttr>(attr))
      return integer.getInt();
  if (auto value = dyn_cast<Value>(size))
    return valueOf(value);
  return std::nullopt;
}

std::optional<int64_t> StaticSizes::compute(Value value) {
  APInt constant;
  if (matchPattern(value, m_ConstantInt(&constant)))
    return constant.getSExtValue();
  Operation *op = value.getDefiningOp();
  if (!op)
    return std::nullopt;
  if (isa<arith::IndexCastOp, arith::IndexCastUIOp, arith::ExtSIOp, arith::ExtUIOp,
          arith::TruncIOp>(op))
    return valueOf(op->getOperand(0));
  if (auto dim = dyn_cast<memref::DimOp>(op)) {
    std::optional<int64_t> index = valueOf(dim.getIndex());
    return index ? dimOf(dim.getSource(), *index) : std::nullopt;
  }
  if (auto select = dyn_cast<arith::SelectOp>(op)) {
    std::optional<int64_t> condition = valueOf(select.getCondition());
    return condition ? valueOf(*condition ? select.getTrueValue() : select.getFalseValue())
                     : std::nullopt;
  }
  if (op->getNumOperands() != 2)
    return std::nullopt;
  std::optional<int64_t> a = valueOf(op->getOperand(0)), b = valueOf(op->getOperand(1));
  if (!a || !b)
    return std::nullopt;
  int64_t x = *a, y = *b;
  if (auto compare = dyn_cast<arith::CmpIOp>(op)) {
    uint64_t ux = x, uy = y;
    switch (compare.getPredicate()) {
    case arith::CmpIPredicate::eq: return x == y;
    case arith::CmpIPredicate::ne: return x != y;
    case arith::CmpIPredicate::slt: return x < y;
    case arith::CmpIPredicate::sle: return x <= y;
    case arith::CmpIPredicate::sgt: return x > y;
    case arith::CmpIPredicate::sge: return x >= y;
    case arith::CmpIPredicate::ult: return ux < uy;
    case arith::CmpIPredicate::ule: return ux <= uy;
    case arith::CmpIPredicate::ugt: return ux > uy;
    case arith::CmpIPredicate::uge: return ux >= uy;
    }
  }
  bool divides = isa<arith::DivUIOp, arith::DivSIOp, arith::RemUIOp, arith::RemSIOp,
                     arith::CeilDivUIOp, arith::CeilDivSIOp>(op);
  if (divides && y == 0)
    return std::nullopt;
  if (isa<arith::AddIOp>(op))
    return x + y;
  if (isa<arith::SubIOp>(op))
    return x - y;
  if (isa<arith::MulIOp>(op))
    return x * y;
  if (isa<arith::DivUIOp, arith::DivSIOp>(op))
    return x / y;
  if (isa<arith::RemUIOp, arith::RemSIOp>(op))
    return x % y;
  if (isa<arith::CeilDivUIOp, arith::CeilDivSIOp>(op))
    return (x + y - 1) / y;
  if (isa<arith::MinSIOp, arith::MinUIOp>(op))
    return std::min(x, y);
  if (isa<arith::MaxSIOp, arith::MaxUIOp>(op))
    return std::max(x, y);
  return std::nullopt;
}

std::optional<int64_t> StaticSizes::dimOf(Value memref, int64_t index) {
  auto type = dyn_cast<MemRefType>(memref.getType());
  if (!type || index < 0 || index >= type.getRank())
    return std::nullopt;
  if (!type.isDynamicDim(index))
    return type.getDimSize(index);
  // Which dynamic dim this is (allocations and entry arguments list only those).
  int64_t dynamicIndex = type.getDynamicDimIndex(index);
  if (auto argument = dyn_cast<BlockArgument>(memref)) {
    auto function = dyn_cast<func::FuncOp>(argument.getOwner()->getParentOp());
    if (!function)
      return std::nullopt;
    auto names = function.getArgAttrOfType<ArrayAttr>(argument.getArgNumber(), abi::kDims);
    if (!names || dynamicIndex >= int64_t(names.size()))
      return std::nullopt;
    auto name = dyn_cast<StringAttr>(names[dynamicIndex]);
    auto it = name ? dims.find(name.getValue()) : dims.end();
    return it == dims.end() ? std::nullopt : std::optional<int64_t>(it->second);
  }
  Operation *op = memref.getDefiningOp();
  if (auto alloc = dyn_cast<memref::AllocOp>(op))
    return valueOf(alloc.getDynamicSizes()[dynamicIndex]);
  if (auto alloca = dyn_cast<memref::AllocaOp>(op))
    return valueOf(alloca.getDynamicSizes()[dynamicIndex]);
  if (auto cast = dyn_cast<memref::CastOp>(op))
    return dimOf(cast.getSource(), index);
  if (auto collapse = dyn_cast<memref::CollapseShapeOp>(op)) {
    int64_t product = 1;
    for (int64_t source : collapse.getReassociationIndices()[index]) {
      std::optional<int64_t> size = dimOf(collapse.getSrc(), source);
      if (!size)
        return std::nullopt;
      product *= *size;
    }
    return product;
  }
  if (auto expand = dyn_cast<memref::ExpandShapeOp>(op))
    return valueOf(expand.getOutputShape()[dynamicIndex]);
  if (auto subview = dyn_cast<memref::SubViewOp>(op)) {
    // The result's dims are the source's minus the dropped unit dims.
    llvm::SmallBitVector dropped = subview.getDroppedDims();
    SmallVector<OpFoldResult> sizes = subview.getMixedSizes();
    int64_t seen = -1;
    for (int64_t i = 0; i < int64_t(sizes.size()); ++i)
      if (!dropped.test(i) && ++seen == index)
        return valueOf(sizes[i]);
    return std::nullopt;
  }
  if (auto transpose = dyn_cast<memref::TransposeOp>(op))
    return dimOf(transpose.getIn(), transpose.getPermutation().getDimPosition(index));
  if (auto reinterpret = dyn_cast<memref::ReinterpretCastOp>(op))
    return valueOf(reinterpret.getMixedSizes()[index]);
  return std::nullopt;
}

} // namespace attune
