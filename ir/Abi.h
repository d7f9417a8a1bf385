// Names of the attributes that make up a compiled model's ABI: set on entry-function
// arguments by attune-lower-entry and attune-pack-weights, read by the model interface
// (backends/cpu/ModelInterface.cpp) and rendered into the runtime manifest.
#ifndef ATTUNE_IR_ABI_H
#define ATTUNE_IR_ABI_H

#include "llvm/ADT/StringRef.h"

namespace attune::abi {

/// On a func.func: it is an entry point of the model; its value (a string) names it, else
/// it is "forward".
constexpr llvm::StringLiteral kEntry = "attune.entry";

/// The tensor's name (Hugging Face naming for weights) and its role: "input", "weight" or
/// "output".
constexpr llvm::StringLiteral kName = "attune.name";
constexpr llvm::StringLiteral kRole = "attune.role";
/// Names of the argument's dynamic dims, in order ("batch", "seq").
constexpr llvm::StringLiteral kDims = "attune.dims";
/// On a weight argument the runtime packs at open time: `{shape = [K, N] or [N, K] (as
/// stored in the file), transposed}`; the argument's own type is the [P, K, width] panels of
/// attune.packed_matmul. `transposed` means the file stores [N, K] (torch's nn.Linear).
constexpr llvm::StringLiteral kPacked = "attune.packed";

} // namespace attune::abi

#endif // ATTUNE_IR_ABI_H
