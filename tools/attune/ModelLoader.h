// Loads a model for the driver: a .tfm description (parsed with the prelude and elaborated
// with its config.json) or a .mlir graph module, into the `graph` stage.
#ifndef ATTUNE_TOOLS_ATTUNE_MODELLOADER_H
#define ATTUNE_TOOLS_ATTUNE_MODELLOADER_H

#include "frontend/AST.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/SourceMgr.h"

#include <optional>
#include <string>

namespace attune {

struct LoadRequest {
  std::string path;
  std::string configPath;  // empty: none (or config.json beside the weights, see below)
  std::string weightsPath; // used only to find a config.json beside the weights
  std::string modelName;
  std::optional<int64_t> maxBatch, maxSeq; // --max-batch, --max-seq
};

struct LoadedModel {
  mlir::OwningOpRef<mlir::ModuleOp> module;
  std::string name;
  /// The bound of every symbolic dim of the model's inputs and outputs.
  llvm::StringMap<int64_t> bounds;
  std::string configUsed;
};

/// Parses only (for --emit=ast): prints the AST of the description itself, not the prelude.
bool printAst(const std::string &path, llvm::raw_ostream &os);

/// Loads the model into `context`. Errors are printed to stderr; returns nullopt on failure.
std::optional<LoadedModel> loadModel(const LoadRequest &request, mlir::MLIRContext &context);

} // namespace attune

#endif // ATTUNE_TOOLS_ATTUNE_MODELLOADER_H
