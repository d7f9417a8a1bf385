// `attune build --report`: per fused attention kernel and per kernel of the library, its
// work, its traffic and where it sits on the machine's roofline.
#ifndef ATTUNE_TOOLS_ATTUNE_KERNELREPORT_H
#define ATTUNE_TOOLS_ATTUNE_KERNELREPORT_H

#include "ir/Locations.h"
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
void reportAttention(mlir::ModuleOp module, const llvm::StringMap<int64_t> &bounds,
                     const Roofline &machine, llvm::raw_ostream &os);

/// After the `tiled` stage: every kernel of the kernel table (attune-instrument-kernels),
/// those with the same name, fused ops and location on one line, with FLOPs, bytes and
/// intensity at batch 1 and the longest bound of every other dim (the sizes the profiling
/// hooks compute, evaluated here), and the bound the roofline puts on it.
void reportKernelTable(mlir::ModuleOp module, const llvm::StringMap<int64_t> &bounds,
                       const Roofline &machine, llvm::raw_ostream &os);

/// After the `tiled` stage: each entry's memory plan (attune-plan-memory) at the bounds: its
/// buffers, the workspace bytes planned and the largest sum of bytes live at once.
void reportMemoryPlan(mlir::ModuleOp module, const llvm::StringMap<int64_t> &bounds,
                      llvm::raw_ostream &os);

} // namespace attune

#endif // ATTUNE_TOOLS_ATTUNE_KERNELREPORT_H
