// Building blocks of the kernels written directly with vectors on buffers (the matmul and
// norm kernels, the task loops of attune-parallelize-loops): index arithmetic, structured loops and branches whose bodies are built with
// the same builder, f32 vectors of the target's width, rows of a tensor's leading dims, and
// read-only views of tensor operands.
#ifndef ATTUNE_PASSES_KERNELBUILDER_H
#define ATTUNE_PASSES_KERNELBUILDER_H

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/IR/Builders.h"

namespace attune {

class KernelBuilder {
public:
  KernelBuilder(mlir::OpBuilder &b, mlir::Location loc, int64_t lanes)
      : b(b), loc(loc), lanes(lanes), f32(b.getF32Type()) {}

  // ---- index arithmetic ----
  mlir::Value index(int64_t value);
  mlir::Value add(mlir::Value x, mlir::Value y);
  mlir::Value sub(mlir::Value x, mlir::Value y);
  mlir::Value mul(mlir::Value x, mlir::Value y);
  mlir::Value minIndex(mlir::Value x, mlir::Value y);
  mlir::Value ceilDiv(mlir::Value x, int64_t d);
  /// ceil(x / d) for d > 0 known only at run time (spelled out: the CPU lowering has no
  /// pattern for arith.ceildivui).
  mlir::Value ceilDiv(mlir::Value x, mlir::Value d);
  /// x rounded down to a multiple of m.
  mlir::Value floorTo(mlir::Value x, int64_t m);

  // ---- f32 vectors of `lanes` ----
  mlir::VectorType vecType();
  mlir::Value splat(double value);

  // ---- control flow (bodies are built with `b` at the right place) ----
  void loop(mlir::Value lb, mlir::Value ub, int64_t step,
            llvm::function_ref<void(mlir::Value)> body);
  llvm::SmallVector<mlir::Value>
  loop(mlir::Value lb, mlir::Value ub, int64_t step, mlir::ValueRange init,
       llvm::function_ref<llvm::SmallVector<mlir::Value>(mlir::Value, mlir::ValueRange)> body);
  /// if (condition) then() else otherwise(), the values each yields the results.
  llvm::SmallVector<mlir::Value>
  ifElse(mlir::Value condition, llvm::function_ref<llvm::SmallVector<mlir::Value>()> then,
         llvm::function_ref<llvm::SmallVector<mlir::Value>()> otherwise);
  void when(mlir::Value condition, llvm::function_ref<void()> then);
  /// scf.parallel over [0, tasks) marked `attune.tasks` (attune-outline-parallel).
  void tasks(mlir::Value count, llvm::function_ref<void(mlir::Value)> body);

  // ---- the kernel table ----
  /// Declares that the next operation built (the call or task loop that runs the kernel) is
  /// kernel `name` with `fused` folded in, doing `flops` floating-point operations
  /// (attune.kernel_cost; see attune-instrument-kernels).
  void declareKernel(llvm::StringRef name, llvm::ArrayRef<llvm::StringRef> fused,
                     mlir::Value flops);

  // ---- rows ----
  /// The indices of flattened row `row` over leading dims of sizes `leadSizes` (row-major).
  llvm::SmallVector<mlir::Value> rowIndices(mlir::Value row, mlir::ValueRange leadSizes);
  static llvm::SmallVector<mlir::Value> with(llvm::ArrayRef<mlir::Value> lead, mlir::Value last);

protected:
  mlir::OpBuilder &b;
  mlir::Location loc;
  int64_t lanes;
  mlir::Type f32;
};

/// A read-only view of `tensor`: any strides but a contiguous last dim.
mlir::Value readOnlyView(mlir::OpBuilder &b, mlir::Location loc, mlir::Value tensor);

/// The materialization of `result` into an entry's output buffer, if that is its only use: a
/// kernel then writes there directly.
mlir::bufferization::MaterializeInDestinationOp inPlaceDestination(mlir::Value result);

/// The buffer a kernel writes `result` into: the entry's output buffer when that is where the
/// result goes (`destination` is then set; erase it once the kernel is built), else a new
/// 64-byte aligned dense buffer sized by `dynamicSizes`.
mlir::Value resultBuffer(mlir::OpBuilder &b, mlir::Location loc, mlir::Value result,
                         mlir::ValueRange dynamicSizes,
                         mlir::bufferization::MaterializeInDestinationOp &destination);

} // namespace attune

#endif // ATTUNE_PASSES_KERNELBUILDER_H
