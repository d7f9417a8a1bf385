// Sizes the generated code computes at run time (index arithmetic over memref dims), worked
// out at compile time for given values of the symbolic dims: what --report shows of the
// FLOPs and bytes the profiling hooks will count.
#ifndef ATTUNE_TOOLS_ATTUNE_STATICSIZES_H
#define ATTUNE_TOOLS_ATTUNE_STATICSIZES_H

#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/Value.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringMap.h"

#include <optional>

namespace attune {

class StaticSizes {
public:
  /// `dims`: a value for every symbolic dim an entry argument names (attune.dims).
  explicit StaticSizes(const llvm::StringMap<int64_t> &dims) : dims(dims) {}

  /// The value of an integer or index `value`; none if it depends on anything but constants
  /// and the dims of entry arguments, allocations and views of them.
  std::optional<int64_t> valueOf(mlir::Value value);
  /// Dim `index` of a memref.
  std::optional<int64_t> dimOf(mlir::Value memref, int64_t index);

private:
  std::optional<int64_t> compute(mlir::Value value);
  std::optional<int64_t> valueOf(mlir::OpFoldResult size);

  const llvm::StringMap<int64_t> &dims;
  llvm::DenseMap<mlir::Value, std::optional<int64_t>> known;
};

} // namespace attune

#endif // ATTUNE_TOOLS_ATTUNE_STATICSIZES_H
