// `attune build --report`: per fused attention kernel, its work, its traffic and where it
// sits on the machine's roofline.
#ifndef ATTUNE_TOOLS_ATTUNE_KERNELREPORT_H
#define ATTUNE_TOOLS_ATTUNE_KERNELREPORT_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/raw_ostream.h"

#include <string>

namespace attune {

/// The machine the roofline is drawn for: FMA peak and memory bandwidth (measure them with
/// build/bench/attune-fma-peak and bench/attention.sh, or take a vendor's figures).
struct Roofline {
  double peakGflops = 100;
  double bandwidthGbs = 20;
};

/// Two lines per attune.attention: FLOPs, bytes moved and intensity at batch 1 and the longest
/// sequence the library accepts (`bounds`); then the bound the roofline puts on it, fused and
/// decomposed.
void reportKernels(mlir::ModuleOp module, const llvm::StringMap<int64_t> &bounds,
                   const Roofline &machine, llvm::raw_ostream &os);

/// "prelude:52:12 in models/gpt2.tfm:22:9": a location with the call sites that led to it.
std::string describeLocation(mlir::Location loc);

} // namespace attune

#endif // ATTUNE_TOOLS_ATTUNE_KERNELREPORT_H
