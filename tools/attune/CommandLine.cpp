// See CommandLine.h.
#include "tools/attune/CommandLine.h"

#include "attune/runtime.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/raw_ostream.h"

namespace attune {

bool parseCommandLine(int argc, char **argv, llvm::StringRef overview) {
  return llvm::cl::ParseCommandLineOptions(argc, argv, overview, &llvm::errs());
}

bool checkThreadCount(int threads, llvm::StringRef flag, bool zeroMeansDefault) {
  if ((threads >= 1 || (zeroMeansDefault && threads == 0)) && threads <= ATTUNE_MAX_THREADS)
    return true;
  llvm::errs() << "attune: --" << flag << " must be in [" << (zeroMeansDefault ? 0 : 1) << ", "
               << ATTUNE_MAX_THREADS << "]" << (zeroMeansDefault ? " (0: the pool's)" : "")
               << ", got " << threads << "\n";
  return false;
}

} // namespace attune
