// attune-lower-entry: rewrites model entry functions into the buffer ABI the runtime calls
// (inputs, weights, outputs as memref arguments). See Passes.td for the before/after IR.
#include "ir/AttuneDialect.h"
#include "passes/Passes.h"

#include "mlir/IR/Builders.h"
#include "llvm/ADT/StringMap.h"

namespace attune {
#define GEN_PASS_DEF_ATTUNELOWERENTRYPASS
#include "passes/Passes.h.inc"
} // namespace attune

using namespace mlir;

namespace {

MemRefType bufferTypeOf(Type tensorType) {
  auto tensor = cast<RankedTensorType>(tensorType);
  return MemRefType::get(tensor.getShape(), tensor.getElementType());
}

DictionaryAttr argAttrs(Builder &b, StringRef name, StringRef role) {
  return b.getDictionaryAttr({b.getNamedAttr("attune.name", b.getStringAttr(name)),
                              b.getNamedAttr("attune.role", b.getStringAttr(role))});
}

/// Reads the string array attribute `attrName` of `func`, which must have `expected` entries.
FailureOr<SmallVector<StringRef>> namesOf(func::FuncOp func, StringRef attrName,
                                          size_t expected) {
  auto names = func->getAttrOfType<ArrayAttr>(attrName);
  if (!names || names.size() != expected)
    return func.emitOpError("entry function needs '")
           << attrName << "' with " << expected << " names";
  SmallVector<StringRef> result;
  for (Attribute name : names) {
    auto str = dyn_cast<StringAttr>(name);
    if (!str)
      return func.emitOpError("'") << attrName << "' must hold strings";
    result.push_back(str.getValue());
  }
  return result;
}

LogicalResult lowerEntry(func::FuncOp func) {
  if (func.isExternal())
    return func.emitOpError("entry function has no body");
  FailureOr<SmallVector<StringRef>> inputNames =
      namesOf(func, "attune.inputs", func.getNumArguments());
  FailureOr<SmallVector<StringRef>> outputNames =
      namesOf(func, "attune.outputs", func.getNumResults());
  if (failed(inputNames) || failed(outputNames))
    return failure();

  OpBuilder b(func.getContext());
  Block &entry = func.getBody().front();
  Location loc = func.getLoc();
  SmallVector<DictionaryAttr> newArgAttrs;

  // Inputs: the argument becomes a buffer, read through a to_tensor at the top.
  b.setInsertionPointToStart(&entry);
  for (auto [arg, name] : llvm::zip(entry.getArguments(), *inputNames)) {
    arg.setType(bufferTypeOf(arg.getType()));
    auto tensor = b.create<bufferization::ToTensorOp>(loc, arg, /*restrict=*/true);
    arg.replaceAllUsesExcept(tensor, tensor);
    newArgAttrs.push_back(argAttrs(b, name, "input"));
  }

  // Weights: one argument per distinct name, in order of first use. The weight ops are
  // erased only at the end: the builder's insertion point sits before the first of them.
  SmallVector<attune::WeightOp> weights;
  func.walk([&](attune::WeightOp weight) { weights.push_back(weight); });
  llvm::StringMap<Value> weightTensors;
  for (attune::WeightOp weight : weights) {
    auto [it, inserted] = weightTensors.try_emplace(weight.getName());
    if (inserted) {
      BlockArgument arg = entry.addArgument(bufferTypeOf(weight.getType()), weight.getLoc());
      it->second = b.create<bufferization::ToTensorOp>(weight.getLoc(), arg, true);
      newArgAttrs.push_back(argAttrs(b, weight.getName(), "weight"));
    } else if (it->second.getType() != weight.getType()) {
      return weight.emitOpError("uses weight '")
             << weight.getName() << "' as " << weight.getType()
             << " but it was already used as " << it->second.getType();
    }
    weight.replaceAllUsesWith(it->second);
  }
  for (attune::WeightOp weight : weights)
    weight.erase();

  // Outputs: results are written into caller-provided buffers.
  auto ret = cast<func::ReturnOp>(entry.getTerminator());
  b.setInsertionPoint(ret);
  for (auto [value, name] : llvm::zip(ret.getOperands(), *outputNames)) {
    BlockArgument out = entry.addArgument(bufferTypeOf(value.getType()), loc);
    b.create<bufferization::MaterializeInDestinationOp>(loc, TypeRange{}, value, out,
                                                        /*restrict=*/true, /*writable=*/true);
    newArgAttrs.push_back(argAttrs(b, name, "output"));
  }
  b.create<func::ReturnOp>(loc);
  ret.erase();

  func.setType(b.getFunctionType(entry.getArgumentTypes(), {}));
  func.setAllArgAttrs(newArgAttrs);
  func->removeAttr("attune.inputs");
  func->removeAttr("attune.outputs");
  // The runtime calls the `_mlir_ciface_` wrapper, which takes memref descriptors by pointer.
  func->setAttr("llvm.emit_c_interface", b.getUnitAttr());
  return success();
}

struct LowerEntryPass : attune::impl::AttuneLowerEntryPassBase<LowerEntryPass> {
  void runOnOperation() override {
    for (auto func : llvm::make_early_inc_range(getOperation().getOps<func::FuncOp>()))
      if (func->hasAttr("attune.entry") && failed(lowerEntry(func)))
        return signalPassFailure();
  }
};

} // namespace
