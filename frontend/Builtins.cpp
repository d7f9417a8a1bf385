// The primitive operations of the language: each checks its arguments' kinds and symbolic
// shapes (so errors name the offending dims at the call site) and builds one attune op.
#include "frontend/ElaboratorImpl.h"

#include "llvm/ADT/StringSet.h"

#include <cmath>
#include <numeric>

using namespace mlir;
using namespace attune;
using llvm::SMLoc;

namespace {

/// Positional + keyword arguments matched to a builtin's parameter list.
class Args {
public:
  Args(Elaborator &e, llvm::StringRef callee, SMLoc loc) : e(e), callee(callee), loc(loc) {}

  /// Binds `args` to `params` (the first `required` are mandatory). False after an error.
  bool bind(std::vector<Val> &args, const std::vector<std::string> &keywords,
            std::vector<std::string> params, size_t required) {
    names = std::move(params);
    values.assign(names.size(), std::nullopt);
    for (size_t i = 0; i < args.size(); ++i) {
      size_t index = i;
      if (!keywords[i].empty()) {
        auto it = llvm::find(names, keywords[i]);
        if (it == names.end())
          return e.error(loc, callee + "() has no parameter named '" + keywords[i] + "'");
        index = it - names.begin();
      } else if (i >= names.size()) {
        return e.error(loc, callee + "() takes at most " + std::to_string(names.size()) +
                                " arguments, got " + std::to_string(args.size()));
      }
      if (values[index])
        return e.error(loc, "argument '" + names[index] + "' of " + callee + "() given twice");
      values[index] = args[i];
    }
    for (size_t i = 0; i < required; ++i)
      if (!values[i])
        return e.error(loc, callee + "() is missing its argument '" + names[i] + "'");
    return true;
  }

  bool has(size_t i) const { return values[i].has_value(); }
  const Val &operator[](size_t i) const { return *values[i]; }

  bool tensor(size_t i, Type element = {}) {
    const Val &v = *values[i];
    if (v.kind != Val::Kind::Tensor)
      return wrong(i, "a tensor", v);
    if (element && cast<RankedTensorType>(v.tensor.getType()).getElementType() != element) {
      std::string name;
      llvm::raw_string_ostream os(name);
      os << element;
      return wrong(i, "a " + name + " tensor", v);
    }
    return true;
  }
  bool integer(size_t i) {
    return values[i]->kind == Val::Kind::Int || wrong(i, "an integer", *values[i]);
  }
  bool number(size_t i) { return values[i]->isNumber() || wrong(i, "a number", *values[i]); }
  bool string(size_t i) {
    return values[i]->kind == Val::Kind::Str || wrong(i, "a string", *values[i]);
  }
  bool list(size_t i) {
    return values[i]->kind == Val::Kind::List || wrong(i, "a list", *values[i]);
  }
  /// An optional string that must be one of `allowed`; absent, the first of them.
  bool choice(size_t i, ArrayRef<StringRef> allowed, std::string &chosen) {
    chosen = allowed.front().str();
    if (!has(i))
      return true;
    if (!string(i))
      return false;
    if (llvm::is_contained(allowed, values[i]->s)) {
      chosen = values[i]->s;
      return true;
    }
    std::string expected;
    for (size_t k = 0; k < allowed.size(); ++k)
      expected += (k == 0 ? "" : k + 1 == allowed.size() ? " or " : ", ") +
                  ("\"" + allowed[k] + "\"").str();
    return e.error(loc, callee + "(): '" + names[i] + "' must be " + expected + ", got \"" +
                            values[i]->s + "\"");
  }
  /// An axis of a rank-`rank` tensor; negative counts from the end. Stored normalised.
  bool axis(size_t i, int64_t rank, int64_t &axis) {
    if (!integer(i))
      return false;
    axis = (*values[i]).i;
    if (axis < -rank || axis >= rank)
      return e.error(loc, callee + "(): axis " + std::to_string(axis) + " is out of range for "
                              "rank " + std::to_string(rank));
    if (axis < 0)
      axis += rank;
    return true;
  }

private:
  bool wrong(size_t i, const std::string &expected, const Val &got) {
    return e.error(loc, callee + "(): '" + names[i] + "' must be " + expected + ", got " +
                            got.describe());
  }

  Elaborator &e;
  std::string callee;
  SMLoc loc;
  std::vector<std::string> names;
  std::vector<std::optional<Val>> values;
};

Type elementOf(const Val &v) { return cast<RankedTensorType>(v.tensor.getType()).getElementType(); }

} // namespace

std::optional<Val> Elaborator::tensorBinary(llvm::StringRef op, Val lhs, Val rhs, SMLoc loc) {
  if (!requireEntry(loc))
    return std::nullopt;
  static const llvm::StringMap<const char *> predicates = {
      {"<", "lt"}, {"<=", "le"}, {">", "gt"}, {">=", "ge"}, {"==", "eq"}, {"!=", "ne"}};
  bool compare = predicates.count(op);
  // A number beside an integer tensor becomes an integer scalar of its type.
  Val *tensorSide = lhs.kind == Val::Kind::Tensor ? &lhs : &rhs;
  bool integerTensor =
      tensorSide->kind == Val::Kind::Tensor && !elementOf(*tensorSide).isF32();
  for (Val *operand : {&lhs, &rhs}) {
    if (operand->kind == Val::Kind::Int && integerTensor) {
      auto type = RankedTensorType::get({}, elementOf(*tensorSide));
      auto attr = DenseElementsAttr::get(type, b.getIntegerAttr(type.getElementType(), operand->i));
      *operand = Val::ofTensor(b.create<arith::ConstantOp>(locationOf(loc), attr), {});
    }
    if (operand->isNumber() && !compare)
      *operand = scalarTensor(operand->asDouble(), loc);
    if (operand->kind != Val::Kind::Tensor) {
      error(loc, "cannot apply '" + op + "' to " + lhs.describe() + " and " + rhs.describe());
      return std::nullopt;
    }
  }
  Type element = elementOf(lhs);
  bool integerArithmetic = !compare && op != "/" && !element.isF32();
  if (element != elementOf(rhs) || (compare ? element.isF32() : !element.isF32() && !integerArithmetic) ||
      element.isInteger(1)) {
    error(loc, std::string("'") + op.str() + "' needs two " +
                   (compare ? "integer" : op == "/" ? "f32" : "f32 or two integer") +
                   " tensors, got " + lhs.describe() + " and " + rhs.describe());
    return std::nullopt;
  }
  std::optional<SymShape> shape = broadcast(lhs.shape, rhs.shape, loc);
  if (!shape)
    return std::nullopt;
  Location at = locationOf(loc);
  Operation *built;
  if (compare) {
    built = b.create<CompareOp>(at, tensorType(*shape, b.getI1Type()), lhs.tensor, rhs.tensor,
                                b.getStringAttr(predicates.lookup(op)));
  } else {
    RankedTensorType type = tensorType(*shape, element);
    if (op == "+")
      built = b.create<AddOp>(at, type, lhs.tensor, rhs.tensor);
    else if (op == "-")
      built = b.create<SubOp>(at, type, lhs.tensor, rhs.tensor);
    else if (op == "*")
      built = b.create<MulOp>(at, type, lhs.tensor, rhs.tensor);
    else if (op == "/")
      built = b.create<DivOp>(at, type, lhs.tensor, rhs.tensor);
    else {
      error(loc, "'" + op + "' is not defined on tensors");
      return std::nullopt;
    }
  }
  if (!verifyBuilt(built, *shape, loc))
    return std::nullopt;
  return Val::ofTensor(built->getResult(0), *shape);
}

std::optional<Val> Elaborator::callBuiltin(const std::string &name, std::vector<Val> &args,
                                           const std::vector<std::string> &keywords, SMLoc loc,
                                           bool &found) {
  found = true;
  static const llvm::StringSet<> compileTime = {"dim", "sqrt", "log", "abs", "int", "min", "max",
                                                "bound"};
  if (!compileTime.contains(name) && !requireEntry(loc))
    return std::nullopt;
  Location at = locationOf(loc);
  Args a(*this, name, loc);
  Type f32 = b.getF32Type();
  auto result = [&](Operation *op, SymShape shape) -> std::optional<Val> {
    if (!verifyBuilt(op, shape, loc))
      return std::nullopt;
    return Val::ofTensor(op->getResult(0), std::move(shape));
  };

  if (name == "weight") {
    if (!a.bind(args, keywords, {"name", "shape"}, 2) || !a.string(0) || !a.list(1))
      return std::nullopt;
    SymShape shape;
    for (const Val &dim : a[1].list) {
      if (dim.kind != Val::Kind::Int || dim.i < 1) {
        error(loc, "weight(): shape entries must be positive integers, got " + dim.describe());
        return std::nullopt;
      }
      shape.push_back(SymDim{dim.i, ""});
    }
    return result(b.create<WeightOp>(at, tensorType(shape, f32), a[0].s), shape);
  }

  if (name == "embed") {
    if (!a.bind(args, keywords, {"table", "ids"}, 2) || !a.tensor(0) || !a.tensor(1))
      return std::nullopt;
    if (a[0].shape.empty() || a[0].shape[0].isSymbolic() || elementOf(a[0]).isInteger(1)) {
      error(loc, "embed(): 'table' must be a tensor with a static first dim, got " +
                     a[0].describe());
      return std::nullopt;
    }
    if (elementOf(a[1]).isF32() || elementOf(a[1]).isInteger(1)) {
      error(loc, "embed(): 'ids' must be an integer tensor, got " + a[1].describe());
      return std::nullopt;
    }
    SymShape shape = a[1].shape;
    shape.insert(shape.end(), a[0].shape.begin() + 1, a[0].shape.end());
    return result(b.create<EmbedOp>(at, tensorType(shape, elementOf(a[0])), a[0].tensor,
                                    a[1].tensor),
                  shape);
  }

  if (name == "matmul") {
    if (!a.bind(args, keywords, {"a", "b"}, 2) || !a.tensor(0, f32) || !a.tensor(1, f32))
      return std::nullopt;
    const SymShape &x = a[0].shape, &y = a[1].shape;
    if (x.size() < 2 || y.size() < 2) {
      error(loc, "matmul(): operands need rank >= 2, got " + shapeString(x) + " and " +
                     shapeString(y));
      return std::nullopt;
    }
    if (!(x.back() == y[y.size() - 2])) {
      error(loc, "matmul(): cannot contract " + shapeString(x) + " with " + shapeString(y) +
                     ": inner dims " + x.back().str() + " and " + y[y.size() - 2].str() +
                     " differ");
      return std::nullopt;
    }
    std::optional<SymShape> shape = broadcast(SymShape(x.begin(), x.end() - 2),
                                              SymShape(y.begin(), y.end() - 2), loc);
    if (!shape)
      return std::nullopt;
    shape->push_back(x[x.size() - 2]);
    shape->push_back(y.back());
    return result(b.create<MatmulOp>(at, tensorType(*shape, f32), a[0].tensor, a[1].tensor),
                  *shape);
  }

  if (name == "transpose") {
    if (!a.bind(args, keywords, {"x", "perm"}, 2) || !a.tensor(0) || !a.list(1))
      return std::nullopt;
    int64_t rank = a[0].shape.size();
    std::vector<int64_t> perm;
    std::vector<bool> seen(rank, false);
    for (const Val &p : a[1].list) {
      int64_t axis = p.kind == Val::Kind::Int ? p.i : rank;
      if (axis < 0)
        axis += rank;
      if (axis < 0 || axis >= rank || seen[axis] ||
          static_cast<int64_t>(a[1].list.size()) != rank) {
        error(loc, "transpose(): 'perm' must be a permutation of the " + std::to_string(rank) +
                       " dims of " + a[0].describe());
        return std::nullopt;
      }
      seen[axis] = true;
      perm.push_back(axis);
    }
    SymShape shape;
    for (int64_t p : perm)
      shape.push_back(a[0].shape[p]);
    return result(b.create<TransposeOp>(at, tensorType(shape, elementOf(a[0])), a[0].tensor,
                                        perm),
                  shape);
  }

  if (name == "reshape" || name == "unsqueeze") {
    SymShape shape;
    if (name == "reshape") {
      if (!a.bind(args, keywords, {"x", "shape"}, 2) || !a.tensor(0) || !a.list(1))
        return std::nullopt;
      for (const Val &dim : a[1].list) {
        if (dim.kind == Val::Kind::Dim)
          shape.push_back(dim.dim);
        else if (dim.kind == Val::Kind::Int && dim.i > 0)
          shape.push_back(SymDim{dim.i, ""});
        else {
          error(loc, "reshape(): sizes must be positive integers or symbolic dims, got " +
                         dim.describe());
          return std::nullopt;
        }
      }
    } else {
      int64_t axis;
      if (!a.bind(args, keywords, {"x", "axis"}, 2) || !a.tensor(0) ||
          !a.axis(1, a[0].shape.size() + 1, axis))
        return std::nullopt;
      shape = a[0].shape;
      shape.insert(shape.begin() + axis, SymDim{1, ""});
    }
    // The same symbolic dims in the same order (only adjacent dims are split or merged) and
    // the same static element count.
    auto summary = [](const SymShape &s) {
      std::vector<std::string> names;
      int64_t product = 1;
      for (const SymDim &d : s)
        d.isSymbolic() ? names.push_back(d.symbol) : void(product *= d.size);
      return std::make_pair(names, product);
    };
    if (summary(shape) != summary(a[0].shape)) {
      error(loc, "reshape(): cannot reshape " + shapeString(a[0].shape) + " into " +
                     shapeString(shape));
      return std::nullopt;
    }
    SmallVector<Value> sizes;
    for (const SymDim &d : shape)
      if (d.isSymbolic())
        sizes.push_back(symbolValue(d.symbol));
    return result(b.create<ReshapeOp>(at, tensorType(shape, elementOf(a[0])), a[0].tensor, sizes),
                  shape);
  }

  if (name == "slice" || name == "split") {
    bool isSplit = name == "split";
    int64_t axis;
    bool ok = isSplit ? a.bind(args, keywords, {"x", "parts", "axis"}, 2)
                      : a.bind(args, keywords, {"x", "axis", "start", "end"}, 4);
    if (!ok || !a.tensor(0))
      return std::nullopt;
    int64_t rank = a[0].shape.size();
    if (isSplit) {
      if (!a.integer(1))
        return std::nullopt;
      axis = -1;
      if (a.has(2) && !a.axis(2, rank, axis))
        return std::nullopt;
      if (axis < 0)
        axis += rank;
    } else if (!a.axis(1, rank, axis) || !a.integer(2) || !a.integer(3)) {
      return std::nullopt;
    }
    const SymDim &dim = a[0].shape[axis];
    // A symbolic dim is at least 1 on every run, so [0, 1) of it (BERT's first token) is safe;
    // anything else needs a static dim.
    bool firstOfSymbolic = dim.isSymbolic() && !isSplit && a[2].i == 0 && a[3].i == 1;
    if (dim.isSymbolic() && !firstOfSymbolic) {
      error(loc, name + "(): dim " + std::to_string(axis) + " (" + dim.symbol +
                     ") is symbolic; only its first element [0, 1) or static dims can be sliced");
      return std::nullopt;
    }
    std::vector<std::pair<int64_t, int64_t>> ranges;
    if (isSplit) {
      int64_t parts = a[1].i;
      if (parts < 1 || dim.size % parts != 0) {
        error(loc, "split(): dim " + std::to_string(axis) + " of size " +
                       std::to_string(dim.size) + " does not split into " +
                       std::to_string(parts) + " equal parts");
        return std::nullopt;
      }
      for (int64_t p = 0; p < parts; ++p)
        ranges.emplace_back(p * dim.size / parts, (p + 1) * dim.size / parts);
    } else {
      int64_t start = a[2].i, end = a[3].i;
      if (!firstOfSymbolic && (start < 0 || end > dim.size || start >= end)) {
        error(loc, "slice(): range [" + std::to_string(start) + ", " + std::to_string(end) +
                       ") is empty or outside dim " + std::to_string(axis) + " of size " +
                       std::to_string(dim.size));
        return std::nullopt;
      }
      ranges.emplace_back(start, end);
    }
    std::vector<Val> pieces;
    for (auto [start, end] : ranges) {
      SymShape shape = a[0].shape;
      shape[axis] = SymDim{end - start, ""};
      std::optional<Val> piece =
          result(b.create<SliceOp>(at, tensorType(shape, elementOf(a[0])), a[0].tensor, axis,
                                   start, end),
                 shape);
      if (!piece)
        return std::nullopt;
      pieces.push_back(*piece);
    }
    return isSplit ? Val::ofList(pieces) : pieces[0];
  }

  if (name == "layer_norm") {
    if (!a.bind(args, keywords, {"x", "gain", "bias", "eps"}, 4) || !a.tensor(0, f32) ||
        !a.tensor(1, f32) || !a.tensor(2, f32) || !a.number(3))
      return std::nullopt;
    SymShape last{a[0].shape.empty() ? SymDim{} : a[0].shape.back()};
    if (a[0].shape.empty() || a[1].shape != last || a[2].shape != last) {
      error(loc, "layer_norm(): gain and bias must be " + shapeString(last) + " to match " +
                     a[0].describe() + ", got " + a[1].describe() + " and " + a[2].describe());
      return std::nullopt;
    }
    return result(b.create<LayerNormOp>(at, a[0].tensor.getType(), a[0].tensor, a[1].tensor,
                                        a[2].tensor, b.getF64FloatAttr(a[3].asDouble())),
                  a[0].shape);
  }

  if (name == "rms_norm") {
    if (!a.bind(args, keywords, {"x", "gain", "eps"}, 3) || !a.tensor(0, f32) ||
        !a.tensor(1, f32) || !a.number(2))
      return std::nullopt;
    SymShape last{a[0].shape.empty() ? SymDim{} : a[0].shape.back()};
    if (a[0].shape.empty() || a[1].shape != last) {
      error(loc, "rms_norm(): gain must be " + shapeString(last) + " to match " +
                     a[0].describe() + ", got " + a[1].describe());
      return std::nullopt;
    }
    return result(b.create<RmsNormOp>(at, a[0].tensor.getType(), a[0].tensor, a[1].tensor,
                                      b.getF64FloatAttr(a[2].asDouble())),
                  a[0].shape);
  }

  if (name == "rope") {
    if (!a.bind(args, keywords, {"x", "positions", "theta"}, 3) || !a.tensor(0, f32) ||
        !a.tensor(1) || !a.number(2))
      return std::nullopt;
    const SymShape &x = a[0].shape;
    if (x.size() < 2 || x.back().isSymbolic() || x.back().size % 2 != 0) {
      error(loc, "rope(): 'x' must be [..., seq, head_dim] with an even head_dim, got " +
                     a[0].describe());
      return std::nullopt;
    }
    if (elementOf(a[1]).isF32() || a[1].shape.size() != 1 || !(a[1].shape[0] == x[x.size() - 2])) {
      error(loc, "rope(): 'positions' must be integers [" + x[x.size() - 2].str() +
                     "], got " + a[1].describe());
      return std::nullopt;
    }
    if (a[2].asDouble() <= 0) {
      error(loc, "rope(): 'theta' must be positive");
      return std::nullopt;
    }
    return result(b.create<RopeOp>(at, a[0].tensor.getType(), a[0].tensor, a[1].tensor,
                                   b.getF64FloatAttr(a[2].asDouble())),
                  x);
  }

  if (name == "softmax") {
    int64_t axis = -1;
    if (!a.bind(args, keywords, {"x", "axis"}, 1) || !a.tensor(0, f32))
      return std::nullopt;
    int64_t rank = a[0].shape.size();
    if (a.has(1) ? !a.axis(1, rank, axis) : false)
      return std::nullopt;
    if (axis < 0)
      axis += rank;
    return result(b.create<SoftmaxOp>(at, a[0].tensor.getType(), a[0].tensor, axis), a[0].shape);
  }

  if (name == "gelu") {
    if (!a.bind(args, keywords, {"x", "approximate"}, 1) || !a.tensor(0, f32))
      return std::nullopt;
    std::string mode;
    if (!a.choice(1, {"erf", "tanh"}, mode))
      return std::nullopt;
    return result(b.create<GeluOp>(at, a[0].tensor.getType(), a[0].tensor, mode), a[0].shape);
  }

  if (name == "relu" || name == "silu" || name == "tanh") {
    if (!a.bind(args, keywords, {"x"}, 1) || !a.tensor(0, f32))
      return std::nullopt;
    Type type = a[0].tensor.getType();
    Operation *op = name == "relu"   ? b.create<ReluOp>(at, type, a[0].tensor).getOperation()
                    : name == "silu" ? b.create<SiluOp>(at, type, a[0].tensor).getOperation()
                                     : b.create<TanhOp>(at, type, a[0].tensor).getOperation();
    return result(op, a[0].shape);
  }

  if (name == "iota") {
    if (!a.bind(args, keywords, {"n"}, 1))
      return std::nullopt;
    const Val &n = a[0];
    SymShape shape;
    Value size;
    if (n.kind == Val::Kind::Dim) {
      shape.push_back(n.dim);
      size = symbolValue(n.dim.symbol);
    } else if (n.kind == Val::Kind::Int && n.i > 0) {
      shape.push_back(SymDim{n.i, ""});
      size = b.create<arith::ConstantIndexOp>(at, n.i);
    } else {
      error(loc, "iota(): 'n' must be a positive integer or a symbolic dim, got " + n.describe());
      return std::nullopt;
    }
    return result(b.create<IotaOp>(at, tensorType(shape, b.getI32Type()), size), shape);
  }

  if (name == "where") {
    if (!a.bind(args, keywords, {"cond", "a", "b"}, 3) || !a.tensor(0, b.getI1Type()))
      return std::nullopt;
    Val onTrue = a[1], onFalse = a[2];
    for (Val *v : {&onTrue, &onFalse}) {
      if (v->isNumber())
        *v = scalarTensor(v->asDouble(), loc);
      if (v->kind != Val::Kind::Tensor || !elementOf(*v).isF32()) {
        error(loc, "where(): 'a' and 'b' must be f32 tensors or numbers, got " + v->describe());
        return std::nullopt;
      }
    }
    std::optional<SymShape> shape = broadcast(a[0].shape, onTrue.shape, loc);
    if (shape)
      shape = broadcast(*shape, onFalse.shape, loc);
    if (!shape)
      return std::nullopt;
    return result(b.create<SelectOp>(at, tensorType(*shape, f32), a[0].tensor, onTrue.tensor,
                                     onFalse.tensor),
                  *shape);
  }

  if (name == "dim") {
    int64_t axis;
    if (!a.bind(args, keywords, {"x", "axis"}, 2) || !a.tensor(0) ||
        !a.axis(1, a[0].shape.size(), axis))
      return std::nullopt;
    const SymDim &dim = a[0].shape[axis];
    return dim.isSymbolic() ? Val::ofDim(dim) : Val::ofInt(dim.size);
  }

  if (name == "log" || name == "abs" || name == "int") {
    if (!a.bind(args, keywords, {"x"}, 1) || !a.number(0))
      return std::nullopt;
    double x = a[0].asDouble();
    if (name == "log") {
      if (x <= 0) {
        error(loc, "log() of a number that is not positive");
        return std::nullopt;
      }
      return Val::ofFloat(std::log(x));
    }
    if (name == "abs")
      return a[0].kind == Val::Kind::Int ? Val::ofInt(std::llabs(a[0].i)) : Val::ofFloat(std::fabs(x));
    return Val::ofInt(static_cast<int64_t>(x)); // int(): truncation toward zero
  }

  if (name == "min" || name == "max") {
    if (!a.bind(args, keywords, {"a", "b"}, 2) || !a.number(0) || !a.number(1))
      return std::nullopt;
    bool pickFirst = name == "min" ? a[0].asDouble() <= a[1].asDouble()
                                   : a[0].asDouble() >= a[1].asDouble();
    return pickFirst ? a[0] : a[1];
  }

  if (name == "bound") {
    if (!a.bind(args, keywords, {"dim"}, 1))
      return std::nullopt;
    if (a[0].kind != Val::Kind::Dim) {
      error(loc, "bound(): 'dim' must be a symbolic dim, got " + a[0].describe());
      return std::nullopt;
    }
    return Val::ofInt(boundOf(a[0].dim.symbol));
  }

  if (name == "constant") {
    if (!a.bind(args, keywords, {"values", "dtype"}, 1) || !a.list(0))
      return std::nullopt;
    std::string dtype;
    if (!a.choice(1, {"f32", "i32", "i64"}, dtype))
      return std::nullopt;
    const std::vector<Val> &values = a[0].list;
    if (values.empty()) {
      error(loc, "constant(): 'values' must not be empty");
      return std::nullopt;
    }
    SmallVector<Attribute> elements;
    Type element = dtype == "f32" ? Type(f32) : dtype == "i32" ? Type(b.getI32Type()) : Type(b.getI64Type());
    for (const Val &v : values) {
      if (!v.isNumber() || (dtype != "f32" && v.kind != Val::Kind::Int)) {
        error(loc, "constant(): every value must be " +
                       std::string(dtype == "f32" ? "a number" : "an integer") + ", got " +
                       v.describe());
        return std::nullopt;
      }
      elements.push_back(dtype == "f32" ? Attribute(b.getFloatAttr(f32, v.asDouble()))
                                        : Attribute(b.getIntegerAttr(element, v.i)));
    }
    SymShape shape{SymDim{static_cast<int64_t>(values.size()), ""}};
    auto type = tensorType(shape, element);
    return result(b.create<arith::ConstantOp>(at, DenseElementsAttr::get(type, elements)), shape);
  }

  if (name == "sqrt") {
    if (!a.bind(args, keywords, {"x"}, 1) || !a.number(0))
      return std::nullopt;
    if (a[0].asDouble() < 0) {
      error(loc, "sqrt() of a negative number");
      return std::nullopt;
    }
    return Val::ofFloat(std::sqrt(a[0].asDouble()));
  }

  found = false;
  return std::nullopt;
}
