// attune-lower-bf16-dot: attune.bf16_dot as a call of AVX512_BF16's vdpbf16ps intrinsic.
// MLIR 19's x86vector dialect has no bf16 dot product, so the kernels emit the attune op (pure,
// which buffer deallocation accepts) and this pass, run after deallocation, makes it the
// intrinsic call the LLVM backend selects the instruction from.
#include "ir/AttuneDialect.h"
#include "passes/Passes.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/Builders.h"

namespace attune {
#define GEN_PASS_DEF_ATTUNELOWERBF16DOTPASS
#include "passes/Passes.h.inc"
} // namespace attune

using namespace mlir;

namespace {

struct LowerBf16DotPass : attune::impl::AttuneLowerBf16DotPassBase<LowerBf16DotPass> {
  void runOnOperation() override {
    getOperation().walk([](attune::Bf16DotOp dot) {
      // The op's verifier allows 8 or 16 sums: the 256- and 512-bit instructions.
      StringRef intrinsic = dot.getAcc().getType().getNumElements() == 16
                                ? "llvm.x86.avx512bf16.dpbf16ps.512"
                                : "llvm.x86.avx512bf16.dpbf16ps.256";
      OpBuilder b(dot);
      auto call = b.create<LLVM::CallIntrinsicOp>(dot.getLoc(), dot.getType(), intrinsic,
                                                  dot->getOperands());
      dot.replaceAllUsesWith(call.getResult(0));
      dot.erase();
    });
  }
};

} // namespace
