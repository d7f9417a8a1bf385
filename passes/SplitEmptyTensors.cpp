// attune-split-empty-tensors: each use of a tensor.empty but the first gets its own copy of
// the op, placed just before the user, so that one-shot bufferization gives every destination
// its own allocation and the memory plan sees each buffer's real lifetime (Passes.td).
#include "passes/Passes.h"

#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"

namespace attune {
#define GEN_PASS_DEF_ATTUNESPLITEMPTYTENSORSPASS
#include "passes/Passes.h.inc"
} // namespace attune

using namespace mlir;

namespace {

struct SplitEmptyTensorsPass
    : attune::impl::AttuneSplitEmptyTensorsPassBase<SplitEmptyTensorsPass> {
  void runOnOperation() override {
    SmallVector<tensor::EmptyOp> shared;
    DenseMap<Operation *, unsigned> order;
    getOperation().walk<WalkOrder::PreOrder>([&](Operation *op) {
      order[op] = order.size();
      auto empty = dyn_cast<tensor::EmptyOp>(op);
      if (empty && !empty->hasOneUse() && !empty->use_empty())
        shared.push_back(empty);
    });
    for (tensor::EmptyOp empty : shared) {
      // Uses in program order (a use list is not), the first keeping the original.
      SmallVector<OpOperand *> uses =
          llvm::map_to_vector(empty->getUses(), [](OpOperand &use) { return &use; });
      llvm::sort(uses, [&](OpOperand *a, OpOperand *b) {
        return std::make_pair(order.lookup(a->getOwner()), a->getOperandNumber()) <
               std::make_pair(order.lookup(b->getOwner()), b->getOperandNumber());
      });
      for (OpOperand *use : llvm::drop_begin(uses)) {
        OpBuilder builder(use->getOwner());
        use->set(builder.clone(*empty)->getResult(0));
      }
    }
  }
};

} // namespace
