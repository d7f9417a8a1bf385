// `attune build --report`: per fused attention kernel and per kernel of the library, its
// work, its traffic and where it sits on the machine's roofline.
#include "tools/attune/KernelReport.h"

#include "passes/StaticSizes.h"

#include "backends/cpu/ModelInterface.h"
#include "ir/Abi.h"
#include "ir/AttuneDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Format.h"

#include <algorithm>
#include <map>
#include <set>

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

void reportAttention(mlir::ModuleOp module, const llvm::StringMap<int64_t> &bounds,
                   const Roofline &machine, llvm::raw_ostream &os) {
  int64_t longest = 1;
  for (const auto &bound : bounds)
    if (bound.first() != "batch")
      longest = std::max(longest, bound.second);
  auto sizeOf = [&](int64_t size) { return mlir::ShapedType::isDynamic(size) ? longest : size; };
  module.walk([&](AttentionOp op) {
    // A decode step's attentions are the forward's again, over the cache.
    if (op->getParentOfType<mlir::func::FuncOp>()->hasAttr(attune::abi::kStep))
      return;
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

/// The kernel lines of one entry function at `dims`, in table order; those alike (a layer's
/// kernel and the next's) summed.
static void reportEntryKernels(mlir::func::FuncOp entry, const std::vector<KernelEntry> &table,
                               const llvm::StringMap<int64_t> &dims, const std::string &sizes,
                               const Roofline &machine, llvm::raw_ostream &os) {
  StaticSizes evaluate(dims);
  struct Line {
    const KernelEntry *kernel;
    int64_t count = 0;
    double flops = 0, bytes = 0;
    bool known = true;
  };
  std::vector<Line> lines;
  std::map<std::string, size_t> lineOf;
  std::set<int64_t> ids;
  entry.walk([&](mlir::func::CallOp call) {
    if (call.getCallee() != abi::kKernelStop || call.getNumOperands() != 4)
      return;
    std::optional<int64_t> id = evaluate.valueOf(call.getOperand(1));
    if (!id || *id < 0 || *id >= int64_t(table.size()))
      return;
    ids.insert(*id);
    const KernelEntry &kernel = table[*id];
    std::string key = kernel.name + "|" + llvm::join(kernel.fused, ",") + "|" + kernel.location;
    auto [it, added] = lineOf.try_emplace(key, lines.size());
    if (added)
      lines.push_back(Line{&kernel});
    Line &line = lines[it->second];
    std::optional<int64_t> flops = evaluate.valueOf(call.getOperand(2));
    std::optional<int64_t> bytes = evaluate.valueOf(call.getOperand(3));
    line.count += 1;
    line.known &= flops.has_value() && bytes.has_value();
    line.flops += flops.value_or(0);
    line.bytes += bytes.value_or(0);
  });
  os << "entry " << entryNameOf(entry) << ": " << ids.size() << " kernels at " << sizes << "\n";
  for (const Line &line : lines) {
    const KernelEntry &kernel = *line.kernel;
    os << "kernel " << kernel.name;
    if (!kernel.fused.empty())
      os << " (" << llvm::join(kernel.fused, ", ") << ")";
    os << " at " << kernel.location << ": " << line.count << "x";
    if (!line.known) {
      os << ", sizes not known at compile time\n";
      continue;
    }
    double flops = line.flops / line.count, bytes = line.bytes / line.count;
    os << " " << llvm::format("%.4g", flops / 1e6) << " MFLOP, "
       << llvm::format("%.4g", bytes / 1024) << " KiB, "
       << llvm::format("%.3g", bytes > 0 ? flops / bytes : 0) << " FLOP/B: "
       << (flops > 0 ? boundOf(flops, bytes, machine)
                     : "moves data, at best " + formatSeconds(bytes / (machine.bandwidthGbs * 1e9)))
       << " each\n";
  }
}

void reportKernelTable(mlir::ModuleOp module, const llvm::StringMap<int64_t> &bounds,
                       const Roofline &machine, llvm::raw_ostream &os) {
  std::vector<KernelEntry> table = kernelTableOf(module);
  os << "kernels: " << table.size() << "; roofline " << llvm::format("%.4g", machine.peakGflops)
     << " GFLOP/s, " << llvm::format("%.4g", machine.bandwidthGbs) << " GB/s\n";
  bool hooked = false;
  module.walk([&](mlir::func::CallOp call) { hooked |= call.getCallee() == abi::kKernelStop; });
  if (!hooked) {
    os << "kernels: FLOPs and bytes come from the profiling hooks (built with "
          "--no-profile-hooks: none)\n";
    return;
  }
  for (auto entry : module.getOps<mlir::func::FuncOp>()) {
    if (!entry->hasAttr(abi::kEntry))
      continue;
    // Batch 1, every other dim at its bound (the sizes the attention lines above use); a
    // decode step at one new token per row over a full cache.
    std::string decoded;
    if (auto step = entry->getAttrOfType<mlir::DictionaryAttr>(abi::kStep))
      for (unsigned i = 0; i < entry.getNumArguments(); ++i) {
        auto name = entry.getArgAttrOfType<mlir::StringAttr>(i, abi::kName);
        auto names = entry.getArgAttrOfType<mlir::ArrayAttr>(i, abi::kDims);
        if (name && name == step.get("tokens") && names && names.size() == 2)
          decoded = mlir::cast<mlir::StringAttr>(names[1]).str();
      }
    llvm::StringMap<int64_t> dims;
    std::string sizes;
    for (const auto &bound : bounds) {
      int64_t size = bound.first() == "batch" || bound.first() == decoded ? 1 : bound.second;
      dims[bound.first()] = size;
      sizes += (sizes.empty() ? "" : ", ") + bound.first().str() + " = " + std::to_string(size);
    }
    reportEntryKernels(entry, table, dims, sizes.empty() ? "fixed sizes" : sizes, machine, os);
  }
}

static std::string formatBytes(int64_t bytes) {
  std::string text;
  llvm::raw_string_ostream(text) << llvm::format("%.2f MiB", double(bytes) / (1 << 20));
  return text;
}

void reportMemoryPlan(mlir::ModuleOp module, const llvm::StringMap<int64_t> &bounds,
                      llvm::raw_ostream &os) {
  std::string at;
  for (const auto &bound : bounds)
    at += (at.empty() ? "" : ", ") + bound.first().str() + " = " + std::to_string(bound.second);
  for (auto entry : module.getOps<mlir::func::FuncOp>()) {
    auto plan = entry->getAttrOfType<mlir::DictionaryAttr>(abi::kWorkspace);
    if (!plan)
      continue;
    auto number = [&](llvm::StringRef name) {
      auto value = plan.getAs<mlir::IntegerAttr>(name);
      return value ? value.getInt() : 0;
    };
    int64_t planned = number("planned"), minimum = number("minimum");
    os << "memory plan " << entryNameOf(entry) << ": " << number("buffers") << " buffers ("
       << number("in_place") << " in place of one they overwrite) in " << formatBytes(planned) << " at " << (at.empty() ? "fixed sizes" : at)
       << "; the largest set live at once " << formatBytes(minimum) << " (planned "
       << llvm::format("%.2f", minimum ? double(planned) / minimum : 1.0) << "x of it)";
    if (int64_t unplanned = number("unplanned"))
      os << "; " << unplanned << " allocations left out (allocated at run time)";
    os << "\n";
  }
}

} // namespace attune
