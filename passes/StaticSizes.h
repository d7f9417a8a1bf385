// Sizes the generated code computes at run time (index arithmetic over memref dims), traced
// back to the dims of entry arguments: worked out at compile time for given values of the
// symbolic dims (what --report shows of FLOPs and bytes, what the memory plan places), or
// rebuilt as IR anywhere the dims of the arguments can be had (the memory plan's offsets at
// the top of an entry and in its size function).
#ifndef ATTUNE_PASSES_STATICSIZES_H
#define ATTUNE_PASSES_STATICSIZES_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/Value.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/ADT/StringMap.h"

#include <optional>

namespace attune {

/// What dim `index` of a memref equals, one step back through the op that made it: a
/// constant, an index value (an allocation's or a view's size operand), the product of dims of
/// other memrefs (a collapse; one factor for casts and transposes), or the named dynamic dim of
/// an entry argument (a leaf). `Unknown` where the memref comes from elsewhere.
struct DimOrigin {
  enum Kind { Unknown, Constant, Size, Product, Argument } kind = Unknown;
  int64_t constant = 0;
  mlir::Value size;
  llvm::SmallVector<std::pair<mlir::Value, int64_t>, 2> factors;
  /// Argument: the function argument and the name of its dim (attune.dims); none if unnamed.
  mlir::BlockArgument argument;
  llvm::StringRef symbol;
};
DimOrigin originOfDim(mlir::Value memref, int64_t index);

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

  const llvm::StringMap<int64_t> &dims;
  llvm::DenseMap<mlir::Value, std::optional<int64_t>> known;
};

/// Rebuilds index values at the builder's insertion point from constants and the named dims
/// of entry arguments, which `symbolValue` provides there (an index value per symbol name).
/// Each value is built once per rebuilder.
class SizeRebuilder {
public:
  using SymbolValue = llvm::function_ref<mlir::Value(mlir::OpBuilder &, llvm::StringRef)>;
  SizeRebuilder(mlir::OpBuilder &builder, SymbolValue symbolValue)
      : builder(builder), symbolValue(symbolValue) {}

  /// Whether `value` can be rebuilt: it depends only on constants, pure integer arithmetic and
  /// named dims of entry arguments (through allocations and views). Adds the names it reads.
  static bool canRebuild(mlir::Value value, llvm::SmallVectorImpl<llvm::StringRef> *symbols);
  mlir::Value rebuild(mlir::Value value);
  mlir::Value rebuildDim(mlir::Value memref, int64_t index);

private:
  mlir::OpBuilder &builder;
  SymbolValue symbolValue;
  mlir::IRMapping built;
  llvm::DenseMap<std::pair<mlir::Value, int64_t>, mlir::Value> builtDims;
};

} // namespace attune

#endif // ATTUNE_PASSES_STATICSIZES_H
