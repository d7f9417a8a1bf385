// Elaboration: runs a parsed model description (hyperparameters, loops, function calls, weight
// bindings) and emits the `graph` stage, a module with one attune entry function.
#ifndef ATTUNE_FRONTEND_ELABORATOR_H
#define ATTUNE_FRONTEND_ELABORATOR_H

#include "frontend/AST.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/JSON.h"

#include <optional>

namespace attune {

struct ElaborateOptions {
  /// Parsed config.json, when given: `config.KEY` reads from it.
  const llvm::json::Object *config = nullptr;
  std::string configPath;
  /// Which model of the program to elaborate (empty: the only one).
  std::string modelName;
  /// Bounds of the symbolic dims: `batch` gets maxBatch, every other dim maxSeq (by default the
  /// bound the description declares, `seq <= ctx`, else 512). A flag above a declared bound is
  /// an error.
  std::optional<int64_t> maxBatch, maxSeq;
};

struct ElaboratedModel {
  mlir::OwningOpRef<mlir::ModuleOp> module;
  std::string name;
  /// The bound of every symbolic dim, as resolved from the options and the description.
  llvm::StringMap<int64_t> bounds;
};

/// The bound of symbolic dim `symbol`: the flag that applies to it (--max-batch for `batch`,
/// --max-seq for the others), else what the description declares, else 8 for batch and 512.
int64_t boundOf(llvm::StringRef symbol, const ElaborateOptions &options,
                std::optional<int64_t> declared);

/// Elaborates the model into a module holding func.func @forward {attune.entry}. Errors are
/// printed through `sources` at file:line:col; returns nullopt after the first one.
std::optional<ElaboratedModel> elaborate(const ast::Program &program, llvm::SourceMgr &sources,
                                         mlir::MLIRContext &context,
                                         const ElaborateOptions &options);

} // namespace attune

#endif // ATTUNE_FRONTEND_ELABORATOR_H
