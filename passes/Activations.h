// The activation functions, defined once for every lowering that applies them: the
// elementwise ops (attune.gelu, relu, silu) and the matmul kernel's fused epilogue.
#ifndef ATTUNE_PASSES_ACTIVATIONS_H
#define ATTUNE_PASSES_ACTIVATIONS_H

#include "mlir/IR/Builders.h"

namespace attune {

/// `value` as a constant of `type` (a float, or a vector of them as a splat).
mlir::Value constantLike(mlir::OpBuilder &b, mlir::Location loc, mlir::Type type, double value);

/// Whether `kind` names an activation buildActivation knows.
bool isActivation(llvm::StringRef kind);

/// `kind` ("gelu_tanh", "gelu_erf", "relu", "silu") applied to `x`, an f32 scalar or vector.
mlir::Value buildActivation(mlir::OpBuilder &b, mlir::Location loc, llvm::StringRef kind,
                            mlir::Value x);

} // namespace attune

#endif // ATTUNE_PASSES_ACTIVATIONS_H
