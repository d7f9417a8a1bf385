// The lowering pipelines, assembled in one place so `attune build` and `attune-opt` run the
// same steps. Steps are spelled as textual pipelines: the names a researcher passes to
// attune-opt to replay any part of it.
#include "passes/Passes.h"

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "llvm/Support/ErrorHandling.h"

using namespace mlir;

namespace {

/// Appends a textual pipeline step; the strings are the same names `attune-opt` accepts.
void addStep(OpPassManager &pm, const std::string &step) {
  if (failed(parsePassPipeline(step, pm, llvm::errs())))
    llvm::report_fatal_error(llvm::Twine("attune: malformed built-in pipeline step: ") + step);
}

} // namespace

void attune::buildGraphPipeline(OpPassManager &pm, const GraphPipelineOptions &options) {
  // Identical subexpressions (every layer's causal mask) become one value first, so matchers
  // see shared masks as the inputs they are.
  addStep(pm, "func.func(cse)");
  // Every attention-shaped subgraph becomes one attune.attention (a flash-style kernel later).
  if (options.fuseAttention)
    addStep(pm, options.report ? "func.func(attune-fuse-attention{report=true})"
                               : "func.func(attune-fuse-attention)");
  // Entries whose causal self-attention reads their tokens get a step over a KV cache:
  // prefill and decode without recomputing the prefix.
  if (options.deriveDecodeStep)
    addStep(pm, options.report ? "attune-derive-decode-step{report=true}"
                               : "attune-derive-decode-step");
}

void attune::buildCpuLoweringPipeline(OpPassManager &pm) {
  buildGraphPipeline(pm, GraphPipelineOptions{});
  buildEntryPipeline(pm, EntryPipelineOptions{});
  buildCpuKernelPipeline(pm);
}

void attune::buildEntryPipeline(OpPassManager &pm, const EntryPipelineOptions &options) {
  // Entry functions take buffers; weights become arguments bound by name at open time.
  addStep(pm, "attune-lower-entry");
  // Matmuls by weights read them as the panels the matmul kernel streams, packed at open.
  if (options.packWeights)
    addStep(pm, "attune-pack-weights{precision=" + options.precision + "}");
  // Bias, activation and residual after a packed product: applied in its registers.
  if (options.packWeights && options.fuseEpilogues)
    addStep(pm, "func.func(attune-fuse-epilogues)");
  // The norm after a residual add: normalized by the matmul kernel while its rows are in cache.
  if (options.packWeights && options.fuseEpilogues && options.fuseNorms)
    addStep(pm, "func.func(attune-fuse-norms)");
}

void attune::buildCpuKernelPipeline(OpPassManager &pm, const KernelPipelineOptions &options) {
  buildKernelsPipeline(pm, options);
  buildTiledPipeline(pm, options);
  buildLlvmPipeline(pm);
}

void attune::buildKernelsPipeline(OpPassManager &pm, const KernelPipelineOptions &options) {
  // Graph ops become linalg on tensors, attention and packed matmuls vector kernels on buffers
  // (register tiles sized by the module's attune.target); folding removes the shape plumbing.
  auto flag = [](bool value) { return std::string(value ? "true" : "false"); };
  // Products by packed weights become calls of register-tiled kernels, one per shape.
  if (options.vectorMatmul)
    addStep(pm, "attune-lower-matmul{copy-rows=" + flag(options.copyMatmulRows) + "}");
  addStep(pm, "func.func(attune-lower-to-linalg{decompose-attention=" +
                  flag(options.decomposeAttention) +
                  " attention-block=" + std::to_string(options.attentionBlock) +
                  " attention-query-block=" + std::to_string(options.attentionQueryBlock) +
                  " vector-attention=" + flag(options.vectorAttention) +
                  " vector-norms=" + flag(options.vectorNorms) + "}),canonicalize,cse");
  // Elementwise chains (bias + GELU, scale + mask) become one loop nest: fewer temporaries.
  addStep(pm, "func.func(attune-fuse-elementwise),canonicalize,cse");
  // tanh, erf, exp as polynomials: no libm calls in loops, which can then be vectorized.
  addStep(pm, "func.func(attune-approximate-math)");
}

void attune::buildSchedulePipeline(OpPassManager &pm, const std::string &path) {
  // The script is loaded as a transform library; its entry point runs on the whole module.
  addStep(pm, "transform-preload-library{transform-library-paths=" + path +
                  "},transform-interpreter,canonicalize,cse");
}

void attune::buildTiledPipeline(OpPassManager &pm, const KernelPipelineOptions &options) {
  // Each destination its own empty tensor (CSE merged those of one shape), so each gets its
  // own buffer and the memory plan sees its real lifetime.
  addStep(pm, "func.func(attune-split-empty-tensors)");
  // Tensors to buffers; empty tensors that feed a destination are reused rather than copied.
  // The attention kernel's loop carries new running statistics each step: allowed to allocate.
  addStep(pm, "eliminate-empty-tensors,one-shot-bufferize{allow-return-allocs-from-loops},"
              "canonicalize");
  // Every intermediate at an offset of one workspace, planned from liveness: a call
  // allocates nothing, and the library says beforehand how many bytes it needs.
  addStep(pm, options.reportMemoryPlan ? "attune-plan-memory{report=true}" : "attune-plan-memory");
  // Whatever the plan left out is freed on every path (no leak per call).
  addStep(pm, "buffer-deallocation-pipeline");
  // Prefetches the kernels asked for (after deallocation, which rejects them).
  addStep(pm, "func.func(attune-insert-prefetches)");
  // bf16 dot products as their intrinsic (after deallocation, which rejects intrinsic calls).
  addStep(pm, "attune-lower-bf16-dot");
  // The kernel table; each kernel timed when the runtime profiles a run.
  addStep(pm, std::string("attune-instrument-kernels{hooks=") +
                  (options.profileHooks ? "true" : "false") + "}");
  // Copies of strided buffers (a slice into the dense buffer a kernel reads) become loops:
  // the library has no MLIR runtime for memref.copy of them.
  addStep(pm, "func.func(attune-lower-strided-copies)");
  // The linalg ops left (gathers, transposes, elementwise) run on the thread pool too.
  if (options.parallelLoops)
    addStep(pm, "func.func(attune-parallelize-loops{task-size=" +
                    std::to_string(options.loopTaskSize) + "})");
  // Task loops (the kernels' and the linalg ops') become functions over a task range.
  addStep(pm, "attune-outline-parallel");
  // Each layer's kernels, outlined alike, become one function: lowered and generated once.
  addStep(pm, "attune-merge-identical-functions");
}

void attune::buildLlvmPipeline(OpPassManager &pm) {
  // Loops, then plain control flow and address arithmetic.
  addStep(pm, "func.func(convert-linalg-to-loops),convert-scf-to-cf,expand-strided-metadata,"
              "lower-affine");
  // Math ops with an LLVM intrinsic (fma, sqrt) become it; anything left without one calls
  // libm (the library links only libc and libm).
  addStep(pm, "convert-math-to-llvm,convert-math-to-libm");
  // Temporaries are allocated through the runtime's arena (runtime/src/arena.c), not malloc.
  addStep(pm, "convert-vector-to-llvm,"
              "finalize-memref-to-llvm{use-generic-functions},convert-arith-to-llvm,"
              "convert-index-to-llvm,"
              "convert-func-to-llvm,convert-cf-to-llvm,reconcile-unrealized-casts");
  // Calls over task ranges go to the runtime's thread pool (runtime/src/parallel.c).
  addStep(pm, "attune-lower-parallel-calls");
}
