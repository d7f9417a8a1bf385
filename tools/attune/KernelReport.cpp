// `attune build --report`: per fused attention kernel, its work, its traffic and where it
// sits on the machine's roofline.
#include "tools/attune/KernelReport.h"

#include "ir/AttuneDialect.h"

#include "llvm/Support/Format.h"

#include <algorithm>

namespace attune {

namespace {

/// "1.23 ms" / "45.6 µs" for a time in seconds.
std::string formatSeconds(double seconds) {
  std::string text;
  llvm::raw_string_ostream os(text);
  if (seconds >= 1e-3)
    os << llvm::format("%.3g ms", seconds * 1e3);
  else
    os << llvm::format("%.3g us", seconds * 1e6);
  return text;
}

/// "compute-bound, at best 10.5 us" for `flops` over `bytes` on `machine`.
std::string boundOf(double flops, double bytes, const Roofline &machine) {
  double balance = machine.peakGflops / machine.bandwidthGbs;
  double attainable = std::min(machine.peakGflops, flops / bytes * machine.bandwidthGbs);
  return std::string(flops / bytes >= balance ? "compute-bound" : "memory-bound") +
         ", at best " + formatSeconds(flops / (attainable * 1e9));
}

} // namespace

void reportKernels(mlir::ModuleOp module, const llvm::StringMap<int64_t> &bounds,
                   const Roofline &machine, llvm::raw_ostream &os) {
  int64_t longest = 1;
  for (const auto &bound : bounds)
    if (bound.first() != "batch")
      longest = std::max(longest, bound.second);
  auto sizeOf = [&](int64_t size) { return mlir::ShapedType::isDynamic(size) ? longest : size; };
  module.walk([&](AttentionOp op) {
    // Dynamic batch dims count as 1, dynamic lengths as the longest bound.
    auto q = op.getQuery().getType(), k = op.getKey().getType(), v = op.getValue().getType();
    llvm::SmallVector<int64_t> scores = op.getScoresShape();
    double heads = 1;
    for (int64_t size : llvm::ArrayRef<int64_t>(scores).drop_back(2))
      heads *= mlir::ShapedType::isDynamic(size) ? 1 : size;
    double sq = sizeOf(q.getDimSize(q.getRank() - 2)), sk = sizeOf(k.getDimSize(k.getRank() - 2));
    double d = sizeOf(q.getShape().back()), dv = sizeOf(v.getShape().back());
    double flops = 2 * heads * sq * sk * (d + dv);
    auto elements = [&](mlir::RankedTensorType type) {
      double n = 1;
      for (int64_t size : type.getShape().drop_back(2))
        n *= mlir::ShapedType::isDynamic(size) ? 1 : size;
      return n * sizeOf(type.getDimSize(type.getRank() - 2)) * sizeOf(type.getShape().back());
    };
    double bytes = 4 * (elements(q) + elements(k) + elements(v) + heads * sq * dv);
    double scoreBytes = 4 * heads * sq * sk;
    std::string where = describeLocation(op.getLoc());
    os << where << ": kernel at batch 1, Sq = " << int64_t(sq) << ", Sk = " << int64_t(sk)
       << ": " << llvm::format("%.3g", flops / 1e6) << " MFLOP, "
       << llvm::format("%.3g", bytes / 1024) << " KiB moved, "
       << llvm::format("%.1f", flops / bytes) << " FLOP/B (decomposed: the "
       << llvm::format("%.3g", scoreBytes / 1024) << " KiB score matrix on top)\n";
    // Decomposed, the scores are written, read and written back by the softmax, and read by
    // the second matmul: four passes over the matrix.
    double decomposedBytes = bytes + 4 * scoreBytes;
    os << where << ": roofline at " << llvm::format("%.4g", machine.peakGflops) << " GFLOP/s, "
       << llvm::format("%.4g", machine.bandwidthGbs) << " GB/s (balance "
       << llvm::format("%.1f", machine.peakGflops / machine.bandwidthGbs)
       << " FLOP/B): fused " << boundOf(flops, bytes, machine) << "; decomposed "
       << llvm::format("%.1f", flops / decomposedBytes) << " FLOP/B, "
       << boundOf(flops, decomposedBytes, machine) << "\n";
  });
}

std::string describeLocation(mlir::Location loc) {
  if (auto call = mlir::dyn_cast<mlir::CallSiteLoc>(loc))
    return describeLocation(call.getCallee()) + " in " + describeLocation(call.getCaller());
  if (auto file = mlir::dyn_cast<mlir::FileLineColLoc>(loc))
    return (file.getFilename().str() + ":" + std::to_string(file.getLine()) + ":" +
            std::to_string(file.getColumn()));
  std::string text;
  llvm::raw_string_ostream os(text);
  os << loc;
  return text;
}

} // namespace attune
