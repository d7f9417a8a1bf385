// attune-instrument-kernels: every kernel an entry function runs gets an id in the module's
// kernel table (abi::kKernels) and, with `hooks`, a timed bracket the runtime's profile reads:
//
//   %t = call @attune_kernel_start() : () -> i64         (0 unless the run is profiled)
//   <kernel>
//   scf.if %t != 0 { call @attune_kernel_stop(%t, id, flops, bytes) }
//
// A kernel is an operation at the top level of an entry that computes: a call, a linalg op,
// a copy, or a region op (a task loop) that writes memory. Its name, fused ops and FLOPs come
// from the attune.kernel_cost the kernel lowering put before it; others are described from
// their structure (a linalg op's FLOPs: iterations × floating-point ops in its body). Bytes
// are the kernel_cost's where it gives them, else the sizes of the distinct buffers it reads
// or writes: the traffic it cannot avoid.
#include "ir/Abi.h"
#include "ir/AttuneDialect.h"
#include "ir/Locations.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/Transforms/RegionUtils.h"
#include "llvm/ADT/SetVector.h"

namespace attune {
#define GEN_PASS_DEF_ATTUNEINSTRUMENTKERNELSPASS
#include "passes/Passes.h.inc"
} // namespace attune

using namespace mlir;
using attune::KernelCostOp;

namespace {

/// Whether `op` (nested ops included) writes memory: stores, copies, linalg ops, calls.
bool writesMemory(Operation *op) {
  WalkResult result = op->walk([](Operation *nested) {
    if (isa<memref::StoreOp, memref::CopyOp, vector::StoreOp, vector::TransferWriteOp,
            vector::MaskedStoreOp, linalg::LinalgOp, func::CallOp>(nested))
      return WalkResult::interrupt();
    return WalkResult::advance();
  });
  return result.wasInterrupted();
}

bool isKernel(Operation *op) {
  if (isa<linalg::LinalgOp, memref::CopyOp, func::CallOp>(op))
    return true;
  return op->getNumRegions() > 0 && writesMemory(op);
}

/// Floating-point arithmetic in a linalg body: each such op is one FLOP per iteration.
int64_t floatOpsIn(Block &body) {
  int64_t count = 0;
  for (Operation &op : body)
    if ((isa<arith::ArithDialect, math::MathDialect>(op.getDialect())) &&
        op.getNumResults() == 1 && isa<FloatType>(getElementTypeOrSelf(op.getResult(0))) &&
        !isa<arith::ConstantOp, arith::SelectOp, arith::SIToFPOp>(op))
      ++count;
  return count;
}

/// The buffers `op` reads or writes, each with the buffer whose size is what it moves: memref
/// operands and those its regions use from above, themselves; but a table a linalg body
/// loads from (a gather) moves only the rows it reads: as much as the op's output.
SmallVector<std::pair<Value, Value>> buffersOf(Operation *op) {
  llvm::SetVector<Value> buffers;
  for (Value operand : op->getOperands())
    if (isa<MemRefType>(operand.getType()))
      buffers.insert(operand);
  llvm::SetVector<Value> captured;
  getUsedValuesDefinedAbove(op->getRegions(), captured);
  Value gatheredSize;
  if (auto linalgOp = dyn_cast<linalg::LinalgOp>(op); linalgOp && linalgOp.getNumDpsInits() > 0)
    gatheredSize = linalgOp.getDpsInitOperand(0)->get();
  SmallVector<std::pair<Value, Value>> moved;
  for (Value buffer : buffers)
    moved.push_back({buffer, buffer});
  for (Value value : captured)
    if (isa<MemRefType>(value.getType()) && !buffers.contains(value))
      moved.push_back({value, gatheredSize ? gatheredSize : value});
  return moved;
}

/// What a kernel without an attune.kernel_cost is called in the table.
std::string genericName(Operation *op) {
  if (auto call = dyn_cast<func::CallOp>(op))
    return ("call @" + call.getCallee()).str();
  if (auto generic = dyn_cast<linalg::GenericOp>(op)) {
    bool gathers = false;
    generic.getRegion().walk([&](Operation *nested) {
      gathers |= isa<memref::LoadOp, tensor::ExtractOp>(nested);
    });
    if (gathers)
      return "gather";
    return generic.getNumReductionLoops() > 0 ? "reduction" : "elementwise";
  }
  if (auto transpose = dyn_cast<linalg::TransposeOp>(op)) {
    std::string name = "transpose [";
    for (auto [i, dim] : llvm::enumerate(transpose.getPermutation()))
      name += (i ? ", " : "") + std::to_string(dim);
    return name + "]";
  }
  return op->getName().stripDialect().str();
}

class KernelInstrumenter {
public:
  KernelInstrumenter(ModuleOp module, bool hooks) : module(module), hooks(hooks) {}

  LogicalResult instrument(func::FuncOp entry) {
    for (Block &block : entry.getBody()) {
      KernelCostOp pending;
      for (Operation *op : llvm::to_vector(llvm::map_range(block, [](Operation &o) {
             return &o;
           }))) {
        if (auto cost = dyn_cast<KernelCostOp>(op)) {
          if (pending)
            return pending.emitError("attune.kernel_cost is followed by another before its "
                                     "kernel");
          pending = cost;
          continue;
        }
        if (!isKernel(op))
          continue;
        add(op, pending);
        if (pending)
          pending.erase();
        pending = nullptr;
      }
      if (pending)
        return pending.emitError("attune.kernel_cost names no kernel: nothing in its block "
                                 "computes after it");
    }
    return success();
  }

  ArrayAttr table() { return ArrayAttr::get(module.getContext(), entries); }

private:
  void add(Operation *op, KernelCostOp cost) {
    MLIRContext *ctx = module.getContext();
    Builder attrs(ctx);
    int64_t id = entries.size();
    entries.push_back(DictionaryAttr::get(
        ctx, {attrs.getNamedAttr("name", cost ? cost.getKernelAttr()
                                              : attrs.getStringAttr(genericName(op))),
              attrs.getNamedAttr("fused", cost ? cost.getFused() : attrs.getStrArrayAttr({})),
              attrs.getNamedAttr("location",
                                 attrs.getStringAttr(attune::describeLocation(op->getLoc())))}));
    if (!hooks)
      return;
    Location loc = op->getLoc();
    OpBuilder b(op);
    Value start = b.create<func::CallOp>(loc, hook(attune::abi::kKernelStart, {}, {b.getI64Type()}),
                                         ValueRange{})
                      .getResult(0);
    b.setInsertionPointAfter(op);
    Value zero = b.create<arith::ConstantIntOp>(loc, 0, 64);
    Value profiled = b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::ne, start, zero);
    b.create<scf::IfOp>(loc, profiled, [&](OpBuilder &nested, Location) {
      Value flops = cost ? cost.getFlops() : genericFlops(nested, loc, op);
      Value bytes = cost ? cost.getBytes() : Value();
      if (!bytes)
        for (const auto &moved : buffersOf(op)) {
          Value size = bytesOf(nested, loc, moved.second);
          bytes = bytes ? nested.create<arith::AddIOp>(loc, bytes, size).getResult() : size;
        }
      if (!bytes)
        bytes = index(nested, loc, 0);
      auto i64 = [&](Value v) {
        return nested.create<arith::IndexCastOp>(loc, nested.getI64Type(), v).getResult();
      };
      Type i64Type = nested.getI64Type();
      nested.create<func::CallOp>(
          loc, hook(attune::abi::kKernelStop, {i64Type, i64Type, i64Type, i64Type}, {}),
          ValueRange{start, nested.create<arith::ConstantIntOp>(loc, id, 64), i64(flops),
                     i64(bytes)});
      nested.create<scf::YieldOp>(loc);
    });
  }

  static Value index(OpBuilder &b, Location loc, int64_t value) {
    return b.create<arith::ConstantIndexOp>(loc, value);
  }

  /// Elements of `buffer` × their bytes: the static part one constant, times each dynamic dim.
  static Value bytesOf(OpBuilder &b, Location loc, Value buffer) {
    auto type = cast<MemRefType>(buffer.getType());
    int64_t bits = type.getElementType().isIntOrFloat() ? type.getElementTypeBitWidth() : 64;
    int64_t fixed = std::max<int64_t>(1, bits / 8);
    for (int64_t size : type.getShape())
      fixed *= ShapedType::isDynamic(size) ? 1 : size;
    Value bytes = index(b, loc, fixed);
    for (int64_t i = 0; i < type.getRank(); ++i)
      if (type.isDynamicDim(i))
        bytes = b.create<arith::MulIOp>(loc, bytes, b.create<memref::DimOp>(loc, buffer, i));
    return bytes;
  }

  /// A linalg op: iterations × floating-point ops per iteration; anything else 0.
  static Value genericFlops(OpBuilder &b, Location loc, Operation *op) {
    auto linalgOp = dyn_cast<linalg::LinalgOp>(op);
    if (!linalgOp || linalgOp->getNumRegions() == 0 || linalgOp->getRegion(0).empty())
      return index(b, loc, 0);
    Value flops = index(b, loc, floatOpsIn(linalgOp->getRegion(0).front()));
    for (Range range : linalgOp.createLoopRanges(b, loc))
      flops = b.create<arith::MulIOp>(loc, flops,
                                      getValueOrCreateConstantIndexOp(b, loc, range.size));
    return flops;
  }

  /// The declaration of a runtime hook, made on first use.
  func::FuncOp hook(StringRef name, TypeRange inputs, TypeRange results) {
    if (auto existing = module.lookupSymbol<func::FuncOp>(name))
      return existing;
    OpBuilder b = OpBuilder::atBlockBegin(module.getBody());
    auto decl = b.create<func::FuncOp>(module.getLoc(), name,
                                       b.getFunctionType(inputs, results));
    decl.setPrivate();
    return decl;
  }

  ModuleOp module;
  bool hooks;
  SmallVector<Attribute> entries;
};

struct InstrumentKernelsPass
    : attune::impl::AttuneInstrumentKernelsPassBase<InstrumentKernelsPass> {
  using AttuneInstrumentKernelsPassBase::AttuneInstrumentKernelsPassBase;
  void runOnOperation() override {
    ModuleOp module = getOperation();
    KernelInstrumenter instrumenter(module, hooks);
    for (auto function : llvm::to_vector(module.getOps<func::FuncOp>()))
      if (function->hasAttr(attune::abi::kEntry) && !function.isExternal() &&
          failed(instrumenter.instrument(function)))
        return signalPassFailure();
    // Kernel descriptions outside an entry's top level (inside another kernel) describe
    // nothing the table lists.
    module.walk([](KernelCostOp cost) { cost.erase(); });
    module->setAttr(attune::abi::kKernels, instrumenter.table());
  }
};

} // namespace
