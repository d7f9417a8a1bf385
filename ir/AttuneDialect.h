// The attune dialect: include this to use its ops (see AttuneOps.td for their definitions).
#ifndef ATTUNE_IR_ATTUNEDIALECT_H
#define ATTUNE_IR_ATTUNEDIALECT_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "ir/AttuneDialect.h.inc"

#define GET_OP_CLASSES
#include "ir/AttuneOps.h.inc"

namespace attune {

/// The numpy broadcast of two shapes (aligned on the right; a static 1 stretches). A dynamic
/// dim never stretches: it must equal the other side at run time. Returns false when two
/// static sizes disagree.
bool broadcastShapes(llvm::ArrayRef<int64_t> lhs, llvm::ArrayRef<int64_t> rhs,
                     llvm::SmallVectorImpl<int64_t> &result);

/// An attune.transpose of `value` that swaps its last two dims.
mlir::Value transposeLastTwo(mlir::OpBuilder &b, mlir::Location loc, mlir::Value value);

} // namespace attune

#endif // ATTUNE_IR_ATTUNEDIALECT_H
