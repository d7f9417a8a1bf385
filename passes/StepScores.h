// Part of attune-derive-decode-step: the mask or bias of a cached attention, which the forward
// computes from token positions for every (query, key) pair, rebuilt for a decode step.
#ifndef ATTUNE_PASSES_STEPSCORES_H
#define ATTUNE_PASSES_STEPSCORES_H

#include "ir/AttuneDialect.h"

#include "mlir/IR/Builders.h"

#include <string>

namespace attune {

/// The function arguments (inputs) `value` is computed from as data, in the order found;
/// sizes read with tensor.dim do not count (a cross-attention's keys reshaped with the token
/// batch's size do not read the tokens).
llvm::SmallVector<mlir::BlockArgument> argumentsRead(mlir::Value value);

/// Rebuilds `operand` (the mask or bias of `attention`, [..., Sq, Sk] after broadcasting) for
/// a step whose queries sit at `positions` ([batch, seq]: each row's own) and whose keys are
/// the cache's positions 0 .. `keys` - 1. Every token-position iota (`isTokenPositions`) the
/// operand is computed from is replaced by the query or the key positions, as the score axis
/// it ends up on says; what it computes in between gets a batch dim where query positions
/// flow. The result broadcasts to the step's scores ([batch, ..., seq, keys]). Fails, saying
/// why in `whyNot`, on an op it cannot rebuild or an iota that is neither axis.
mlir::FailureOr<mlir::Value>
rebuildScoresOperand(mlir::OpBuilder &b, AttentionOp attention, mlir::Value operand,
                     llvm::function_ref<bool(IotaOp)> isTokenPositions, mlir::Value positions,
                     mlir::Value keys, std::string &whyNot);

} // namespace attune

#endif // ATTUNE_PASSES_STEPSCORES_H
