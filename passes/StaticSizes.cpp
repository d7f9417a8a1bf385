// See StaticSizes.h.
#include "passes/StaticSizes.h"

#include "ir/Abi.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/Matchers.h"

using namespace mlir;

namespace attune {

/// The integer ops size computations are made of: pure, no regions, cloned as they are.
static bool isSizeArithmetic(Operation *op) {
  return isa<arith::ConstantOp, arith::IndexCastOp, arith::IndexCastUIOp, arith::ExtSIOp,
             arith::ExtUIOp, arith::TruncIOp, arith::SelectOp, arith::CmpIOp, arith::AddIOp,
             arith::SubIOp, arith::MulIOp, arith::DivUIOp, arith::DivSIOp, arith::RemUIOp,
             arith::RemSIOp, arith::CeilDivUIOp, arith::CeilDivSIOp, arith::MinSIOp,
             arith::MinUIOp, arith::MaxSIOp, arith::MaxUIOp>(op);
}

static DimOrigin fromFoldResult(OpFoldResult size) {
  DimOrigin origin;
  if (auto value = dyn_cast<Value>(size)) {
    origin.kind = DimOrigin::Size;
    origin.size = value;
  } else if (auto integer = dyn_cast<IntegerAttr>(cast<Attribute>(size))) {
    origin.kind = DimOrigin::Constant;
    origin.constant = integer.getInt();
  }
  return origin;
}

static DimOrigin fromDims(ArrayRef<std::pair<Value, int64_t>> factors) {
  DimOrigin origin;
  origin.kind = DimOrigin::Product;
  origin.factors.assign(factors.begin(), factors.end());
  return origin;
}

DimOrigin originOfDim(Value memref, int64_t index) {
  auto type = dyn_cast<MemRefType>(memref.getType());
  if (!type || index < 0 || index >= type.getRank())
    return {};
  if (!type.isDynamicDim(index))
    return fromFoldResult(OpBuilder(memref.getContext()).getIndexAttr(type.getDimSize(index)));
  // Which dynamic dim this is (allocations and entry arguments list only those).
  int64_t dynamicIndex = type.getDynamicDimIndex(index);
  if (auto argument = dyn_cast<BlockArgument>(memref)) {
    auto function = dyn_cast<func::FuncOp>(argument.getOwner()->getParentOp());
    if (!function)
      return {};
    auto names = function.getArgAttrOfType<ArrayAttr>(argument.getArgNumber(), abi::kDims);
    auto name = names && dynamicIndex < int64_t(names.size())
                    ? dyn_cast<StringAttr>(names[dynamicIndex])
                    : StringAttr();
    if (!name)
      return {};
    DimOrigin origin;
    origin.kind = DimOrigin::Argument;
    origin.argument = argument;
    origin.symbol = name.getValue();
    return origin;
  }
  Operation *op = memref.getDefiningOp();
  if (auto alloc = dyn_cast<memref::AllocOp>(op))
    return fromFoldResult(alloc.getDynamicSizes()[dynamicIndex]);
  if (auto alloca = dyn_cast<memref::AllocaOp>(op))
    return fromFoldResult(alloca.getDynamicSizes()[dynamicIndex]);
  if (auto view = dyn_cast<memref::ViewOp>(op))
    return fromFoldResult(view.getSizes()[dynamicIndex]);
  if (auto cast = dyn_cast<memref::CastOp>(op))
    return fromDims({{cast.getSource(), index}});
  if (auto collapse = dyn_cast<memref::CollapseShapeOp>(op)) {
    SmallVector<std::pair<Value, int64_t>> factors;
    // Held in a local: a range-for over a temporary's element outlives the temporary.
    SmallVector<ReassociationIndices> groups = collapse.getReassociationIndices();
    for (int64_t source : groups[index])
      factors.push_back({collapse.getSrc(), source});
    return fromDims(factors);
  }
  if (auto expand = dyn_cast<memref::ExpandShapeOp>(op))
    return fromFoldResult(expand.getOutputShape()[dynamicIndex]);
  if (auto subview = dyn_cast<memref::SubViewOp>(op)) {
    // The result's dims are the source's minus the dropped unit dims.
    llvm::SmallBitVector dropped = subview.getDroppedDims();
    SmallVector<OpFoldResult> sizes = subview.getMixedSizes();
    int64_t seen = -1;
    for (int64_t i = 0; i < int64_t(sizes.size()); ++i)
      if (!dropped.test(i) && ++seen == index)
        return fromFoldResult(sizes[i]);
    return {};
  }
  if (auto transpose = dyn_cast<memref::TransposeOp>(op))
    return fromDims({{transpose.getIn(), transpose.getPermutation().getDimPosition(index)}});
  if (auto reinterpret = dyn_cast<memref::ReinterpretCastOp>(op))
    return fromFoldResult(reinterpret.getMixedSizes()[index]);
  return {};
}

std::optional<int64_t> StaticSizes::valueOf(Value value) {
  if (auto it = known.find(value); it != known.end())
    return it->second;
  std::optional<int64_t> result = compute(value);
  known[value] = result;
  return result;
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
  if (op->getNumOperands() != 2 || !isSizeArithmetic(op))
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
  DimOrigin origin = originOfDim(memref, index);
  switch (origin.kind) {
  case DimOrigin::Unknown:
    return std::nullopt;
  case DimOrigin::Constant:
    return origin.constant;
  case DimOrigin::Size:
    return valueOf(origin.size);
  case DimOrigin::Argument: {
    auto it = dims.find(origin.symbol);
    return it == dims.end() ? std::nullopt : std::optional<int64_t>(it->second);
  }
  case DimOrigin::Product: {
    int64_t product = 1;
    for (auto [source, sourceIndex] : origin.factors) {
      std::optional<int64_t> size = dimOf(source, sourceIndex);
      if (!size)
        return std::nullopt;
      product *= *size;
    }
    return product;
  }
  }
  return std::nullopt;
}

static bool canRebuildDim(Value memref, int64_t index, SmallVectorImpl<StringRef> *symbols) {
  DimOrigin origin = originOfDim(memref, index);
  switch (origin.kind) {
  case DimOrigin::Unknown:
    return false;
  case DimOrigin::Constant:
    return true;
  case DimOrigin::Size:
    return SizeRebuilder::canRebuild(origin.size, symbols);
  case DimOrigin::Argument:
    if (symbols && !llvm::is_contained(*symbols, origin.symbol))
      symbols->push_back(origin.symbol);
    return true;
  case DimOrigin::Product:
    return llvm::all_of(origin.factors, [&](auto factor) {
      return canRebuildDim(factor.first, factor.second, symbols);
    });
  }
  return false;
}

bool SizeRebuilder::canRebuild(Value value, SmallVectorImpl<StringRef> *symbols) {
  Operation *op = value.getDefiningOp();
  if (!op)
    return false;
  if (auto dim = dyn_cast<memref::DimOp>(op)) {
    std::optional<int64_t> index = dim.getConstantIndex();
    return index && canRebuildDim(dim.getSource(), *index, symbols);
  }
  return isSizeArithmetic(op) && llvm::all_of(op->getOperands(), [&](Value operand) {
           return canRebuild(operand, symbols);
         });
}

Value SizeRebuilder::rebuild(Value value) {
  if (Value done = built.lookupOrNull(value))
    return done;
  Operation *op = value.getDefiningOp();
  Value result;
  if (auto dim = dyn_cast<memref::DimOp>(op)) {
    result = rebuildDim(dim.getSource(), *dim.getConstantIndex());
  } else {
    for (Value operand : op->getOperands())
      rebuild(operand);
    result = builder.clone(*op, built)->getResult(cast<OpResult>(value).getResultNumber());
  }
  built.map(value, result);
  return result;
}

Value SizeRebuilder::rebuildDim(Value memref, int64_t index) {
  auto key = std::make_pair(memref, index);
  if (Value done = builtDims.lookup(key))
    return done;
  DimOrigin origin = originOfDim(memref, index);
  Location loc = memref.getLoc();
  Value result;
  switch (origin.kind) {
  case DimOrigin::Unknown:
    llvm_unreachable("rebuildDim of a dim canRebuild refused");
  case DimOrigin::Constant:
    result = builder.create<arith::ConstantIndexOp>(loc, origin.constant);
    break;
  case DimOrigin::Size:
    result = rebuild(origin.size);
    break;
  case DimOrigin::Argument:
    result = symbolValue(builder, origin.symbol);
    break;
  case DimOrigin::Product:
    for (auto [source, sourceIndex] : origin.factors) {
      Value factor = rebuildDim(source, sourceIndex);
      result = result ? builder.create<arith::MulIOp>(loc, result, factor).getResult() : factor;
    }
    break;
  }
  builtDims[key] = result;
  return result;
}

} // namespace attune
