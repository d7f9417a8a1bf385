// Builders of linalg-on-tensors code shared by the lowering patterns: elementwise maps with
// numpy broadcasting, reductions along an axis, and tensors sized from operands' dims.
#ifndef ATTUNE_PASSES_LINALGBUILDERS_H
#define ATTUNE_PASSES_LINALGBUILDERS_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/Builders.h"

namespace attune {

using BodyBuilder =
    llvm::function_ref<mlir::Value(mlir::OpBuilder &, mlir::Location, mlir::ValueRange)>;

mlir::RankedTensorType tensorOf(mlir::Value value);
mlir::Value floatConstant(mlir::OpBuilder &b, mlir::Location loc, mlir::Type type, double value);

/// tensor.empty of `type`, with dynamic dim i sized by sizeOf(i).
mlir::Value emptyTensor(mlir::OpBuilder &b, mlir::Location loc, mlir::RankedTensorType type,
                        llvm::function_ref<mlir::Value(int64_t)> sizeOf);
mlir::Value filledTensor(mlir::OpBuilder &b, mlir::Location loc, mlir::RankedTensorType type,
                         mlir::Value fill, llvm::function_ref<mlir::Value(int64_t)> sizeOf);

/// The map reading an operand of `operandShape` (aligned right) inside a loop nest over
/// `resultShape`, with `firstDim` the loop of the operand's leftmost aligned dim; a static 1
/// that stretches reads index 0.
mlir::AffineMap broadcastMap(mlir::MLIRContext *ctx, llvm::ArrayRef<int64_t> operandShape,
                             llvm::ArrayRef<int64_t> resultShape, unsigned numLoops,
                             unsigned firstDim);

/// The size of dim `dim` of a broadcast result, read from an operand that has it dynamic.
mlir::Value broadcastDimSize(mlir::OpBuilder &b, mlir::Location loc, mlir::ValueRange operands,
                             int64_t resultRank, int64_t dim);

/// An elementwise linalg.generic over `resultType` reading `operands` with broadcasting.
mlir::Value buildElementwise(mlir::OpBuilder &b, mlir::Location loc,
                             mlir::RankedTensorType resultType, mlir::ValueRange operands,
                             BodyBuilder body);

/// Reduces `input` along `axis` with `combine(element, pre..., accumulator)` from `init`.
mlir::Value buildReduction(mlir::OpBuilder &b, mlir::Location loc, mlir::Value input,
                           int64_t axis, mlir::Value init, mlir::ValueRange pre,
                           BodyBuilder combine);

/// Applies `body` to (input, reduced operands..., axis operands...) elementwise; reduced
/// operands lack `axis`, axis operands have only it.
mlir::Value buildAlongAxis(mlir::OpBuilder &b, mlir::Location loc, mlir::Value input,
                           int64_t axis, mlir::ValueRange reducedOperands,
                           mlir::ValueRange axisOperands, BodyBuilder body);

/// The size of dim `axis` of `value` as a float scalar.
mlir::Value dimAsFloat(mlir::OpBuilder &b, mlir::Location loc, mlir::Value value, int64_t axis,
                       mlir::Type floatType);

} // namespace attune

#endif // ATTUNE_PASSES_LINALGBUILDERS_H
