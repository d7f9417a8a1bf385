// The machine a module is compiled for, as its kernels tile for it. The driver records it on
// the module once (`attune.target`), from --cpu; every pass that sizes a register tile or a
// cache block reads it from there, so `attune build` and `attune-opt` on the printed module
// make the same choices.
//
//   module attributes {attune.target = {cpu = "sapphirerapids", lanes = 16 : i64,
//                      registers = 32 : i64, l1 = 49152 : i64, l2 = 2097152 : i64,
//                      bf16_dot}}
#ifndef ATTUNE_IR_TARGET_H
#define ATTUNE_IR_TARGET_H

#include "mlir/IR/BuiltinOps.h"

#include <string>

namespace attune {

constexpr llvm::StringLiteral kTargetAttrName = "attune.target";

/// Functions named with this prefix are matmul kernels (attune-lower-matmul names them, the
/// task functions outlined from them keep it); code generation schedules them apart from the
/// rest of the model (backends/cpu/CodeGen.cpp).
constexpr llvm::StringLiteral kMatmulKernelPrefix = "attune_matmul_";

struct TargetDescription {
  /// The LLVM CPU name the code is generated for.
  std::string cpu = "x86-64-v3";
  /// f32 lanes per vector register and vector registers (AVX2: 8 and 16; AVX-512: 16, 32).
  int64_t lanes = 8;
  int64_t registers = 16;
  /// Data cache bytes per core: L1 and L2.
  int64_t l1Bytes = 32 * 1024;
  int64_t l2Bytes = 1024 * 1024;
  /// Whether the CPU has a bf16 dot product with f32 sums (AVX512_BF16's vdpbf16ps): bf16
  /// weights are then packed in k pairs and the products of --precision=bf16 use it.
  bool bf16Dot = false;
};

/// Records `target` on `module`.
void setTarget(mlir::ModuleOp module, const TargetDescription &target);

/// The target recorded on the module around `op`; the defaults above (AVX2) where none is.
/// Fields missing from the attribute keep their defaults.
TargetDescription targetOf(mlir::Operation *op);

} // namespace attune

#endif // ATTUNE_IR_TARGET_H
