// attune-insert-prefetches: a vector.load marked `attune.prefetch = [offsets...]` gets a
// memref.prefetch of the same memref at its indices plus the offsets, just before it. Kernels
// mark the loads of a stream the hardware prefetcher loses at page boundaries (the matmul's
// weight panels); the prefetches are inserted after buffer deallocation, which rejects ops
// without declared memory effects. A prefetch past the end of the buffer is harmless on x86:
// it never faults.
#include "passes/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/Builders.h"

namespace attune {
#define GEN_PASS_DEF_ATTUNEINSERTPREFETCHESPASS
#include "passes/Passes.h.inc"
} // namespace attune

using namespace mlir;

namespace {

struct InsertPrefetchesPass
    : attune::impl::AttuneInsertPrefetchesPassBase<InsertPrefetchesPass> {
  void runOnOperation() override {
    getOperation().walk([](vector::LoadOp load) {
      auto offsets = load->getAttrOfType<ArrayAttr>(attune::kPrefetchAttr);
      if (!offsets)
        return;
      load->removeAttr(attune::kPrefetchAttr);
      if (offsets.size() != load.getIndices().size())
        return;
      OpBuilder b(load);
      SmallVector<Value> indices;
      for (auto [index, offset] : llvm::zip(load.getIndices(), offsets)) {
        int64_t ahead = cast<IntegerAttr>(offset).getInt();
        indices.push_back(
            ahead ? b.create<arith::AddIOp>(load.getLoc(), index,
                                            b.create<arith::ConstantIndexOp>(load.getLoc(), ahead))
                  : index);
      }
      b.create<memref::PrefetchOp>(load.getLoc(), load.getBase(), indices, /*isWrite=*/false,
                                   /*localityHint=*/3, /*isDataCache=*/true);
    });
  }
};

} // namespace
