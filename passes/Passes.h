// attune's passes and pipelines. Each pass registers itself through registerAttunePasses();
// pipelines are assembled in Pipelines.cpp so the opt tool and the compiler run the same code.
#ifndef ATTUNE_PASSES_PASSES_H
#define ATTUNE_PASSES_PASSES_H

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

namespace mlir {
class DialectRegistry;
class RewritePatternSet;
class RewriterBase;
} // namespace mlir

namespace attune {

class PackedMatmulOp;

#define GEN_PASS_DECL
#include "passes/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "passes/Passes.h.inc"

/// Patterns that lower each attune op to linalg/tensor/arith/math (used by the pass).
void populateLowerToLinalgPatterns(mlir::RewritePatternSet &patterns);

/// attune.attention as an online-softmax loop nest over blocks of `queryBlock` queries and
/// `block` keys (LowerAttention.cpp).
void populateOnlineAttentionPatterns(mlir::RewritePatternSet &patterns, int64_t block,
                                     int64_t queryBlock);

/// Geometry of the vectorized attention kernel (VectorAttention.cpp).
struct VectorAttentionOptions {
  /// f32 lanes per vector register and vector registers of the target.
  int64_t lanes = 16;
  int64_t registers = 32;
  /// Queries per task (rounded up to whole register tiles) and keys per block.
  int64_t queryBlock = 64;
  int64_t keyBlock = 64;
};

/// attune.attention as the vectorized online-softmax kernel, parallel over tasks of
/// (batch..., query block). Ops it cannot take (not f32, dynamic head dim) are left for the
/// patterns above.
void populateVectorAttentionPatterns(mlir::RewritePatternSet &patterns,
                                     const VectorAttentionOptions &options);

/// Geometry limits of the matmul kernel (VectorMatmul.cpp), from the target.
struct MatmulKernelOptions {
  /// f32 lanes per vector register and vector registers of the target.
  int64_t lanes = 8;
  int64_t registers = 16;
  /// Data cache bytes per core: K blocks are sized for L1, a task's panels for L2.
  int64_t l1Bytes = 32 * 1024;
  int64_t l2Bytes = 1024 * 1024;
  /// Most rows of a register tile (12 × 2 vectors fills AVX-512's 32 registers; AVX2's 16
  /// allow 6 × 2).
  int64_t maxRows = 12;
  /// Copy a tile's rows of A where, read in place, more of them would share an L1 set than
  /// it has ways (a row pitch that is a multiple of 4 KiB: K = 1024, 2048, 3072).
  bool copyRows = true;
};

/// attune.layer_norm and attune.rms_norm as vector loops parallel over rows, where a row is
/// whole f32 vectors of `lanes` (VectorNorm.cpp).
void populateVectorNormPatterns(mlir::RewritePatternSet &patterns, int64_t lanes);

/// attune.attention as its decomposition (matmul, scale, bias, mask, softmax, matmul).
void populateAttentionDecompositionPatterns(mlir::RewritePatternSet &patterns);

/// On a vector.load: prefetch the same memref this far ahead (an offset per index) once
/// deallocation is done (attune-insert-prefetches; memref.prefetch has no memory effects the
/// deallocation passes accept).
constexpr llvm::StringLiteral kPrefetchAttr = "attune.prefetch";
/// On an argument of a kernel function that the kernel writes (an i64): the argument it may
/// share its bytes with. The kernel reads each element of that argument at most once, before
/// it first writes the element at the same place in this one, on the same thread, and reads
/// nothing else of it; attune-plan-memory then lets the written buffer take the read one's
/// bytes where the read one dies at the call (in place).
constexpr llvm::StringLiteral kInPlaceOfAttr = "attune.in_place_of";
/// On the reference lowering's contraction of a packed matmul (attune-lower-to-linalg with
/// --reference-matmul): what a schedule matches products by,
/// `transform.structured.match attributes{attune.matmul}`.
constexpr llvm::StringLiteral kMatmulAttr = "attune.matmul";

/// Which epilogue parts attune-fuse-epilogues folds into packed matmuls.
struct EpilogueFusionOptions {
  bool bias = true;
  bool activation = true;
  bool residual = true;
};

/// A packed matmul's bias add, activation and residual add as its epilogue.
void populateFuseEpiloguePatterns(mlir::RewritePatternSet &patterns,
                                  const EpilogueFusionOptions &options);

/// The layer or RMS norm of a packed matmul's result with a residual as its second result.
void populateFuseNormPatterns(mlir::RewritePatternSet &patterns);

/// `op` without its fused norm: the product, then the norm as its own op (what a lowering that
/// cannot normalize in the kernel does first). Returns the product, with the insertion point
/// before it.
PackedMatmulOp unfuseNorm(mlir::RewriterBase &rewriter, PackedMatmulOp op);

/// Elementwise fusion limited to consumers that read each produced element once.
void populateFuseElementwisePatterns(mlir::RewritePatternSet &patterns);


/// Knobs of the graph passes (the `fused` stage).
struct GraphPipelineOptions {
  bool fuseAttention = true;
  /// Emit a remark per attention candidate (fused, or why not) and per entry (its decode
  /// step, or why none).
  bool report = false;
  /// Each entry with causal self-attention gets a KV-cached `<entry>_step`.
  bool deriveDecodeStep = true;
};

/// The graph passes on the attune dialect: CSE, attention fusion, decode-step derivation.
void buildGraphPipeline(mlir::OpPassManager &pm, const GraphPipelineOptions &options);

/// attune graph -> LLVM dialect, ready for translation: the graph passes, the entry passes,
/// then the kernel pipeline below.
void buildCpuLoweringPipeline(mlir::OpPassManager &pm);

/// Knobs of the entry passes.
struct EntryPipelineOptions {
  /// Matmuls by weights read packed panels (attune-pack-weights).
  bool packWeights = true;
  /// Their bias, activation and residual add become the kernel's epilogue.
  bool fuseEpilogues = true;
  /// The norm after a fused residual add becomes the kernel's second result.
  bool fuseNorms = true;
  /// The packed weights' precision: "fp32", "bf16" or "int8" (attune-pack-weights).
  std::string precision = "fp32";
};

/// attune-lower-entry, attune-pack-weights, attune-fuse-epilogues: the model's ABI (which the
/// driver reads before the kernel pipeline) and the products' epilogues.
void buildEntryPipeline(mlir::OpPassManager &pm, const EntryPipelineOptions &options);

/// Knobs of the kernel lowering.
struct KernelPipelineOptions {
  /// Lower attune.attention through its decomposition instead of the online-softmax kernel.
  bool decomposeAttention = false;
  /// Keys and queries per block of the online-softmax kernel.
  int64_t attentionBlock = 64;
  int64_t attentionQueryBlock = 64;
  /// The vector kernel for attention (else the blocked kernel on tensors); its register tile
  /// follows the module's attune.target.
  bool vectorAttention = true;
  /// The vector kernel for packed matmuls (else the scalar reference loops).
  bool vectorMatmul = true;
  /// Its tiles copy rows of A that would share L1 sets (attune-lower-matmul's copy-rows).
  bool copyMatmulRows = true;
  /// The vector kernels for layer and RMS norms (else linalg reductions, scalar loops).
  bool vectorNorms = true;
  /// The linalg ops left on buffers as task loops on the thread pool
  /// (attune-parallelize-loops), else serial loops.
  bool parallelLoops = true;
  /// Iterations per task of those loops (attune-parallelize-loops' task-size).
  int64_t loopTaskSize = 16384;
  /// Bracket every kernel with the runtime's profiling hooks (attune-instrument-kernels).
  bool profileHooks = true;
  /// A remark for every allocation attune-plan-memory leaves out (attune build --report).
  bool reportMemoryPlan = false;
};

/// The steps after the entry passes (the driver reads the model interface in between): the
/// three below in order.
void buildCpuKernelPipeline(mlir::OpPassManager &pm, const KernelPipelineOptions &options = {});
/// To the `kernels` stage: every op a kernel on tensors (a call of a register-tiled matmul,
/// a vector task loop, a linalg op), elementwise chains fused, math approximated.
void buildKernelsPipeline(mlir::OpPassManager &pm, const KernelPipelineOptions &options);
/// A user's transform script (a module with `@__transform_main`, read from `path`) applied to
/// the `kernels` stage, then canonicalized: `attune build --schedule`.
void buildSchedulePipeline(mlir::OpPassManager &pm, const std::string &path);
/// `kernels` to `tiled`: buffers, deallocation, prefetches, the kernel table and profiling
/// hooks, task loops outlined into functions over task ranges.
void buildTiledPipeline(mlir::OpPassManager &pm, const KernelPipelineOptions &options);
/// `tiled` to the LLVM dialect: loops, control flow, runtime calls.
void buildLlvmPipeline(mlir::OpPassManager &pm);

/// Adds the attune dialect and every upstream dialect, extension and LLVM IR translation.
void registerAttuneDialects(mlir::DialectRegistry &registry);

/// Registers every attune pass and the named pipelines (attune-cpu-lowering).
void registerAttunePassesAndPipelines();

} // namespace attune

#endif // ATTUNE_PASSES_PASSES_H
