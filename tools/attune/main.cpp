// attune: the compiler driver. `attune build` compiles a model description into a shared
// library; `run`, `generate` and `compare` load and check built libraries.
#include "tools/attune/Commands.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/raw_ostream.h"

static void printUsage(llvm::raw_ostream &os) {
  os << "usage: attune <command> [options]   (attune <command> --help for each)\n\n"
        "commands:\n"
        "  build     compile a model description (.tfm) or graph (.mlir) into libNAME.so + NAME.h\n"
        "  run       run a built library on input tensors; print outputs and wall time\n"
        "  generate  greedy decoding with a built causal LM\n"
        "  compare   compare tensors of two safetensors files (max |a-b| / max |b|)\n"
        "  random-weights  write seeded random weights for a model description\n";
}

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  if (argc < 2) {
    printUsage(llvm::errs());
    return 2;
  }
  llvm::StringRef command = argv[1];
  if (command == "--help" || command == "-h" || command == "help") {
    printUsage(llvm::outs());
    return 0;
  }
  // Each command parses the remaining arguments itself, named "attune <command>".
  std::string name = std::string("attune ") + argv[1];
  argv[1] = name.data();
  if (command == "build")
    return attune::buildCommand(argc - 1, argv + 1);
  if (command == "run")
    return attune::runCommand(argc - 1, argv + 1);
  if (command == "generate")
    return attune::generateCommand(argc - 1, argv + 1);
  if (command == "compare")
    return attune::compareCommand(argc - 1, argv + 1);
  if (command == "random-weights")
    return attune::randomWeightsCommand(argc - 1, argv + 1);
  llvm::errs() << "attune: unknown command '" << command << "'\n";
  printUsage(llvm::errs());
  return 2;
}
