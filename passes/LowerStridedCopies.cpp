// attune-lower-strided-copies: memref.copy where either side is not a dense row-major buffer
// becomes linalg.copy (loops), since MLIR would lower it to a call of its runtime's
// memrefCopy, which generated libraries do not link. See Passes.td.
#include "passes/Passes.h"

namespace attune {
#define GEN_PASS_DEF_ATTUNELOWERSTRIDEDCOPIESPASS
#include "passes/Passes.h.inc"
} // namespace attune

using namespace mlir;

namespace {

bool isDense(Type type) {
  auto memref = dyn_cast<MemRefType>(type);
  return memref && memref.getLayout().isIdentity();
}

struct LowerStridedCopiesPass
    : attune::impl::AttuneLowerStridedCopiesPassBase<LowerStridedCopiesPass> {
  void runOnOperation() override {
    getOperation().walk([](memref::CopyOp copy) {
      if (isDense(copy.getSource().getType()) && isDense(copy.getTarget().getType()))
        return;
      OpBuilder b(copy);
      b.create<linalg::CopyOp>(copy.getLoc(), copy.getSource(), copy.getTarget());
      copy.erase();
    });
  }
};

} // namespace
