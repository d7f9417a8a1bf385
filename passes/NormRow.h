// One row of a layer or RMS norm as vector loops on buffers: the one definition of how the
// norm kernels round (VectorNorm.cpp's kernel, and the matmul kernel's fused norm), so a
// norm gives the same bits fused or not.
#ifndef ATTUNE_PASSES_NORMROW_H
#define ATTUNE_PASSES_NORMROW_H

#include "passes/KernelBuilder.h"

namespace attune {

class NormRowEmitter : KernelBuilder {
public:
  /// A norm over rows of `width` f32, whole vectors of `lanes`; `gain` and `bias` are [width]
  /// buffers, `bias` null for RMS norm. Its constants are built at `b`'s insertion point.
  NormRowEmitter(mlir::OpBuilder &b, mlir::Location loc, int64_t lanes, int64_t width,
                 mlir::Value gain, mlir::Value bias, double epsilon);

  /// out[lead..., :] = norm(x[lead..., :]). Layer norm reads the row twice (its sum, then the
  /// squares about the mean: the two passes PyTorch's accuracy needs) and once more to
  /// normalize; RMS norm once, then to normalize. Sums are kept in one vector of lanes and
  /// reduced at the end.
  void emit(mlir::Value x, mlir::Value out, llvm::ArrayRef<mlir::Value> lead);

  /// Floating-point operations per element: layer norm sums x and (x − mean)² and computes
  /// (x − mean) / root · g + b (8); RMS norm sums x² and computes g · (x · 1/root) (4).
  static int64_t flopsPerElement(bool layerNorm) { return layerNorm ? 8 : 4; }
  int64_t flopsPerElement() const { return flopsPerElement(bool(bias)); }

private:
  mlir::Value load(mlir::Value memref, llvm::ArrayRef<mlir::Value> indices);
  mlir::Value broadcast(mlir::Value scalar);
  mlir::Value rowSum(mlir::Value x, llvm::ArrayRef<mlir::Value> lead,
                     llvm::function_ref<mlir::Value(mlir::Value)> term);

  int64_t width;
  mlir::Value gain, bias, invN, eps;
};

} // namespace attune

#endif // ATTUNE_PASSES_NORMROW_H
