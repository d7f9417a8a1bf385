// attune-opt: runs any attune or upstream pass or pipeline on a .mlir file (MlirOptMain), so a
// researcher can stop the compiler at any stage, edit the IR, and replay the rest.
#include "passes/Passes.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  attune::registerAttuneDialects(registry);
  attune::registerAttunePassesAndPipelines();
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "attune optimizer driver\n", registry));
}
