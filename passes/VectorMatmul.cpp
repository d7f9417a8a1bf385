// attune-lower-matmul: attune.packed_matmul as a call of a matmul kernel, register tiles of
// vector FMAs on buffers, parallel over tasks of M × N blocks. Products of one shape share one
// kernel function (a model's layers call the same few), which keeps code size and build time
// independent of the depth.
//
// The weight is packed in column panels of `width` = vectors · lanes columns (PackWeights.cpp,
// filled by the runtime), so one k step of a register tile reads `vectors` contiguous vectors
// of a panel and broadcasts one element of A per row. A and C come as dense [rows, columns]
// buffers (the lhs's leading dims flattened: batch · seq rows):
//
//   task (block of MB rows at m0, block of NB panels at p0; tasks in panel-major order):
//     for K block [k0, k1) (a tile's rows of A for it fill at most half the L1):
//       for row tile of R rows, then of R - 1 (rows = a·R + b·(R - 1) where that fits; then,
//       per panel, tiles of R/2, R/4, ... rows for the rest):
//         [copy A[m .. m + R][k0 .. k1) to a scratch tile, rows an odd number of lines
//          apart, where A's rows would share too few L1 sets (see copiesRows)]
//         for panel p in the block (its K block streams from L2, prefetched ahead):
//           acc[r][v] = k0 == 0 ? 0 (or the residual) : C[m + r][p·width + v·lanes ...]
//           for k in [k0, k1):  acc[r][v] += A[m + r][k] · panels[p][k][v·lanes ...]
//           C[m + r][p·width + v·lanes ...] = acc[r][v]   (the epilogue in the last K block;
//                                                          masked in a partial panel)
//
// bf16 panels in k pairs ([P, K/2, width, 2], for AVX512_BF16) take the bf16 dot product: a
// task rounds each tile's rows of A for the K block to bf16 pairs in a scratch tile (one i32
// a pair, what vdpbf16ps broadcasts), and each k pair is one vdpbf16ps per accumulator, which
// adds both products of the pair: twice an FMA's work per instruction.
//
// Every output element is summed over k in the same order whatever the task split, so the
// result does not depend on the thread count. Any M from 1 up: remainder rows by halving
// tiles rather than one row at a time. The task loop is an scf.parallel marked
// `attune.tasks` (see Parallel.cpp).
#include "ir/AttuneDialect.h"
#include "ir/Target.h"
#include "passes/KernelBuilder.h"
#include "passes/NormRow.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/SymbolTable.h"
#include "passes/Activations.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/FormatVariadic.h"

#include <numeric>

namespace attune {
#define GEN_PASS_DEF_ATTUNELOWERMATMULPASS
#include "passes/Passes.h.inc"
} // namespace attune

using namespace mlir;
using namespace attune;
using attune::kPrefetchAttr;

namespace {

/// Independent sums a tile of narrow (bf16, i8) panels keeps at least: FMAs in flight to
/// cover their latency (4 cycles, 2 a cycle).
constexpr int64_t kMinSumChains = 8;

/// Tasks a product is split into at least, where it has enough panels: enough for a
/// dynamic task counter to balance the threads.
constexpr int64_t kMinTasks = 16;

/// The kernel's geometry for one op, from the target and the op's shape.
struct MatmulGeometry {
  int64_t lanes;         // f32 lanes per vector register
  bool pairs;            // bf16 k pairs: the bf16 dot product; k counts pairs below
  int64_t panelBytes;    // bytes per panel element (a pair's two): 4 (f32, pairs), 2 (bf16), 1
  int64_t vectors;       // vectors across a panel (width = lanes · vectors)
  int64_t rows;          // rows of the full register tile
  int64_t kBlock;        // k steps per K block
  int64_t rowsPerTask;   // MB, a multiple of rows
  int64_t maxPanelsPerTask; // NB at most (the task's K blocks of panels fill half the L2)
  int64_t unroll;        // k steps per iteration of the inner loop
  int64_t prefetch;      // k steps ahead the panel is prefetched
  int64_t copyStride;    // f32s between the rows of a copied tile of A; 0: read A in place
};

/// L1 data caches of the x86 cores attune targets (Zen 1 to 4: 32 KiB, 8 ways; Intel since
/// Ice Lake: 48 KiB, 12 ways) have 4-KiB ways: addresses 4 KiB apart share a set.
constexpr int64_t kL1WayBytes = 4096;
constexpr int64_t kL1Ways = 8;
constexpr int64_t kLineBytes = 64;
/// Panels of a task that share a copied tile of A at least, for the copy to pay.
constexpr int64_t kMinCopyPanels = 3;

/// Whether a register tile's `rows` rows of A, `k` f32s apart, are to be copied before use:
/// read in place, row r's k-th element lies in L1 set (r·k·4 + 4·k') / 64 mod 64, and where
/// the row pitch is a multiple of 4 KiB (K = 1024, 2048, 3072, ...) more of a 12-row tile's
/// rows fall in one set than it has ways, and the broadcasts miss L1. Copied (with the next
/// tile prefetched), Zen 4, 1 thread, M = 512: K = 1024 and 2048 at 94–96% of the FMA peak
/// instead of 89–90%, K = 3072 92% instead of 86–90%; M = 128, k2048 n5632: 93–94% instead of
/// 87–89% (bench/RESULTS.md).
bool copiesRows(int64_t rows, int64_t k) {
  llvm::SmallVector<int64_t> perSet(kL1WayBytes / kLineBytes, 0);
  for (int64_t r = 0; r < rows; ++r)
    if (++perSet[r * k * 4 % kL1WayBytes / kLineBytes] > kL1Ways)
      return true;
  return false;
}

/// Vector lengths (f32 sums) attune.bf16_dot has: AVX512_BF16's 512- and 256-bit forms.
bool hasBf16Dot(int64_t lanes) { return lanes == 16 || lanes == 8; }

/// `k`: the panels' k steps (pairs of k for `pairs`).
std::optional<MatmulGeometry> chooseGeometry(const MatmulKernelOptions &options, int64_t k,
                                             int64_t width, int64_t panelBytes, bool pairs) {
  MatmulGeometry g;
  g.lanes = options.lanes;
  g.pairs = pairs;
  g.panelBytes = panelBytes;
  if (g.lanes < 1 || width % g.lanes != 0)
    return std::nullopt;
  // A tile's rows are rounded to bf16 a vector at a time: K must be whole vectors.
  if (pairs && (!hasBf16Dot(g.lanes) || 2 * k % g.lanes != 0))
    return std::nullopt;
  g.vectors = width / g.lanes;
  // Accumulators rows · vectors, plus the panel vectors and one broadcast, in registers.
  int64_t fit = (options.registers - g.vectors - 1) / g.vectors;
  if (fit < 1)
    return std::nullopt;
  g.rows = std::min<int64_t>(fit, options.maxRows);
  g.unroll = 4;
  // The panel stream is prefetched ~2 KiB ahead: the hardware prefetcher stops at every
  // page boundary, which costs most when the panels come from memory (an LM head).
  // Narrow panels (bf16, i8) 4 KiB ahead: the products of a GPT-2-small int8 decode step
  // took 8.0-9.0 ms with 2 KiB, 6.7-7.0 ms with 4 KiB (Zen 5, 1 thread).
  int64_t prefetchBytes = panelBytes < 4 ? 4096 : 2048;
  g.prefetch = std::max<int64_t>(g.unroll, prefetchBytes / (width * panelBytes));
  // K splits into equal blocks whose tile rows fill at most half the L1: they stay there
  // while the task's panels stream past.
  int64_t blocks =
      std::max<int64_t>(1, (g.rows * k * 4 + options.l1Bytes / 2 - 1) / (options.l1Bytes / 2));
  g.kBlock = (k + blocks - 1) / blocks;
  if (g.kBlock < k)
    g.kBlock = std::min(k, (g.kBlock + g.unroll - 1) / g.unroll * g.unroll);
  // Pairs: K blocks of whole vectors of A too (their tiles are rounded a vector at a time).
  if (pairs) {
    int64_t multiple = std::lcm(g.unroll, g.lanes / 2);
    g.kBlock = std::min(k, (g.kBlock + multiple - 1) / multiple * multiple);
  }
  // At least 128 rows per task: up to that M a task streams its panels once.
  g.rowsPerTask = g.rows * ((128 + g.rows - 1) / g.rows);
  // A task's K blocks of panels fill at most half the L2.
  g.maxPanelsPerTask = std::max<int64_t>(1, options.l2Bytes / 2 / (g.kBlock * width * panelBytes));
  // A copied tile: K blocks of whole vectors (rows are copied only where K is whole vectors),
  // its rows an odd number of 64-byte lines apart, so the R rows fall in R sets.
  g.copyStride = 0;
  if (!pairs && options.copyRows && k % g.lanes == 0 && copiesRows(g.rows, k)) {
    g.kBlock = std::min(k, (g.kBlock + g.lanes - 1) / g.lanes * g.lanes);
    int64_t lineFloats = kLineBytes / 4;
    int64_t lines = (g.kBlock + lineFloats - 1) / lineFloats;
    g.copyStride = (lines | 1) * lineFloats;
  }
  return g;
}

/// What the kernel applies to each output before storing it: activation(x·W·scale + bias) +
/// residual (scale [P·width] for i8 panels, bias [N] and residual [rows..., N] as buffers;
/// each part optional).
///
/// Without an activation, the sums start from the residual instead (the first K block loads
/// it where it would load zeros): each element of the residual is then read once, before the
/// same element of C is first written, by the thread that writes it, so C may be the residual's
/// own buffer (`kInPlaceOfAttr`; the memory plan decides). Summed as residual + x·W + bias
/// rather than x·W + bias + residual: the same up to rounding.
struct MatmulEpilogue {
  /// The column scales of i8 panels ([P·width]): the sum is scaled first.
  Value scales;
  Value bias, residual;
  StringRef activation;
  bool startsFromResidual() const { return residual && activation.empty() && !scales; }
  bool anyAtEnd() const {
    return scales || bias || !activation.empty() || (residual && !startsFromResidual());
  }
};

/// The norm of each finished row, written to `out` ([rows, N]): layer norm (gain and bias
/// [N]) or RMS norm (gain only). Absent where `out` is null.
struct MatmulNorm {
  Value out, gain, bias;
  double epsilon = 0;
};

/// Emits the body of a kernel function (A, panels, C[, bias][, residual]) -> (): C = A · W
/// and its epilogue.
class MatmulEmitter : KernelBuilder {
public:
  MatmulEmitter(OpBuilder &b, Location loc, MatmulGeometry g)
      : KernelBuilder(b, loc, g.lanes), g(g) {}

  void emit(Value a, Value packed, Value c, int64_t columnCount, MatmulEpilogue fused,
            MatmulNorm rowNorm) {
    lhs = a;
    panels = packed;
    out = c;
    epilogue = fused;
    norm = rowNorm;
    auto panelsType = cast<MemRefType>(panels.getType());
    numPanels = panelsType.getDimSize(0);
    depth = panelsType.getDimSize(1);
    width = panelsType.getDimSize(2);
    panelElement = panelsType.getElementType();
    // k pairs: each pair's row of the panel, [width, 2], as one row of 2·width bf16s.
    if (g.pairs)
      panels = b.create<memref::CollapseShapeOp>(loc, panels,
                                                 ArrayRef<ReassociationIndices>{{0}, {1}, {2, 3}});
    columns = columnCount;
    rowCount = b.create<memref::DimOp>(loc, lhs, 0);
    Value rowBlocks = ceilDiv(rowCount, g.rowsPerTask);
    // Panels per task, chosen at run time: as many as fit the L2 (a tile's rows of A, in L1,
    // then meet more panels), but at least kMinTasks tasks in all for the threads.
    Value wanted = ceilDiv(mul(rowBlocks, index(numPanels)), kMinTasks);
    panelsPerTask = b.create<arith::MaxSIOp>(
        loc, index(1), minIndex(wanted, index(std::min(numPanels, g.maxPanelsPerTask))));
    Value panelBlocks = ceilDiv(index(numPanels), panelsPerTask);
    Value tasks = mul(rowBlocks, panelBlocks);
    if (!norm.out) {
      this->tasks(tasks, [&](Value task) { emitTask(task, rowBlocks); });
      return;
    }
    // With a norm: a counter per block of rows of the tasks done with it; the task that
    // finishes it last normalizes its rows (stored by all of them, still in cache). The
    // atomic add orders their stores before its loads.
    Value counters = b.create<memref::AllocaOp>(
        loc, MemRefType::get({ShapedType::kDynamic}, b.getI32Type()), ValueRange{rowBlocks});
    Value zero = b.create<arith::ConstantIntOp>(loc, 0, 32);
    loop(index(0), rowBlocks, 1,
         [&](Value i) { b.create<memref::StoreOp>(loc, zero, counters, ValueRange{i}); });
    NormRowEmitter rowNormalizer(b, loc, g.lanes, columns, norm.gain, norm.bias, norm.epsilon);
    Value lastCount =
        b.create<arith::IndexCastOp>(loc, b.getI32Type(), sub(panelBlocks, index(1)));
    this->tasks(tasks, [&](Value task) {
      TaskRows rows = emitTask(task, rowBlocks);
      Value done = b.create<memref::AtomicRMWOp>(loc, arith::AtomicRMWKind::addi,
                                                 b.create<arith::ConstantIntOp>(loc, 1, 32),
                                                 counters, ValueRange{rows.block});
      when(b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::eq, done, lastCount), [&] {
        loop(rows.first, rows.end, 1,
             [&](Value row) { rowNormalizer.emit(out, norm.out, {row}); });
      });
    });
  }

private:
  struct TaskRows {
    Value first, end, block;
  };
  /// The task's tiles; returns its rows [first, end) and their block.
  TaskRows emitTask(Value task, Value rowBlocks) {
    // Panel-major: consecutive tasks, which the threads take at the same time, share a block
    // of panels, so it comes from memory once for all of them (then from the shared L3)
    // rather than once per thread. BERT-base batch 8 and GPT-2 seq 512 on 2 threads: ~6%.
    Value rowBlock = b.create<arith::RemUIOp>(loc, task, rowBlocks);
    Value panelBlock = b.create<arith::DivUIOp>(loc, task, rowBlocks);
    Value firstRow = mul(rowBlock, index(g.rowsPerTask));
    Value endRow = minIndex(rowCount, add(firstRow, index(g.rowsPerTask)));
    Value firstPanel = mul(panelBlock, panelsPerTask);
    Value endPanel = minIndex(index(numPanels), add(firstPanel, panelsPerTask));
    // Rows [firstRow, fullEnd) in tiles of R = g.rows rows, [fullEnd, shortEnd) in tiles of
    // R - 1 and the remainder below. R - 1 rows keep the FMA units as busy as R, and writing
    // the rows as a·R + b·(R - 1) leaves no remainder once there are (R - 1)·(R - 1): 128
    // rows are 18 tiles of 6 and 4 of 5 rather than 21 of 6 and a two-row tile, which has
    // too few accumulators to hide the FMA latency (on Zen 1, 2.4% of the time of BERT's
    // GELU product for 1.6% of its rows).
    Value rows = sub(endRow, firstRow);
    Value shortTiles = index(0);
    if (g.rows >= 3) {
      Value excess = b.create<arith::RemUIOp>(loc, rows, index(g.rows));
      Value wanted = b.create<arith::SelectOp>(
          loc, b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::eq, excess, index(0)),
          index(0), sub(index(g.rows), excess));
      Value fits = b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::uge, rows,
                                           mul(wanted, index(g.rows - 1)));
      shortTiles = b.create<arith::SelectOp>(loc, fits, wanted, index(0));
    }
    Value shortRows = mul(shortTiles, index(g.rows - 1));
    Value fullTiles = b.create<arith::DivUIOp>(loc, sub(rows, shortRows), index(g.rows));
    Value fullEnd = add(firstRow, mul(fullTiles, index(g.rows)));
    Value shortEnd = add(fullEnd, shortRows);
    Value remainder = sub(endRow, shortEnd);
    // The copied tile of A (fixed size: outlined tasks keep one per thread).
    // It pays where at least kMinCopyPanels panels share it: with two (128 × 3072 × 768 on
    // Zen 4: two of its 24 panels per task), reading in place is 1–4% faster.
    Value copy, copyPays;
    // Pairs: the tile's rows of A for the K block, rounded to bf16 pairs (one i32 each).
    Value rounded;
    if (g.pairs)
      rounded = b.create<memref::AllocaOp>(loc, MemRefType::get({g.rows, g.kBlock}, b.getI32Type()),
                                           ValueRange{}, b.getI64IntegerAttr(64));
    if (g.copyStride) {
      copy = b.create<memref::AllocaOp>(loc, MemRefType::get({g.rows, g.copyStride}, f32),
                                        ValueRange{}, b.getI64IntegerAttr(64));
      copyPays = b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::uge,
                                         sub(endPanel, firstPanel), index(kMinCopyPanels));
    }
    loop(index(0), index(depth), g.kBlock, [&](Value k0) {
      Value k1 = minIndex(add(k0, index(g.kBlock)), index(depth));
      // Full row tiles outside, panels inside: a tile's rows (in L1) meet every panel of
      // the task, whose K blocks stream from L2.
      auto rowTiles = [&](Value begin, Value end, int64_t rows) {
        loop(begin, end, rows, [&](Value row) {
          auto panelsFrom = [&](TileSource source) {
            loop(firstPanel, endPanel, 1,
                 [&](Value panel) { emitTile(rows, row, source, panel, k0, k1); });
            return SmallVector<Value>{};
          };
          if (rounded) {
            roundRows(rounded, row, index(rows), k0, k1, rows);
            panelsFrom({rounded, index(0), k0});
            return;
          }
          if (!copy) {
            panelsFrom({lhs, row, index(0)});
            return;
          }
          ifElse(
              copyPays,
              [&] {
                copyRows(copy, row, rows, k0, k1);
                return panelsFrom({copy, index(0), k0});
              },
              [&] { return panelsFrom({lhs, row, index(0)}); });
        });
      };
      rowTiles(firstRow, fullEnd, g.rows);
      if (g.rows >= 3)
        rowTiles(fullEnd, shortEnd, g.rows - 1);
      // The remainder as tiles of rows/2, rows/4, ..., 1 rows (bit `half` of the remainder
      // says whether that tile is there; it starts after the larger ones), panels outside:
      // each panel's K block comes from memory once for all of them (M = 7 is one sweep of
      // the weights, not two; what decoding a few rows at a time is bound by).
      Value any = b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::ne, remainder, index(0));
      when(any, [&] {
        if (rounded)
          roundRows(rounded, shortEnd, remainder, k0, k1, 0);
        loop(firstPanel, endPanel, 1, [&](Value panel) {
          for (int64_t half = llvm::PowerOf2Ceil(g.rows) / 2; half >= 1; half /= 2) {
            Value bit = b.create<arith::AndIOp>(loc, remainder, index(half));
            Value present =
                b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::ne, bit, index(0));
            when(present, [&] {
              Value before =
                  sub(remainder, b.create<arith::RemUIOp>(loc, remainder, index(2 * half)));
              Value row = add(shortEnd, before);
              TileSource source =
                  rounded ? TileSource{rounded, before, k0} : TileSource{lhs, row, index(0)};
              emitTile(half, row, source, panel, k0, k1);
            });
          }
        });
      });
    });
    return {firstRow, endRow, rowBlock};
  }

  /// Where a tile reads its rows of A: element (r, k) at source[firstRow + r][k - firstK]
  /// (A itself, or the copy of the tile's rows for the K block).
  struct TileSource {
    Value buffer, firstRow, firstK;
  };

  /// Copies A[row .. row + rows)[k0 .. k1) (whole vectors) to copy[0 .. rows)[0 .. k1 - k0).
  /// Each vector copied prefetches the one `rows` rows down: the next tile's, which then
  /// comes from memory while this tile meets the task's panels (without it, the copy waits
  /// on memory and costs what it saves).
  void copyRows(Value copy, Value row, int64_t rows, Value k0, Value k1) {
    loop(index(0), index(rows), 1, [&](Value r) {
      Value source = add(row, r);
      loop(index(0), sub(k1, k0), g.lanes, [&](Value k) {
        auto v = b.create<vector::LoadOp>(loc, vecType(), lhs, ValueRange{source, add(k0, k)});
        v->setAttr(kPrefetchAttr, b.getI64ArrayAttr({rows, 0}));
        b.create<vector::StoreOp>(loc, v, copy, ValueRange{r, k});
      });
    });
  }

  /// Rounds A[row .. row + count)[2·k0 .. 2·k1) to bf16 (nearest even: vcvtneps2bf16) into
  /// `scratch`[0 .. count)[0 .. k1 - k0) as pairs: i32 j of a row holds elements 2j (low half)
  /// and 2j + 1, the operand order of vdpbf16ps. With `prefetchRows`, each vector read
  /// prefetches the one that many rows down (the next tile's, as copyRows does).
  void roundRows(Value scratch, Value row, Value count, Value k0, Value k1, int64_t prefetchRows) {
    auto halves = VectorType::get({g.lanes}, b.getBF16Type());
    auto words = VectorType::get({g.lanes / 2}, b.getI32Type());
    Value two = index(2);
    loop(index(0), count, 1, [&](Value r) {
      Value source = add(row, r);
      Value first = mul(k0, two);
      loop(index(0), mul(sub(k1, k0), two), g.lanes, [&](Value e) {
        auto v = b.create<vector::LoadOp>(loc, vecType(), lhs, ValueRange{source, add(first, e)});
        if (prefetchRows)
          v->setAttr(kPrefetchAttr, b.getI64ArrayAttr({prefetchRows, 0}));
        Value half = b.create<arith::TruncFOp>(loc, halves, v);
        Value packed = b.create<vector::BitCastOp>(loc, words, half);
        b.create<vector::StoreOp>(loc, packed, scratch,
                                  ValueRange{r, b.create<arith::DivUIOp>(loc, e, two)});
      });
    });
  }

  /// One register tile: `rows` rows from `row` (read from `source`), panel `panel`, k steps
  /// [k0, k1).
  void emitTile(int64_t rows, Value row, TileSource source, Value panel, Value k0, Value k1) {
    SmallVector<Value> lead, sourceRows;
    for (int64_t r = 0; r < rows; ++r) {
      lead.push_back(add(row, index(r)));
      sourceRows.push_back(add(source.firstRow, index(r)));
    }
    Value firstColumn = mul(panel, index(width));
    int64_t count = rows * g.vectors;

    // Accumulators start at zero (or the residual) in the first K block, else at the
    // partial sums in C.
    auto start = [&] {
      if (epilogue.startsFromResidual())
        return accessC(lead, firstColumn, panel, {}, false, epilogue.residual);
      return SmallVector<Value>(count, splat(0.0));
    };
    SmallVector<Value> init;
    if (g.kBlock >= depth) {
      init = start();
    } else {
      Value first = b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::eq, k0, index(0));
      init = ifElse(first, start, [&] { return accessC(lead, firstColumn, panel, {}); });
    }

    // The panel rows of `steps` k steps from k as one view: its address is computed once per
    // iteration and every load of the unrolled steps is at a constant offset from it.
    // (A row of k pairs is 2·width bf16s.)
    int64_t rowElements = g.pairs ? 2 * width : width;
    auto panelRows = [&](Value k, int64_t steps) -> Value {
      auto strided = StridedLayoutAttr::get(b.getContext(), ShapedType::kDynamic, {rowElements, 1});
      auto type = MemRefType::get({steps, rowElements}, panelElement, strided);
      return b.create<memref::SubViewOp>(
          loc, type, panels, ArrayRef<OpFoldResult>{panel, k, b.getIndexAttr(0)},
          ArrayRef<OpFoldResult>{b.getIndexAttr(1), b.getIndexAttr(steps),
                                 b.getIndexAttr(rowElements)},
          ArrayRef<OpFoldResult>{b.getIndexAttr(1), b.getIndexAttr(1), b.getIndexAttr(1)});
    };
    // k pairs: vectors of 2·lanes bf16s, lanes pairs (lanes columns) each.
    int64_t panelLanes = g.pairs ? 2 * g.lanes : g.lanes;
    auto step = [&](Value k, Value rowsView, int64_t u, ValueRange acc) {
      SmallVector<Value> next(acc);
      SmallVector<Value> weights;
      for (int64_t v = 0; v < g.vectors; ++v) {
        auto load = b.create<vector::LoadOp>(loc, VectorType::get({panelLanes}, panelElement),
                                             rowsView, ValueRange{index(u), index(v * panelLanes)});
        // One prefetch per 64-byte line of the panel row.
        if (v * g.lanes * g.panelBytes % 64 == 0)
          load->setAttr(kPrefetchAttr, b.getI64ArrayAttr({g.prefetch, 0}));
        // bf16 panels widen to f32 exactly (the bits shifted up), i8 ones to their integer
        // values (scaled once the sum is done); the sums stay f32. k pairs stay bf16 for the
        // dot product.
        Value weight = load;
        if (panelElement.isBF16() && !g.pairs) {
          weight = b.create<arith::ExtFOp>(loc, vecType(), weight);
        } else if (panelElement.isInteger(8)) {
          weight =
              b.create<arith::ExtSIOp>(loc, VectorType::get({g.lanes}, b.getI32Type()), weight);
          weight = b.create<arith::SIToFPOp>(loc, vecType(), weight);
        }
        weights.push_back(weight);
      }
      Value kk = sub(u == 0 ? k : add(k, index(u)), source.firstK);
      if (g.pairs) {
        // vdpbf16ps: each f32 sum += its pair's two products, A's pair broadcast.
        auto pairsOfA = VectorType::get({panelLanes}, panelElement);
        auto words = VectorType::get({g.lanes}, b.getI32Type());
        for (int64_t r = 0; r < rows; ++r) {
          Value pair = b.create<memref::LoadOp>(loc, source.buffer, ValueRange{sourceRows[r], kk});
          Value broadcast = b.create<vector::BitCastOp>(
              loc, pairsOfA, b.create<vector::BroadcastOp>(loc, words, pair));
          for (int64_t v = 0; v < g.vectors; ++v) {
            Value &sum = next[r * g.vectors + v];
            sum = b.create<Bf16DotOp>(loc, sum, broadcast, weights[v]);
          }
        }
        return next;
      }
      for (int64_t r = 0; r < rows; ++r) {
        Value a = b.create<memref::LoadOp>(loc, source.buffer, ValueRange{sourceRows[r], kk});
        Value broadcast = b.create<vector::BroadcastOp>(loc, vecType(), a);
        for (int64_t v = 0; v < g.vectors; ++v)
          next[r * g.vectors + v] =
              b.create<vector::FMAOp>(loc, broadcast, weights[v], next[r * g.vectors + v]);
      }
      return next;
    };
    // Unrolled main loop, then the last k steps one at a time. A tile of few accumulators (a
    // decode step's one row) waits on each FMA's latency: with panels of a half or a quarter
    // of f32's bytes that, not memory, bounds it (int8, 1 row: 62-84% of the bandwidth). Such
    // tiles keep a set of sums per unrolled step, added up after the loop; f32 tiles keep one
    // (their sums stay in the order every tile sums in).
    int64_t sets = count < kMinSumChains && !panelElement.isF32() ? g.unroll : 1;
    Value steps = sub(k1, k0);
    Value mainEnd = add(k0, mul(b.create<arith::DivUIOp>(loc, steps, index(g.unroll)),
                                index(g.unroll)));
    SmallVector<Value> carriedInit(init);
    for (int64_t i = count; i < sets * count; ++i)
      carriedInit.push_back(splat(0.0));
    SmallVector<Value> acc =
        loop(k0, mainEnd, g.unroll, carriedInit, [&](Value k, ValueRange carried) {
          SmallVector<Value> current(carried);
          Value view = panelRows(k, g.unroll);
          for (int64_t u = 0; u < g.unroll; ++u) {
            auto set = MutableArrayRef<Value>(current).slice(u % sets * count, count);
            SmallVector<Value> next = step(k, view, u, set);
            llvm::copy(next, set.begin());
          }
          return current;
        });
    for (int64_t half = sets / 2; half >= 1; half /= 2) // pairwise: (s0 + s2) + (s1 + s3)
      for (int64_t i = 0; i < half * count; ++i)
        acc[i] = b.create<arith::AddFOp>(loc, acc[i], acc[i + half * count]);
    acc.resize(count);
    if (depth % g.unroll != 0 || g.kBlock % g.unroll != 0)
      acc = loop(mainEnd, k1, 1, acc,
                 [&](Value k, ValueRange carried) { return step(k, panelRows(k, 1), 0, carried); });
    // The epilogue applies once the sum is complete: in the last K block.
    if (!epilogue.anyAtEnd()) {
      accessC(lead, firstColumn, panel, acc);
    } else if (g.kBlock >= depth) {
      accessC(lead, firstColumn, panel, acc, /*withEpilogue=*/true);
    } else {
      Value last = b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::eq, k1, index(depth));
      ifElse(
          last, [&] { return accessC(lead, firstColumn, panel, acc, true); },
          [&] { return accessC(lead, firstColumn, panel, acc); });
    }
  }

  /// Loads the tile's C vectors (`values` empty; from `from` instead of C where given: a
  /// buffer shaped like C) or stores `values` there; in the last panel, when it is partial,
  /// lanes past the last column are masked off.
  SmallVector<Value> accessC(ArrayRef<Value> lead, Value firstColumn, Value panel,
                             ArrayRef<Value> values, bool withEpilogue = false,
                             Value from = {}) {
    bool load = values.empty();
    int64_t rows = lead.size();
    auto access = [&](bool masked) {
      SmallVector<Value> loaded;
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t v = 0; v < g.vectors; ++v) {
          Value column = add(firstColumn, index(v * g.lanes));
          SmallVector<Value> indices{lead[r], column};
          Value mask;
          if (masked) {
            Value valid = sub(index(columns), column);
            mask = b.create<vector::CreateMaskOp>(
                loc, VectorType::get({g.lanes}, b.getI1Type()), ValueRange{valid});
          }
          auto read = [&](Value memref, ValueRange at) -> Value {
            if (masked)
              return b.create<vector::MaskedLoadOp>(loc, vecType(), memref, at, mask, splat(0.0));
            return b.create<vector::LoadOp>(loc, vecType(), memref, at);
          };
          if (load) {
            loaded.push_back(read(from ? from : out, indices));
            continue;
          }
          Value value = values[r * g.vectors + v];
          if (withEpilogue) {
            // activation(x·W·scale + bias) + residual, in registers.
            if (epilogue.scales)
              value = b.create<arith::MulFOp>(loc, value, read(epilogue.scales, column));
            if (epilogue.bias)
              value = b.create<arith::AddFOp>(loc, value, read(epilogue.bias, column));
            if (!epilogue.activation.empty())
              value = buildActivation(b, loc, epilogue.activation, value);
            if (epilogue.residual && !epilogue.startsFromResidual())
              value = b.create<arith::AddFOp>(loc, value, read(epilogue.residual, indices));
          }
          if (masked)
            b.create<vector::MaskedStoreOp>(loc, out, indices, mask, value);
          else
            b.create<vector::StoreOp>(loc, value, out, indices);
        }
      return loaded;
    };
    if (columns % width == 0)
      return access(false);
    Value last = b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::eq, panel,
                                         index(numPanels - 1));
    return ifElse(last, [&] { return access(true); }, [&] { return access(false); });
  }

  MatmulGeometry g;
  int64_t numPanels = 0, depth = 0, width = 0, columns = 0;
  Value lhs, panels, out, rowCount, panelsPerTask;
  Type panelElement; // f32, bf16 or i8
  MatmulEpilogue epilogue;
  MatmulNorm norm;
};

MemRefType denseBuffer(RankedTensorType type) {
  return MemRefType::get(type.getShape(), type.getElementType());
}

/// A dense buffer [d0, ..., dn] as [d0·...·dn-1, dn].
Value asRows(OpBuilder &b, Location loc, Value buffer) {
  int64_t rank = cast<MemRefType>(buffer.getType()).getRank();
  if (rank == 2)
    return buffer;
  ReassociationIndices rows = llvm::to_vector(llvm::seq<int64_t>(0, rank - 1));
  return b.create<memref::CollapseShapeOp>(
      loc, buffer, ArrayRef<ReassociationIndices>{rows, {rank - 1}});
}

class MatmulLowering {
public:
  MatmulLowering(ModuleOp module, MatmulKernelOptions options)
      : module(module), options(options), symbols(module) {}

  /// Replaces `op` by a call of its shape's kernel; false if the kernel does not apply (the
  /// op is left for the reference lowering in attune-lower-to-linalg).
  bool lower(PackedMatmulOp op) {
    RankedTensorType lhsType = op.getLhs().getType();
    auto panelsType = op.getPanels().getType();
    if (lhsType.getRank() < 2 || lhsType.isDynamicDim(lhsType.getRank() - 1))
      return false;
    bool pairs = panelsType.getRank() == 4;
    std::optional<MatmulGeometry> geometry =
        chooseGeometry(options, panelsType.getDimSize(1), panelsType.getDimSize(2),
                       panelsType.getElementTypeBitWidth() / 8 * (pairs ? 2 : 1), pairs);
    if (!geometry)
      return false;
    // The fused norm reads rows of whole vectors; else it follows as its own kernel.
    if (op.getNorm() && op.getColumns() % geometry->lanes != 0) {
      IRRewriter rewriter(op);
      op = unfuseNorm(rewriter, op);
    }

    OpBuilder b(op);
    Location loc = op.getLoc();
    // Operands as dense row-major [rows, columns] buffers: a tile then reads its rows of A at
    // fixed distances from one address (immediate offsets). One-shot bufferization copies an
    // operand that is a strided view (a slice) into such a buffer; anything else is one.
    Value lhs = b.create<bufferization::ToMemrefOp>(loc, denseBuffer(op.getLhs().getType()),
                                                    op.getLhs(), /*read_only=*/true);
    Value panels = b.create<bufferization::ToMemrefOp>(
        loc, MemRefType::get(panelsType.getShape(), panelsType.getElementType()), op.getPanels(),
        /*read_only=*/true);
    RankedTensorType result = op.getResult().getType();
    SmallVector<Value> dynamicSizes;
    for (int64_t i = 0; i < result.getRank(); ++i)
      if (result.isDynamicDim(i))
        dynamicSizes.push_back(b.create<memref::DimOp>(loc, lhs, i));
    SmallVector<bufferization::MaterializeInDestinationOp> destinations(2);
    SmallVector<Value> outs;
    for (auto [i, value] : llvm::enumerate(op->getResults()))
      outs.push_back(resultBuffer(b, loc, value, dynamicSizes, destinations[i]));
    SmallVector<Value> arguments{asRows(b, loc, lhs), panels, asRows(b, loc, outs[0])};
    if (op.getScales())
      arguments.push_back(readOnlyView(b, loc, op.getScales()));
    if (op.getBias())
      arguments.push_back(readOnlyView(b, loc, op.getBias()));
    if (op.getResidual())
      arguments.push_back(asRows(
          b, loc,
          b.create<bufferization::ToMemrefOp>(loc, denseBuffer(op.getResidual().getType()),
                                              op.getResidual(), /*read_only=*/true)));
    StringRef norm = op.getNorm() ? *op.getNorm() : "";
    if (!norm.empty()) {
      arguments.push_back(asRows(b, loc, outs[1]));
      arguments.push_back(readOnlyView(b, loc, op.getNormGain()));
      if (op.getNormBias())
        arguments.push_back(readOnlyView(b, loc, op.getNormBias()));
    }
    MatmulKernelKind kind{static_cast<int64_t>(op.getColumns()),
                          bool(op.getScales()),
                          bool(op.getBias()),
                          bool(op.getResidual()),
                          op.getActivation() ? *op.getActivation() : "",
                          norm,
                          norm.empty() ? 0.0 : op.getNormEpsilon()->convertToDouble()};
    func::FuncOp kernel = kernelFor(loc, ValueRange(arguments).getTypes(), kind, *geometry);
    SmallVector<StringRef> fused;
    if (kind.scales)
      fused.push_back("int8 scales");
    if (kind.bias)
      fused.push_back("bias");
    if (!kind.activation.empty())
      fused.push_back(kind.activation);
    if (kind.residual)
      fused.push_back("residual");
    // FLOPs per row: the product's, and its norm's.
    int64_t k = panelsType.getDimSize(1) * (pairs ? 2 : 1);
    int64_t flopsPerRow = 2 * k * kind.columns;
    if (!norm.empty()) {
      fused.push_back(norm);
      flopsPerRow += kind.columns * NormRowEmitter::flopsPerElement(bool(op.getNormBias()));
    }
    KernelBuilder(b, loc, geometry->lanes)
        .declareKernel(llvm::formatv("matmul k{0} n{1}", k, kind.columns).str(), fused,
                       b.create<arith::MulIOp>(
                           loc, b.create<memref::DimOp>(loc, arguments[0], 0),
                           b.create<arith::ConstantIndexOp>(loc, flopsPerRow)));
    b.create<func::CallOp>(loc, kernel, arguments);
    for (bufferization::MaterializeInDestinationOp destination : destinations)
      if (destination)
        destination.erase();
    for (auto [value, buffer] : llvm::zip(op->getResults(), outs))
      value.replaceAllUsesWith(b.create<bufferization::ToTensorOp>(loc, buffer, /*restrict=*/true,
                                                                   /*writable=*/true));
    op.erase();
    return true;
  }

private:
  /// What a kernel computes besides its operand types: one kernel per kind and types.
  struct MatmulKernelKind {
    int64_t columns;
    bool scales, bias, residual;
    StringRef activation, norm;
    double normEpsilon;
  };

  /// The kernel for one shape and epilogue: made once, then called by every product like it.
  func::FuncOp kernelFor(Location loc, TypeRange arguments, const MatmulKernelKind &kind,
                         const MatmulGeometry &geometry) {
    auto type = FunctionType::get(module.getContext(), arguments, {});
    std::string key = llvm::formatv("{0}/{1}/{2}/{3}/{4}", type, kind.columns, kind.activation,
                                    kind.norm, kind.normEpsilon);
    if (func::FuncOp existing = kernels.lookup(key))
      return existing;
    auto panelsType = cast<MemRefType>(arguments[1]);
    std::string name =
        llvm::formatv("{0}k{1}_n{2}", kMatmulKernelPrefix,
                      panelsType.getDimSize(1) * (geometry.pairs ? 2 : 1), kind.columns);
    if (kind.bias)
      name += "_bias";
    if (!kind.activation.empty())
      name += "_" + kind.activation.str();
    if (kind.residual)
      name += "_residual";
    if (!kind.norm.empty())
      name += "_" + kind.norm.str();
    if (geometry.pairs)
      name += "_bf16dot";
    else if (panelsType.getElementType().isBF16())
      name += "_bf16";
    if (kind.scales)
      name += "_int8";
    OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
    auto kernel = b.create<func::FuncOp>(loc, name, type);
    kernel.setPrivate();
    symbols.insert(kernel); // renamed on a clash (same name, another rank or panel width)
    Block *body = kernel.addEntryBlock();
    b.setInsertionPointToStart(body);
    MatmulEpilogue epilogue;
    unsigned next = 3;
    if (kind.scales)
      epilogue.scales = body->getArgument(next++);
    if (kind.bias)
      epilogue.bias = body->getArgument(next++);
    if (kind.residual)
      epilogue.residual = body->getArgument(next++);
    epilogue.activation = kind.activation;
    if (epilogue.startsFromResidual())
      kernel.setArgAttr(2, kInPlaceOfAttr,
                        b.getI64IntegerAttr(cast<BlockArgument>(epilogue.residual).getArgNumber()));
    MatmulNorm norm;
    if (!kind.norm.empty()) {
      norm.out = body->getArgument(next++);
      norm.gain = body->getArgument(next++);
      if (kind.norm == "layer_norm")
        norm.bias = body->getArgument(next++);
      norm.epsilon = kind.normEpsilon;
    }
    MatmulEmitter(b, loc, geometry)
        .emit(body->getArgument(0), body->getArgument(1), body->getArgument(2), kind.columns,
              epilogue, norm);
    b.create<func::ReturnOp>(loc);
    kernels[key] = kernel;
    return kernel;
  }

  ModuleOp module;
  MatmulKernelOptions options;
  SymbolTable symbols;
  llvm::StringMap<func::FuncOp> kernels;
};

struct LowerMatmulPass : attune::impl::AttuneLowerMatmulPassBase<LowerMatmulPass> {
  using AttuneLowerMatmulPassBase::AttuneLowerMatmulPassBase;
  void runOnOperation() override {
    TargetDescription machine = targetOf(getOperation());
    MatmulKernelOptions kernel;
    kernel.lanes = vectorLanes > 0 ? int64_t(vectorLanes) : machine.lanes;
    kernel.registers = vectorRegisters > 0 ? int64_t(vectorRegisters) : machine.registers;
    kernel.l1Bytes = machine.l1Bytes;
    kernel.l2Bytes = machine.l2Bytes;
    kernel.copyRows = copyRows;
    SmallVector<PackedMatmulOp> ops;
    getOperation().walk([&](PackedMatmulOp op) { ops.push_back(op); });
    MatmulLowering lowering(getOperation(), kernel);
    for (PackedMatmulOp op : ops)
      lowering.lower(op);
  }
};

} // namespace
