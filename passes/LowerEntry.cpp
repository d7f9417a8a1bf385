// attune-lower-entry: rewrites model entry functions into the buffer ABI the runtime calls
// (inputs, weights, outputs as memref arguments). See Passes.td for the before/after IR.
#include "ir/Abi.h"
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

/// The ABI attributes of one argument: its name and role, plus the names of its dynamic dims
/// (`attune.dims`) when the graph gave them.
DictionaryAttr abiAttrs(Builder &b, StringRef name, StringRef role, DictionaryAttr graphAttrs) {
  SmallVector<NamedAttribute> attrs{b.getNamedAttr(attune::abi::kName, b.getStringAttr(name)),
                                    b.getNamedAttr(attune::abi::kRole, b.getStringAttr(role))};
  if (graphAttrs)
    if (Attribute dims = graphAttrs.get(attune::abi::kDims))
      attrs.push_back(b.getNamedAttr(attune::abi::kDims, dims));
  return b.getDictionaryAttr(attrs);
}

/// The rows of the smallest table `ids` selects from (attune.embed, directly or through
/// reshapes, slices and transposes, which keep its values); none if it selects from none.
/// Other uses (a mask, arithmetic) take any value, so they constrain nothing.
std::optional<int64_t> rowsSelectedBy(Value ids) {
  std::optional<int64_t> rows;
  SmallVector<Value> pending{ids};
  while (!pending.empty()) {
    Value value = pending.pop_back_val();
    for (OpOperand &use : value.getUses()) {
      Operation *user = use.getOwner();
      if (auto embed = dyn_cast<attune::EmbedOp>(user)) {
        auto table = cast<RankedTensorType>(embed.getTable().getType());
        if (use.get() == embed.getIds() && !table.isDynamicDim(0))
          rows = std::min(rows.value_or(table.getDimSize(0)), table.getDimSize(0));
      } else if (isa<attune::ReshapeOp, attune::SliceOp, attune::TransposeOp>(user)) {
        pending.push_back(user->getResult(0));
      }
    }
  }
  return rows;
}

/// Whether an argument or result is state (attune.role = "state"): a buffer the entry
/// updates in place, such as a decode step's KV cache.
bool isState(DictionaryAttr attrs) {
  auto role = attrs ? attrs.getAs<StringAttr>(attune::abi::kRole) : StringAttr();
  return role && role.getValue() == attune::abi::kStateRole;
}

/// The `attune.name` of argument/result `index`, or an error naming what is missing.
FailureOr<StringRef> nameOf(func::FuncOp func, DictionaryAttr attrs, StringRef what,
                            unsigned index) {
  auto name = attrs ? attrs.getAs<StringAttr>(attune::abi::kName) : StringAttr();
  if (!name || name.getValue().empty())
    return func.emitOpError("entry ") << what << " #" << index << " needs an attune.name";
  return name.getValue();
}

LogicalResult lowerEntry(func::FuncOp func) {
  if (func.isExternal())
    return func.emitOpError("entry function has no body");
  SmallVector<DictionaryAttr> inputAttrs, outputAttrs;
  func.getAllArgAttrs(inputAttrs);
  func.getAllResultAttrs(outputAttrs);
  SmallVector<StringRef> inputNames, outputNames;
  for (unsigned i = 0; i < func.getNumArguments(); ++i) {
    FailureOr<StringRef> name = nameOf(func, inputAttrs[i], "argument", i);
    if (failed(name))
      return failure();
    inputNames.push_back(*name);
  }
  for (unsigned i = 0; i < func.getNumResults(); ++i) {
    FailureOr<StringRef> name = nameOf(func, outputAttrs[i], "result", i);
    if (failed(name))
      return failure();
    outputNames.push_back(*name);
  }

  OpBuilder b(func.getContext());
  Block &entry = func.getBody().front();
  Location loc = func.getLoc();
  SmallVector<DictionaryAttr> newArgAttrs;

  // Inputs: the argument becomes a buffer, read through a to_tensor at the top. State (a
  // decode step's KV cache) is read and written in place: its result goes back into it.
  b.setInsertionPointToStart(&entry);
  llvm::StringMap<BlockArgument> states;
  for (auto [i, arg] : llvm::enumerate(entry.getArguments())) {
    bool state = isState(inputAttrs[i]);
    arg.setType(bufferTypeOf(arg.getType()));
    auto tensor = b.create<bufferization::ToTensorOp>(loc, arg, /*restrict=*/true,
                                                      /*writable=*/state);
    arg.replaceAllUsesExcept(tensor, tensor);
    if (state)
      states[inputNames[i]] = arg;
    DictionaryAttr attrs =
        abiAttrs(b, inputNames[i], state ? attune::abi::kStateRole : "input", inputAttrs[i]);
    if (std::optional<int64_t> rows = rowsSelectedBy(tensor)) {
      NamedAttrList withValues(attrs);
      withValues.set(attune::abi::kValues, b.getDenseI64ArrayAttr({0, *rows}));
      attrs = withValues.getDictionary(b.getContext());
    }
    newArgAttrs.push_back(attrs);
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
      newArgAttrs.push_back(abiAttrs(b, weight.getName(), "weight", {}));
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
  for (auto [i, value] : llvm::enumerate(ret.getOperands())) {
    if (isState(outputAttrs[i])) {
      auto state = states.find(outputNames[i]);
      if (state == states.end())
        return func.emitOpError("state result '") << outputNames[i] << "' has no state argument";
      b.create<bufferization::MaterializeInDestinationOp>(loc, TypeRange{}, value, state->second,
                                                          /*restrict=*/true, /*writable=*/true);
      continue;
    }
    BlockArgument out = entry.addArgument(bufferTypeOf(value.getType()), loc);
    b.create<bufferization::MaterializeInDestinationOp>(loc, TypeRange{}, value, out,
                                                        /*restrict=*/true, /*writable=*/true);
    newArgAttrs.push_back(abiAttrs(b, outputNames[i], "output", outputAttrs[i]));
  }
  b.create<func::ReturnOp>(loc);
  ret.erase();

  func.setType(b.getFunctionType(entry.getArgumentTypes(), {}));
  func.setAllArgAttrs(newArgAttrs);
  func.setAllResultAttrs(ArrayRef<DictionaryAttr>{});
  // The runtime calls the `_mlir_ciface_` wrapper, which takes memref descriptors by pointer.
  func->setAttr("llvm.emit_c_interface", b.getUnitAttr());
  return success();
}

struct LowerEntryPass : attune::impl::AttuneLowerEntryPassBase<LowerEntryPass> {
  void runOnOperation() override {
    for (auto func : llvm::make_early_inc_range(getOperation().getOps<func::FuncOp>()))
      if (func->hasAttr(attune::abi::kEntry) && failed(lowerEntry(func)))
        return signalPassFailure();
  }
};

} // namespace
