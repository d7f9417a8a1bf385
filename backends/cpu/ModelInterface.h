// The interface of a compiled model as the runtime and the C header see it: its entry points,
// each with its arguments in call order (inputs, weights, outputs), their dtypes and (possibly
// symbolic) dims, and the bounds of the symbolic dims. Read from the entry functions after
// attune-lower-entry.
#ifndef ATTUNE_BACKENDS_CPU_MODELINTERFACE_H
#define ATTUNE_BACKENDS_CPU_MODELINTERFACE_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/StringMap.h"

#include <optional>
#include <string>
#include <vector>

namespace attune {

struct InterfaceArg {
  std::string name;
  std::string role;  // "input", "weight", "output" or "state"
  std::string dtype; // "f32", "i32", "i64"
  /// One entry per dim: a decimal size, or the name of a symbolic dim ("batch"). A packed
  /// weight lists the shape stored in the weights file.
  std::vector<std::string> dims;
  /// Packed weights (attune.packed): columns per panel, and whether the file stores [N, K].
  int64_t panelWidth = 0;
  bool transposed = false;
  /// What the panels hold: "f32", "bf16" (the weight rounded), "bf16x2" (rounded, in k pairs:
  /// [P, K/2, width, 2]) or "i8" (quantized; the manifest's panels line ends with it unless
  /// f32).
  std::string panelDtype = "f32";
  /// The [P·width] f32 column scales of a weight packed into i8 panels (`scales WIDTH ORDER`
  /// in the manifest), not the panels.
  bool scales = false;
  /// Integer inputs of token ids (attune.values): the values allowed, [lo, hi).
  std::optional<std::pair<int64_t, int64_t>> values;
  /// Where the description asks for it ("prelude:11:29 in models/gpt2.tfm:27:19" for a
  /// weight); empty when unknown.
  std::string location;
};

struct EntryInterface {
  std::string name;     // "forward", "encode", ...
  std::string function; // the func.func the runtime calls through NAME_entry
  std::vector<InterfaceArg> args;
  /// A KV-cached step (abi::kStep): the entry it steps and its token input; else empty.
  std::string stepOf, stepTokens;
  /// A step's context entry (abi::kContextOf): the entry whose step it serves; else empty.
  std::string contextOf;
  /// The memory plan (abi::kWorkspace), once attune-plan-memory has run: the entry takes the
  /// workspace as one more argument after `args`, and `workspaceFunction` computes its bytes
  /// from the values of `workspaceDims`.
  struct Workspace {
    std::string function;
    std::vector<std::string> dims;
    int64_t planned = 0, minimum = 0, buffers = 0, unplanned = 0;
  };
  std::optional<Workspace> workspace;
};

/// One kernel of the kernel table (attune-instrument-kernels): its id is its index.
struct KernelEntry {
  std::string name;               // "matmul k768 n3072"
  std::vector<std::string> fused; // "bias", "gelu_tanh"
  std::string location;           // where the description asked for it
};

struct ModelInterface {
  std::string modelName;
  std::vector<std::pair<std::string, int64_t>> symbols; // symbolic dims and their bounds
  std::vector<EntryInterface> entries;                  // in module order: NAME_entry's index
  std::vector<KernelEntry> kernels;                     // the kernel table, by id

  /// The text embedded as NAME_manifest (format documented in runtime/src/model.c).
  std::string manifest() const;
  /// The self-contained C header NAME.h.
  std::string header(llvm::StringRef sourceName) const;
};

/// Reads the interface of every entry function of `module` (`attune.entry`, already through
/// attune-lower-entry). Every dynamic dim must be named by `attune.dims` and every name must
/// have a bound in `bounds`; errors are emitted on the functions.
mlir::FailureOr<ModelInterface> describeModel(mlir::ModuleOp module, llvm::StringRef modelName,
                                              const llvm::StringMap<int64_t> &bounds);

/// Adds each entry's memory plan (abi::kWorkspace, set by attune-plan-memory) to `interface`.
mlir::LogicalResult addWorkspaces(mlir::ModuleOp module, ModelInterface &interface);

/// The module's kernel table (abi::kKernels, set by attune-instrument-kernels); empty if the
/// module has none.
std::vector<KernelEntry> kernelTableOf(mlir::ModuleOp module);

/// The entry point name of an entry function: its `attune.entry` string, or "forward".
std::string entryNameOf(mlir::func::FuncOp function);

} // namespace attune

#endif // ATTUNE_BACKENDS_CPU_MODELINTERFACE_H
