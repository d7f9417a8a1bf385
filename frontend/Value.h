// The values a model description computes with while it is elaborated: numbers, strings and
// lists (evaluated at compile time), symbolic dims, and tensors (SSA values in the graph with a
// shape whose dynamic dims are named, so shape errors can say "seq" rather than "?").
#ifndef ATTUNE_FRONTEND_VALUE_H
#define ATTUNE_FRONTEND_VALUE_H

#include "mlir/IR/Value.h"

#include <memory>
#include <string>
#include <vector>

namespace attune {

struct Closure; // a function defined inside a model, with the names it sees (ElaboratorImpl.h)

/// One dim of a tensor: a static size, or a named symbolic dim (batch, seq).
struct SymDim {
  int64_t size = -1;
  std::string symbol;

  bool isSymbolic() const { return !symbol.empty(); }
  bool operator==(const SymDim &other) const {
    return size == other.size && symbol == other.symbol;
  }
  std::string str() const { return isSymbolic() ? symbol : std::to_string(size); }
};

using SymShape = std::vector<SymDim>;

std::string shapeString(const SymShape &shape);

struct Val {
  enum class Kind { Int, Float, Str, Bool, List, Dim, Tensor, Function };
  Kind kind = Kind::Int;
  int64_t i = 0;
  double f = 0;
  std::string s;           // Str
  std::vector<Val> list;   // List
  SymDim dim;              // Dim (always symbolic)
  mlir::Value tensor;      // Tensor
  SymShape shape;          // Tensor
  std::shared_ptr<Closure> closure; // Function

  static Val ofInt(int64_t v) { Val x; x.kind = Kind::Int; x.i = v; return x; }
  static Val ofFloat(double v) { Val x; x.kind = Kind::Float; x.f = v; return x; }
  static Val ofStr(std::string v) { Val x; x.kind = Kind::Str; x.s = std::move(v); return x; }
  static Val ofBool(bool v) { Val x; x.kind = Kind::Bool; x.i = v; return x; }
  static Val ofList(std::vector<Val> v) { Val x; x.kind = Kind::List; x.list = std::move(v); return x; }
  static Val ofDim(SymDim d) { Val x; x.kind = Kind::Dim; x.dim = std::move(d); return x; }
  static Val ofTensor(mlir::Value v, SymShape shape) {
    Val x; x.kind = Kind::Tensor; x.tensor = v; x.shape = std::move(shape); return x;
  }

  static Val ofClosure(std::shared_ptr<Closure> c) {
    Val x; x.kind = Kind::Function; x.closure = std::move(c); return x;
  }

  bool isNumber() const { return kind == Kind::Int || kind == Kind::Float; }
  double asDouble() const { return kind == Kind::Int ? static_cast<double>(i) : f; }
  /// "an int", "a tensor f32[batch, seq, 64]", ... for error messages.
  std::string describe() const;
};

} // namespace attune

#endif // ATTUNE_FRONTEND_VALUE_H
