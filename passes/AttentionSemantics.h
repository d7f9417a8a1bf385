// The one definition of which keys an attune.attention query sees, shared by every lowering
// of the op (the decomposition, the online-softmax loop nest and the vector kernel) so that
// their masks cannot drift apart.
#ifndef ATTUNE_PASSES_ATTENTIONSEMANTICS_H
#define ATTUNE_PASSES_ATTENTIONSEMANTICS_H

#include "mlir/IR/Builders.h"

namespace attune {

/// The position among its keys of query `query` (an index) of batch row `row`: the query's
/// index plus the row's entry of `offsets` (the op's query_offsets as a tensor or memref of
/// i32), or the index itself when `offsets` is null. Under `causal`, key j is visible to the
/// query exactly when j <= this position (attentionKeyVisible).
mlir::Value attentionQueryPosition(mlir::OpBuilder &b, mlir::Location loc, mlir::Value offsets,
                                   mlir::Value row, mlir::Value query);

/// The row's query offset as an index (0 without `offsets`).
mlir::Value attentionQueryOffset(mlir::OpBuilder &b, mlir::Location loc, mlir::Value offsets,
                                 mlir::Value row);

/// Whether key `key` is causally visible from query position `position` (both index):
/// key <= position, an i1.
mlir::Value attentionKeyVisible(mlir::OpBuilder &b, mlir::Location loc, mlir::Value key,
                                mlir::Value position);

} // namespace attune

#endif // ATTUNE_PASSES_ATTENTIONSEMANTICS_H
