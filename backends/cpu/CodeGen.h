// The CPU code generator: an LLVM-dialect module becomes an optimized LLVM module with the
// runtime-facing symbols (NAME_manifest, NAME_entry), then object code or assembly, then a
// shared library linked with the attune runtime.
#ifndef ATTUNE_BACKENDS_CPU_CODEGEN_H
#define ATTUNE_BACKENDS_CPU_CODEGEN_H

#include "backends/cpu/ModelInterface.h"
#include "ir/Target.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/Error.h"

#include <memory>
#include <string>
#include <vector>

namespace attune {

struct CpuTargetOptions {
  /// An LLVM CPU name ("znver4", "x86-64-v3") or "native" for the machine compiling.
  std::string cpu = "native";
  /// 0-3, as for clang.
  unsigned optLevel = 3;
};

/// The target as the kernels tile for it (recorded on the module as attune.target): f32
/// lanes per register and register count (AVX-512: 16 and 32; AVX2: 8 and 16; SSE: 4 and 16),
/// data cache sizes (the machine's own for "native"). An unknown CPU name is an error.
llvm::Expected<TargetDescription> describeTarget(const CpuTargetOptions &options);

/// Translates `module` (LLVM dialect) to LLVM IR, adds NAME_manifest and NAME_entry, hides
/// every other definition, and runs LLVM's optimization pipeline for the target.
llvm::Expected<std::unique_ptr<llvm::Module>>
translateToLLVMIR(mlir::ModuleOp module, llvm::LLVMContext &context,
                  const ModelInterface &interface, const CpuTargetOptions &options);

/// Writes `module` as object code (or as assembly text) to `path`, and returns the files
/// written: the matmul kernels (functions named kMatmulKernelPrefix...) are generated apart,
/// scheduled top-down, into `path` with ".matmul" before its extension; assembly to "-" is
/// both, one after the other. Moves the kernels' bodies out of `module`.
llvm::Expected<std::vector<std::string>> emitMachineCode(llvm::Module &module,
                                                         const CpuTargetOptions &options,
                                                         llvm::StringRef path, bool assembly);

/// Links `objects` and the runtime archive into the shared library `output` with `linker`
/// (a C compiler driver). The library is written under a temporary name and renamed, so a
/// failed link leaves no partial file.
llvm::Error linkSharedLibrary(llvm::StringRef linker, llvm::ArrayRef<std::string> objects,
                              llvm::StringRef runtimeArchive, llvm::StringRef output);

} // namespace attune

#endif // ATTUNE_BACKENDS_CPU_CODEGEN_H
