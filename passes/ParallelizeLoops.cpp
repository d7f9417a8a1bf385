// attune-parallelize-loops: the linalg ops left on buffers at the top level of a function
// (gathers, transposes, elementwise ops that no vector kernel took: RoPE's rotation, SwiGLU's
// product, relative-position buckets, ...) become task loops on the runtime's thread pool.
//
// The op's leading parallel loops, all but its innermost loop (which stays whole, so LLVM
// vectorizes it), split into tasks of about `task-size` iterations: each task is one index of the
// outer split loops and a run of `chunk` indices of the last one:
//
//   linalg.generic (d0, d1, d2) over [D0, D1, D2]
//     -> chunk = max(1, task-size / D2); per = ceil(D1 / chunk)
//        scf.parallel %t = 0 to D0 · per {attune.tasks}
//          linalg.generic on the subviews at (t / per, (t % per) · chunk, 0)
//                                   of sizes (1, min(chunk, D1 - (t % per) · chunk), D2)
//
// Every output element is computed by one task exactly as before, so results do not depend on
// the thread count. An op whose iterations are known to be fewer than task-size stays as it is;
// at run time an op of one task runs on the calling thread (attune_parallel_for).
#include "passes/KernelBuilder.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Utils/Utils.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

namespace attune {
#define GEN_PASS_DEF_ATTUNEPARALLELIZELOOPSPASS
#include "passes/Passes.h.inc"
} // namespace attune

using namespace mlir;

namespace {

/// Whether every output of `op` is indexed by each of loops [0, count): tasks that split
/// those loops then write disjoint parts of every output.
bool outputsSplitBy(linalg::LinalgOp op, unsigned count) {
  for (OpOperand &init : op.getDpsInitsMutable()) {
    AffineMap map = op.getMatchingIndexingMap(&init);
    for (unsigned loop = 0; loop < count; ++loop)
      if (!llvm::any_of(map.getResults(), [&](AffineExpr result) {
            auto dim = dyn_cast<AffineDimExpr>(result);
            return dim && dim.getPosition() == loop;
          }))
        return false;
  }
  return true;
}

/// Loops split into tasks: the leading parallel ones, but not the innermost loop.
unsigned splitLoops(linalg::LinalgOp op) {
  unsigned loops = op.getNumLoops();
  unsigned split = 0;
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  while (split < loops && linalg::isParallelIterator(iterators[split]))
    ++split;
  split = std::min(split, loops > 1 ? loops - 1 : loops);
  while (split > 0 && !outputsSplitBy(op, split))
    --split;
  return split;
}

class LoopSplitter : attune::KernelBuilder {
public:
  LoopSplitter(OpBuilder &b, linalg::LinalgOp op, int64_t taskSize)
      : KernelBuilder(b, op.getLoc(), /*lanes=*/1), op(op), taskSize(taskSize) {}

  void run(unsigned split) {
    SmallVector<Range> ranges = op.createLoopRanges(b, loc);
    SmallVector<OpFoldResult> bounds;
    for (Range &range : ranges)
      bounds.push_back(range.size);
    SmallVector<Value> sizes;
    for (OpFoldResult bound : bounds)
      sizes.push_back(getValueOrCreateConstantIndexOp(b, loc, bound));

    // Iterations of one index of the last split loop.
    Value inner = index(1);
    for (unsigned loop = split; loop < sizes.size(); ++loop)
      inner = mul(inner, sizes[loop]);
    Value chunk = b.create<arith::MaxUIOp>(
        loc, index(1),
        b.create<arith::DivUIOp>(loc, index(taskSize),
                                 b.create<arith::MaxUIOp>(loc, inner, index(1))));
    Value perRow = ceilDiv(sizes[split - 1], chunk);
    Value tasks = perRow;
    for (unsigned loop = 0; loop + 1 < split; ++loop)
      tasks = mul(tasks, sizes[loop]);

    this->tasks(tasks, [&](Value task) { emitTask(task, split, sizes, bounds, chunk, perRow); });
    op->erase();
  }

private:
  /// The op on the part of the iteration space task `task` covers.
  void emitTask(Value task, unsigned split, ArrayRef<Value> sizes, ArrayRef<OpFoldResult> bounds,
                Value chunk, Value perRow) {
    SmallVector<OpFoldResult> offsets(sizes.size(), b.getIndexAttr(0));
    SmallVector<OpFoldResult> tileSizes(sizes.size(), b.getIndexAttr(0));
    Value row = b.create<arith::DivUIOp>(loc, task, perRow);
    Value start = mul(b.create<arith::RemUIOp>(loc, task, perRow), chunk);
    offsets[split - 1] = start;
    tileSizes[split - 1] =
        b.create<arith::MinUIOp>(loc, chunk, sub(sizes[split - 1], start)).getResult();
    // The outer split loops, row-major over `row`.
    for (int loop = static_cast<int>(split) - 2; loop >= 0; --loop) {
      offsets[loop] = loop == 0 ? row : b.create<arith::RemUIOp>(loc, row, sizes[loop]).getResult();
      if (loop > 0)
        row = b.create<arith::DivUIOp>(loc, row, sizes[loop]);
      tileSizes[loop] = b.getIndexAttr(1);
    }
    SmallVector<OpFoldResult> ivs(offsets.begin(), offsets.begin() + split);
    SmallVector<Value> operands = linalg::makeTiledShapes(
        b, loc, op, op->getOperands(), ivs, tileSizes, bounds, /*omitPartialTileCheck=*/true);
    auto tiled = cast<linalg::LinalgOp>(clone(b, op, TypeRange{}, operands));
    linalg::offsetIndices(b, tiled, offsets);
  }

  linalg::LinalgOp op;
  int64_t taskSize;
};

/// Iterations per task (the task-size option, 16384 by default): ~16K elements of a
/// memory-bound loop are ~10 µs of work, well above the pool's cost of handing out a task, and
/// leave tens of tasks in a prefill-sized op.
struct ParallelizeLoopsPass
    : attune::impl::AttuneParallelizeLoopsPassBase<ParallelizeLoopsPass> {
  using AttuneParallelizeLoopsPassBase::AttuneParallelizeLoopsPassBase;

  void runOnOperation() override {
    SmallVector<linalg::LinalgOp> candidates;
    for (Operation &op : getOperation().getBody().getOps())
      if (auto linalgOp = dyn_cast<linalg::LinalgOp>(op);
          linalgOp && linalgOp.hasPureBufferSemantics() && linalgOp.getNumDpsInits() > 0)
        candidates.push_back(linalgOp);
    for (linalg::LinalgOp op : candidates) {
      unsigned split = splitLoops(op);
      if (split == 0)
        continue;
      if (std::optional<int64_t> iterations = staticIterations(op); iterations && *iterations < taskSize)
        continue;
      OpBuilder b(op);
      LoopSplitter(b, op, taskSize).run(split);
    }
  }

  /// The op's iteration count where every loop's size is static.
  static std::optional<int64_t> staticIterations(linalg::LinalgOp op) {
    int64_t count = 1;
    for (int64_t size : op.getStaticLoopRanges()) {
      if (ShapedType::isDynamic(size))
        return std::nullopt;
      count *= size;
    }
    return count;
  }
};

} // namespace
