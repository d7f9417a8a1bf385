// attune-merge-identical-functions: private functions whose bodies and types are the same
// become one. Kernels outlined per op (each layer's attention and norm task functions) are
// identical from layer to layer; merged, they are lowered, optimized and generated once, which
// is most of a deep model's build time.
//
// Two functions are the same when they print the same with their names left out: the printer
// names values by position, so the text is the structure (ops, types, attributes, constants).
#include "passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/SymbolTable.h"
#include "llvm/ADT/StringMap.h"

namespace attune {
#define GEN_PASS_DEF_ATTUNEMERGEIDENTICALFUNCTIONSPASS
#include "passes/Passes.h.inc"
} // namespace attune

using namespace mlir;

namespace {

/// The function as text without its name: equal for functions that compute the same.
std::string bodyText(func::FuncOp function) {
  StringAttr name = function.getSymNameAttr();
  function.setSymName("f");
  std::string text;
  llvm::raw_string_ostream os(text);
  // Local scope: values numbered from the function's own start, wherever it sits.
  function->print(os, OpPrintingFlags().printGenericOpForm().useLocalScope());
  function.setSymNameAttr(name);
  return text;
}

struct MergeIdenticalFunctionsPass
    : attune::impl::AttuneMergeIdenticalFunctionsPassBase<MergeIdenticalFunctionsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    llvm::StringMap<func::FuncOp> first;
    SmallVector<std::pair<func::FuncOp, func::FuncOp>> duplicates;
    for (auto function : module.getOps<func::FuncOp>()) {
      if (!function.isPrivate() || function.isExternal())
        continue;
      auto [it, inserted] = first.try_emplace(bodyText(function), function);
      if (!inserted)
        duplicates.emplace_back(function, it->second);
    }
    for (auto [duplicate, kept] : duplicates) {
      if (failed(SymbolTable::replaceAllSymbolUses(duplicate, kept.getSymNameAttr(), module)))
        return signalPassFailure();
      duplicate.erase();
    }
  }
};

} // namespace
