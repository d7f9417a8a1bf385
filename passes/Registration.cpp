// Registers every dialect, extension, pass and pipeline the compiler and attune-opt use.
// This is the one file that includes MLIR's "register everything" headers (~30 s to compile);
// keep other files to the narrow headers they need.
#include "ir/AttuneDialect.h"
#include "passes/Passes.h"

#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"

void attune::registerAttuneDialects(mlir::DialectRegistry &registry) {
  registry.insert<AttuneDialect>();
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  mlir::registerBuiltinDialectTranslation(registry);
  mlir::registerLLVMDialectTranslation(registry);
}

void attune::registerAttunePassesAndPipelines() {
  mlir::registerAllPasses();
  registerAttunePasses();
  mlir::PassPipelineRegistration<>(
      "attune-cpu-lowering", "Lowers an attune graph module to the LLVM dialect for CPUs",
      [](mlir::OpPassManager &pm) { buildCpuLoweringPipeline(pm); });
}
