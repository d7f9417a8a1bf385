// Elaboration of a model description: statements, expressions, function calls and
// hyperparameters are evaluated at compile time; tensor operations become attune ops in
// func.func @forward. Loops over layers unroll; calls inline, and every op's location is the
// chain of source call sites that made it.
#include "ir/Abi.h"
#include "frontend/ElaboratorImpl.h"

#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/MathExtras.h"

#include <cmath>
#include <cstdio>

using namespace mlir;
using namespace attune;
using llvm::SMLoc;

namespace {
constexpr size_t kMaxCallDepth = 64;
} // namespace

std::string attune::shapeString(const SymShape &shape) {
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    text += (i ? ", " : "") + shape[i].str();
  return text + "]";
}

std::string Val::describe() const {
  switch (kind) {
  case Kind::Int: return "an integer (" + std::to_string(i) + ")";
  case Kind::Float: {
    char text[32];
    std::snprintf(text, sizeof text, "%g", f);
    return std::string("a number (") + text + ")";
  }
  case Kind::Str: return "a string (\"" + s + "\")";
  case Kind::Bool: return i ? "a boolean (true)" : "a boolean (false)";
  case Kind::List: return "a list of " + std::to_string(list.size());
  case Kind::Dim: return "the symbolic dim '" + dim.symbol + "'";
  case Kind::Function: return "the function '" + closure->function->name + "'";
  case Kind::Tensor: {
    Type element = cast<RankedTensorType>(tensor.getType()).getElementType();
    std::string name;
    llvm::raw_string_ostream os(name);
    os << element;
    return "a tensor " + name + shapeString(shape);
  }
  }
  return "a value";
}

Elaborator::Elaborator(llvm::SourceMgr &sources, MLIRContext &context,
                       const ElaborateOptions &options)
    : sources(sources), context(context), options(options), b(&context) {}

bool Elaborator::error(SMLoc loc, const llvm::Twine &message) {
  if (failed)
    return false;
  failed = true;
  sources.PrintMessage(loc, llvm::SourceMgr::DK_Error, message);
  for (auto it = callStack.rbegin(); it != callStack.rend(); ++it)
    sources.PrintMessage(*it, llvm::SourceMgr::DK_Note, "in this call");
  return false;
}

Location Elaborator::locationOf(SMLoc loc) {
  auto fileLoc = [&](SMLoc at) -> Location {
    unsigned buffer = sources.FindBufferContainingLoc(at);
    if (!buffer)
      return UnknownLoc::get(&context);
    auto [line, column] = sources.getLineAndColumn(at, buffer);
    return FileLineColLoc::get(&context,
                               sources.getMemoryBuffer(buffer)->getBufferIdentifier(), line,
                               column);
  };
  Location result = fileLoc(loc);
  for (auto it = callStack.rbegin(); it != callStack.rend(); ++it)
    result = CallSiteLoc::get(result, fileLoc(*it));
  return result;
}

RankedTensorType Elaborator::tensorType(const SymShape &shape, Type element) {
  SmallVector<int64_t> sizes;
  for (const SymDim &dim : shape)
    sizes.push_back(dim.isSymbolic() ? ShapedType::kDynamic : dim.size);
  return RankedTensorType::get(sizes, element);
}

Val Elaborator::scalarTensor(double value, SMLoc loc) {
  auto type = RankedTensorType::get({}, b.getF32Type());
  auto attr = DenseElementsAttr::get(type, b.getFloatAttr(b.getF32Type(), value));
  Value constant = b.create<arith::ConstantOp>(locationOf(loc), attr);
  return Val::ofTensor(constant, {});
}

bool Elaborator::checkBytes(const SymShape &shape, Type element, SMLoc loc) {
  int64_t bytes = std::max<int64_t>(1, element.getIntOrFloatBitWidth() / 8);
  bool fits = true;
  for (const SymDim &dim : shape)
    fits = fits &&
           !llvm::MulOverflow(bytes, dim.isSymbolic() ? boundOf(dim.symbol) : dim.size, bytes) &&
           bytes <= kMaxTensorBytes;
  if (fits)
    return true;
  std::string text;
  llvm::raw_string_ostream os(text);
  os << element;
  return error(loc, "a tensor " + text + shapeString(shape) + " takes more than 2^48 bytes " +
                        "(256 TiB) at the bounds of its dims; no tensor may");
}

bool Elaborator::verifyBuilt(Operation *op, const SymShape &shape, SMLoc loc) {
  lastDiagnostic.clear();
  LogicalResult result = [&] {
    ScopedDiagnosticHandler handler(&context, [&](Diagnostic &diag) {
      if (lastDiagnostic.empty())
        lastDiagnostic = diag.str();
      return success();
    });
    return mlir::verify(op, /*verifyRecursively=*/false);
  }();
  if (mlir::failed(result))
    return error(loc, lastDiagnostic);
  return checkBytes(shape, cast<ShapedType>(op->getResult(0).getType()).getElementType(), loc);
}

std::optional<SymShape> Elaborator::broadcast(const SymShape &a, const SymShape &bShape,
                                              SMLoc loc) {
  size_t rank = std::max(a.size(), bShape.size());
  SymShape result(rank);
  for (size_t i = 0; i < rank; ++i) {
    SymDim one{1, ""};
    const SymDim &x = i < rank - a.size() ? one : a[i - (rank - a.size())];
    const SymDim &y = i < rank - bShape.size() ? one : bShape[i - (rank - bShape.size())];
    if (x == y || (y.size == 1 && !y.isSymbolic()))
      result[i] = x;
    else if (x.size == 1 && !x.isSymbolic())
      result[i] = y;
    else {
      error(loc, "shapes " + shapeString(a) + " and " + shapeString(bShape) +
                     " do not broadcast: dim " + x.str() + " against " + y.str());
      return std::nullopt;
    }
  }
  return result;
}

//===----------------------------------------------------------------------===//
// Program and statements
//===----------------------------------------------------------------------===//

std::optional<ElaboratedModel> Elaborator::run(const ast::Program &program) {
  const ast::Function *model = nullptr;
  for (const ast::Function &function : program.functions) {
    if (function.isModel) {
      if (!options.modelName.empty() && function.name != options.modelName)
        continue;
      if (model) {
        error(function.loc, "more than one model in the description; choose one with --model");
        return std::nullopt;
      }
      model = &function;
      continue;
    }
    if (functions.count(function.name)) {
      error(function.loc, "function '" + function.name + "' is defined twice");
      return std::nullopt;
    }
    functions[function.name] = &function;
  }
  if (!model) {
    // At the top of the description (the buffer added last, after the prelude), naming the
    // models it does define.
    std::vector<std::string> defined;
    for (const ast::Function &function : program.functions)
      if (function.isModel)
        defined.push_back("'" + function.name + "'");
    std::string message =
        options.modelName.empty()
            ? "the description defines no model (a `model NAME(...) { ... }` block)"
            : "the description defines no model named '" + options.modelName + "'" +
                  (defined.empty() ? std::string(" (it defines none)")
                                   : " (it defines " + llvm::join(defined, ", ") + ")");
    const llvm::MemoryBuffer *description = sources.getMemoryBuffer(sources.getNumBuffers());
    sources.PrintMessage(SMLoc::getFromPointer(description->getBufferStart()),
                         llvm::SourceMgr::DK_Error, message);
    return std::nullopt;
  }

  OwningOpRef<ModuleOp> owned = ModuleOp::create(locationOf(model->loc));
  module = *owned;
  // A model without entry blocks is itself the one entry point, "forward".
  bool hasEntries = llvm::any_of(model->body, [](const ast::Stmt &stmt) {
    return stmt.kind == ast::Stmt::Kind::Entry;
  });
  if (!hasEntries)
    beginEntry("forward", model->loc, /*named=*/false);

  // Hyperparameters, in order; each default may use the ones before it.
  Scope scope;
  modelScope = &scope;
  modelLoc = model->loc;
  for (const ast::Param &param : model->params) {
    if (!param.defaultValue) {
      error(param.loc, "model parameter '" + param.name + "' needs a value (name = expression)");
      return std::nullopt;
    }
    std::optional<Val> value = eval(*param.defaultValue, scope);
    if (!value)
      return std::nullopt;
    scope[param.name] = *value;
  }
  std::optional<Val> returned;
  if (!execBlock(model->body, scope, returned))
    return std::nullopt;
  if (returned) {
    error(model->loc, "a model produces its outputs by assigning them, not by return");
    return std::nullopt;
  }
  if (!hasEntries && !finishOutputs())
    return std::nullopt;

  module->setAttr("attune.model", b.getStringAttr(model->name));
  SmallVector<NamedAttribute> boundAttrs;
  for (const auto &bound : bounds)
    boundAttrs.push_back(b.getNamedAttr(bound.first(), b.getI64IntegerAttr(bound.second)));
  module->setAttr(abi::kBounds, b.getDictionaryAttr(boundAttrs));
  ElaboratedModel result;
  result.name = model->name;
  result.bounds = bounds;
  result.module = std::move(owned);
  return result;
}

void Elaborator::beginEntry(const std::string &name, SMLoc loc, bool named) {
  b.setInsertionPointToEnd(module.getBody());
  forward = b.create<func::FuncOp>(locationOf(loc), name, b.getFunctionType({}, {}));
  forward->setAttr(abi::kEntry, named ? Attribute(b.getStringAttr(name)) : b.getUnitAttr());
  b.setInsertionPointToStart(forward.addEntryBlock());
}

bool Elaborator::execEntry(const ast::Stmt &stmt, Scope &scope) {
  const std::string &name = stmt.targets[0];
  if (forward)
    return error(stmt.loc, "entry '" + name + "' cannot be nested in another entry");
  if (module.lookupSymbol(name))
    return error(stmt.targetLocs[0], "entry point '" + name + "' is defined twice");
  // Each entry point is its own function: its own inputs, symbols and outputs; it sees the
  // model's parameters and names but does not change them.
  Scope entryScope = scope;
  Scope *outer = modelScope;
  modelScope = &entryScope;
  beginEntry(name, stmt.loc, /*named=*/true);
  std::optional<Val> returned;
  bool ok = execBlock(stmt.body, entryScope, returned);
  if (ok && returned)
    ok = error(stmt.loc, "an entry point produces its outputs by assigning them, not by return");
  ok = ok && finishOutputs();
  modelScope = outer;
  forward = nullptr;
  symbols.clear();
  outputs.clear();
  return ok;
}

bool Elaborator::requireEntry(SMLoc loc) {
  if (forward)
    return true;
  return error(loc, "tensors, inputs and outputs belong inside an entry block of this model");
}

bool Elaborator::execBlock(const std::vector<ast::Stmt> &body, Scope &scope,
                           std::optional<Val> &returned) {
  for (const ast::Stmt &stmt : body) {
    switch (stmt.kind) {
    case ast::Stmt::Kind::Assign: {
      std::optional<Val> value = eval(*stmt.values[0], scope);
      if (!value)
        return false;
      std::vector<Val> values{*value};
      if (stmt.targets.size() > 1) {
        if (value->kind != Val::Kind::List || value->list.size() != stmt.targets.size())
          return error(stmt.loc, "cannot unpack " + value->describe() + " into " +
                                     std::to_string(stmt.targets.size()) + " names");
        values = value->list;
      }
      for (size_t i = 0; i < stmt.targets.size(); ++i) {
        scope[stmt.targets[i]] = values[i];
        for (Output &output : outputs)
          if (output.name == stmt.targets[i] && &scope == modelScope) {
            output.value = values[i];
            output.assignLoc = stmt.targetLocs[i];
          }
      }
      break;
    }
    case ast::Stmt::Kind::Entry:
      if (!execEntry(stmt, scope))
        return false;
      break;
    case ast::Stmt::Kind::Def:
      // Captures the names defined so far (the model's parameters among them).
      scope[stmt.function->name] =
          Val::ofClosure(std::make_shared<Closure>(Closure{stmt.function.get(), scope}));
      break;
    case ast::Stmt::Kind::Input:
      if (!requireEntry(stmt.loc) || !execInput(stmt, scope))
        return false;
      break;
    case ast::Stmt::Kind::Output:
      if (!requireEntry(stmt.loc) || !execOutput(stmt, scope))
        return false;
      break;
    case ast::Stmt::Kind::For: {
      std::optional<Val> begin = eval(*stmt.values[0], scope);
      std::optional<Val> end = begin ? eval(*stmt.values[1], scope) : std::nullopt;
      if (!end)
        return false;
      if (begin->kind != Val::Kind::Int || end->kind != Val::Kind::Int)
        return error(stmt.loc, "loop bounds must be integers, got " + begin->describe() +
                                   " and " + end->describe());
      // Counted in unsigned arithmetic: end - begin can exceed what int64 holds.
      uint64_t count = end->i > begin->i ? uint64_t(end->i) - uint64_t(begin->i) : 0;
      if (count > uint64_t(loopIterationsLeft))
        return error(stmt.loc, "this loop runs " + std::to_string(count) + " times, but only " +
                                   std::to_string(loopIterationsLeft) + " of the " +
                                   std::to_string(kMaxLoopIterations) +
                                   " iterations all loops may run are left (loops are unrolled "
                                   "at compile time)");
      loopIterationsLeft -= int64_t(count);
      for (int64_t i = begin->i; i < end->i; ++i) {
        scope[stmt.targets[0]] = Val::ofInt(i);
        if (!execBlock(stmt.body, scope, returned))
          return false;
        if (returned)
          return true;
      }
      break;
    }
    case ast::Stmt::Kind::If: {
      std::optional<Val> cond = eval(*stmt.values[0], scope);
      if (!cond)
        return false;
      if (cond->kind != Val::Kind::Bool && cond->kind != Val::Kind::Int)
        return error(stmt.values[0]->loc, "an if condition must be known at compile time (a "
                                          "boolean or integer), got " + cond->describe());
      const std::vector<ast::Stmt> &branch = cond->i ? stmt.body : stmt.elseBody;
      if (!execBlock(branch, scope, returned))
        return false;
      if (returned)
        return true;
      break;
    }
    case ast::Stmt::Kind::Return: {
      std::optional<std::vector<Val>> values = evalAll(stmt.values, scope);
      if (!values)
        return false;
      returned = values->size() == 1 ? (*values)[0] : Val::ofList(std::move(*values));
      return true;
    }
    }
  }
  return true;
}

bool Elaborator::resolveBound(const std::string &symbol, const ast::DimDecl &dim, Scope &scope) {
  std::optional<int64_t> declared;
  if (dim.bound) {
    std::optional<Val> bound = eval(*dim.bound, scope);
    if (!bound)
      return false;
    if (bound->kind != Val::Kind::Int || bound->i < 1)
      return error(dim.bound->loc, "a bound must be a positive integer, got " + bound->describe());
    declared = bound->i;
  }
  bool isBatch = symbol == "batch";
  std::optional<int64_t> flag = isBatch ? options.maxBatch : options.maxSeq;
  if (flag && declared && *flag > *declared)
    return error(dim.loc, std::string(isBatch ? "--max-batch=" : "--max-seq=") +
                              std::to_string(*flag) + " exceeds the bound the model declares for " +
                              symbol + " (" + std::to_string(*declared) + ")");
  bounds[symbol] = attune::boundOf(symbol, options, declared);
  return true;
}

int64_t attune::boundOf(llvm::StringRef symbol, const ElaborateOptions &options,
                        std::optional<int64_t> declared) {
  bool isBatch = symbol == "batch";
  std::optional<int64_t> flag = isBatch ? options.maxBatch : options.maxSeq;
  return flag ? *flag : declared ? *declared : isBatch ? 8 : 512;
}

std::optional<SymShape> Elaborator::declaredShape(const ast::TypeDecl &type, Scope &scope,
                                                  bool isInput) {
  SymShape shape;
  for (const ast::DimDecl &dim : type.dims) {
    const ast::Expr &size = *dim.size;
    bool fresh = size.kind == ast::Expr::Kind::Name && !scope.count(size.text);
    if (fresh) {
      if (!isInput) {
        error(dim.loc, "unknown dim '" + size.text +
                           "': output dims must be numbers, parameters or input dims");
        return std::nullopt;
      }
      shape.push_back(SymDim{-1, size.text});
      scope[size.text] = Val::ofDim(shape.back());
      if (!resolveBound(size.text, dim, scope))
        return std::nullopt;
    } else {
      if (dim.bound) {
        error(dim.loc, "only a newly declared symbolic dim can have a bound");
        return std::nullopt;
      }
      std::optional<Val> value = eval(size, scope);
      if (!value)
        return std::nullopt;
      if (value->kind == Val::Kind::Dim)
        shape.push_back(value->dim);
      else if (value->kind == Val::Kind::Int && value->i > 0)
        shape.push_back(SymDim{value->i, ""});
      else {
        error(dim.loc, "a dim must be a positive integer or a symbolic dim, got " +
                           value->describe());
        return std::nullopt;
      }
    }
  }
  return shape;
}

static Type elementTypeOf(Builder &b, llvm::StringRef dtype) {
  if (dtype == "f32")
    return b.getF32Type();
  return dtype == "i32" ? b.getI32Type() : b.getI64Type();
}

/// The names of the symbolic dims of `shape`, in order (the ABI's `attune.dims`).
static ArrayAttr dimNames(Builder &b, const SymShape &shape) {
  SmallVector<Attribute> names;
  for (const SymDim &dim : shape)
    if (dim.isSymbolic())
      names.push_back(b.getStringAttr(dim.symbol));
  return b.getArrayAttr(names);
}

bool Elaborator::execInput(const ast::Stmt &stmt, Scope &scope) {
  const std::string &name = stmt.targets[0];
  if (scope.count(name))
    return error(stmt.targetLocs[0], "input '" + name + "' reuses an existing name");
  std::optional<SymShape> shape = declaredShape(stmt.type, scope, /*isInput=*/true);
  if (!shape)
    return false;
  Block &entry = forward.getBody().front();
  RankedTensorType type = tensorType(*shape, elementTypeOf(b, stmt.type.dtype));
  if (!checkBytes(*shape, type.getElementType(), stmt.loc))
    return false;
  BlockArgument arg = entry.addArgument(type, locationOf(stmt.loc));
  forward.setType(b.getFunctionType(entry.getArgumentTypes(), {}));
  forward.setArgAttrs(arg.getArgNumber(),
                      b.getDictionaryAttr({b.getNamedAttr(abi::kName, b.getStringAttr(name)),
                                           b.getNamedAttr(abi::kDims, dimNames(b, *shape))}));
  // Each symbolic dim gets its run-time size from the first input that has it.
  for (auto [k, dim] : llvm::enumerate(*shape))
    if (dim.isSymbolic() && !symbols.count(dim.symbol))
      symbols[dim.symbol] =
          b.create<tensor::DimOp>(locationOf(stmt.type.dims[k].loc), arg, k).getResult();
  scope[name] = Val::ofTensor(arg, *shape);
  return true;
}

bool Elaborator::execOutput(const ast::Stmt &stmt, Scope &scope) {
  const std::string &name = stmt.targets[0];
  for (const Output &output : outputs)
    if (output.name == name)
      return error(stmt.targetLocs[0], "output '" + name + "' is declared twice");
  std::optional<SymShape> shape = declaredShape(stmt.type, scope, /*isInput=*/false);
  if (!shape)
    return false;
  outputs.push_back(
      Output{name, stmt.targetLocs[0], elementTypeOf(b, stmt.type.dtype), *shape, {}, {}});
  return true;
}

bool Elaborator::finishOutputs() {
  if (outputs.empty())
    return error(modelLoc, "the model declares no output");
  SmallVector<Value> results;
  SmallVector<DictionaryAttr> resultAttrs;
  for (const Output &output : outputs) {
    if (!output.value)
      return error(output.declLoc, "output '" + output.name + "' is never assigned");
    const Val &value = *output.value;
    if (value.kind != Val::Kind::Tensor)
      return error(output.assignLoc, "output '" + output.name + "' must be a tensor, got " +
                                         value.describe());
    Type element = cast<RankedTensorType>(value.tensor.getType()).getElementType();
    if (element != output.element || value.shape != output.shape) {
      std::string declared;
      llvm::raw_string_ostream os(declared);
      os << output.element << shapeString(output.shape);
      return error(output.assignLoc, "output '" + output.name + "' is declared " + declared +
                                         " but is assigned " + value.describe());
    }
    results.push_back(value.tensor);
    resultAttrs.push_back(b.getDictionaryAttr(
        {b.getNamedAttr(abi::kName, b.getStringAttr(output.name)),
         b.getNamedAttr(abi::kDims, dimNames(b, output.shape))}));
  }
  b.create<func::ReturnOp>(forward.getLoc(), results);
  Block &entry = forward.getBody().front();
  forward.setType(b.getFunctionType(entry.getArgumentTypes(), ValueRange(results).getTypes()));
  forward.setAllResultAttrs(resultAttrs);
  return true;
}

//===----------------------------------------------------------------------===//
// Expressions
//===----------------------------------------------------------------------===//

std::optional<std::string> Elaborator::interpolate(const ast::Expr &expr, Scope &scope) {
  std::string out;
  llvm::StringRef text = expr.text;
  while (!text.empty()) {
    size_t open = text.find('{');
    out += text.take_front(open).str();
    if (open == llvm::StringRef::npos)
      break;
    size_t close = text.find('}', open);
    // The '{' in the description: expr.text is a copy of the literal's raw contents, which
    // start one past its opening quote (a pointer into the copy is in no source buffer).
    SMLoc at = SMLoc::getFromPointer(expr.loc.getPointer() + 1 +
                                     (text.data() - expr.text.data()) + open);
    if (close == llvm::StringRef::npos) {
      error(at, "unclosed '{' in string");
      return std::nullopt;
    }
    std::string name = text.slice(open + 1, close).trim().str();
    auto it = scope.find(name);
    if (it == scope.end()) {
      error(at, "unknown name '" + name + "' in string");
      return std::nullopt;
    }
    const Val &value = it->second;
    if (value.kind == Val::Kind::Int)
      out += std::to_string(value.i);
    else if (value.kind == Val::Kind::Str)
      out += value.s;
    else {
      error(at, "cannot put " + value.describe() + " in a string");
      return std::nullopt;
    }
    text = text.drop_front(close + 1);
  }
  return out;
}

std::optional<Val> Elaborator::evalConfig(const ast::Expr &expr, bool allowMissing,
                                          bool &missing) {
  missing = false;
  // A dotted key walks nested objects.
  const llvm::json::Value *value = nullptr;
  const llvm::json::Object *object = options.config;
  llvm::SmallVector<llvm::StringRef> path;
  llvm::StringRef(expr.text).split(path, '.');
  for (llvm::StringRef key : path) {
    value = object ? object->get(key) : nullptr;
    object = value ? value->getAsObject() : nullptr;
  }
  if (!value || value->kind() == llvm::json::Value::Null) {
    missing = true;
    if (allowMissing)
      return Val::ofInt(0);
    if (!options.config)
      error(expr.loc, "config." + expr.text + " needs a config.json (pass --config)");
    else
      error(expr.loc, options.configPath + " has no value for '" + expr.text + "'");
    return std::nullopt;
  }
  if (std::optional<int64_t> i = value->getAsInteger())
    return Val::ofInt(*i);
  if (std::optional<double> f = value->getAsNumber())
    return Val::ofFloat(*f);
  if (std::optional<llvm::StringRef> s = value->getAsString())
    return Val::ofStr(s->str());
  if (std::optional<bool> flag = value->getAsBoolean())
    return Val::ofBool(*flag);
  error(expr.loc, "config value '" + expr.text + "' is not a number, string or boolean");
  return std::nullopt;
}

std::optional<Val> Elaborator::eval(const ast::Expr &expr, Scope &scope) {
  switch (expr.kind) {
  case ast::Expr::Kind::Int:
    return Val::ofInt(expr.intValue);
  case ast::Expr::Kind::Float:
    return Val::ofFloat(expr.floatValue);
  case ast::Expr::Kind::String: {
    std::optional<std::string> text = interpolate(expr, scope);
    if (!text)
      return std::nullopt;
    return Val::ofStr(*text);
  }
  case ast::Expr::Kind::Name: {
    auto it = scope.find(expr.text);
    if (it != scope.end())
      return it->second;
    if (expr.text == "true" || expr.text == "false")
      return Val::ofBool(expr.text == "true");
    std::string suggestion;
    unsigned best = 3;
    for (const auto &entry : scope) {
      unsigned distance = llvm::StringRef(expr.text).edit_distance(entry.first());
      if (distance < best) {
        best = distance;
        suggestion = entry.first().str();
      }
    }
    error(expr.loc, "unknown name '" + expr.text + "'" +
                        (suggestion.empty() ? "" : "; did you mean '" + suggestion + "'?"));
    return std::nullopt;
  }
  case ast::Expr::Kind::Config: {
    bool missing;
    return evalConfig(expr, /*allowMissing=*/false, missing);
  }
  case ast::Expr::Kind::List: {
    std::optional<std::vector<Val>> items = evalAll(expr.operands, scope);
    if (!items)
      return std::nullopt;
    return Val::ofList(std::move(*items));
  }
  case ast::Expr::Kind::Unary: {
    std::optional<Val> operand = eval(*expr.operands[0], scope);
    if (!operand)
      return std::nullopt;
    if (operand->kind == Val::Kind::Int) {
      if (operand->i == INT64_MIN) {
        error(expr.loc, "integer overflow: -(" + std::to_string(operand->i) +
                            ") does not fit 64 bits");
        return std::nullopt;
      }
      return Val::ofInt(-operand->i);
    }
    if (operand->kind == Val::Kind::Float)
      return Val::ofFloat(-operand->f);
    if (operand->kind == Val::Kind::Tensor)
      return tensorBinary("*", *operand, Val::ofFloat(-1.0), expr.loc);
    error(expr.loc, "cannot negate " + operand->describe());
    return std::nullopt;
  }
  case ast::Expr::Kind::Binary:
    return evalBinary(expr, scope);
  case ast::Expr::Kind::Call:
    return evalCall(expr, scope);
  }
  return std::nullopt;
}

std::optional<Val> Elaborator::evalBinary(const ast::Expr &expr, Scope &scope) {
  const std::string &op = expr.text;
  if (op == "??") {
    const ast::Expr &lhsExpr = *expr.operands[0];
    if (lhsExpr.kind != ast::Expr::Kind::Config) {
      error(expr.loc, "'?" "?' gives a fallback for a config value: write config.KEY ?" "? default");
      return std::nullopt;
    }
    bool missing;
    std::optional<Val> lhs = evalConfig(lhsExpr, /*allowMissing=*/true, missing);
    if (!lhs)
      return std::nullopt;
    return missing ? eval(*expr.operands[1], scope) : lhs;
  }
  std::optional<Val> lhs = eval(*expr.operands[0], scope);
  std::optional<Val> rhs = lhs ? eval(*expr.operands[1], scope) : std::nullopt;
  if (!rhs)
    return std::nullopt;

  if (lhs->kind == Val::Kind::Tensor || rhs->kind == Val::Kind::Tensor)
    return tensorBinary(op, *lhs, *rhs, expr.loc);

  if (op == "+" && lhs->kind == Val::Kind::List && rhs->kind == Val::Kind::List) {
    std::vector<Val> joined = lhs->list;
    joined.insert(joined.end(), rhs->list.begin(), rhs->list.end());
    return Val::ofList(std::move(joined));
  }
  if (lhs->kind == Val::Kind::Str && rhs->kind == Val::Kind::Str && (op == "==" || op == "!="))
    return Val::ofBool((lhs->s == rhs->s) == (op == "=="));
  if (lhs->kind == Val::Kind::Bool && rhs->kind == Val::Kind::Bool && (op == "==" || op == "!="))
    return Val::ofBool((lhs->i == rhs->i) == (op == "=="));
  if (op == "+" && lhs->kind == Val::Kind::Str &&
      (rhs->kind == Val::Kind::Str || rhs->kind == Val::Kind::Int))
    return Val::ofStr(lhs->s + (rhs->kind == Val::Kind::Str ? rhs->s : std::to_string(rhs->i)));

  if (lhs->kind == Val::Kind::Dim || rhs->kind == Val::Kind::Dim) {
    const Val &dim = lhs->kind == Val::Kind::Dim ? *lhs : *rhs;
    error(expr.loc, "the symbolic dim '" + dim.dim.symbol +
                        "' is known only at run time and cannot be used in '" + op + "'");
    return std::nullopt;
  }
  if (!lhs->isNumber() || !rhs->isNumber()) {
    error(expr.loc, "cannot apply '" + op + "' to " + lhs->describe() + " and " +
                        rhs->describe());
    return std::nullopt;
  }
  bool ints = lhs->kind == Val::Kind::Int && rhs->kind == Val::Kind::Int;
  double x = lhs->asDouble(), y = rhs->asDouble();
  // Compile-time integers are checked: a size that wrapped around would build a wrong model.
  auto overflow = [&]() -> std::optional<Val> {
    error(expr.loc, "integer overflow: " + std::to_string(lhs->i) + " " + op + " " +
                        std::to_string(rhs->i) + " does not fit 64 bits");
    return std::nullopt;
  };
  int64_t exact = 0;
  if (op == "+")
    return !ints ? Val::ofFloat(x + y)
           : llvm::AddOverflow(lhs->i, rhs->i, exact) ? overflow() : Val::ofInt(exact);
  if (op == "-")
    return !ints ? Val::ofFloat(x - y)
           : llvm::SubOverflow(lhs->i, rhs->i, exact) ? overflow() : Val::ofInt(exact);
  if (op == "*")
    return !ints ? Val::ofFloat(x * y)
           : llvm::MulOverflow(lhs->i, rhs->i, exact) ? overflow() : Val::ofInt(exact);
  if (op == "/" || op == "//") {
    if (y == 0) {
      error(expr.loc, "division by zero");
      return std::nullopt;
    }
    if (op == "/")
      return Val::ofFloat(x / y);
    if (ints) {
      if (lhs->i == INT64_MIN && rhs->i == -1)
        return overflow();
      int64_t q = lhs->i / rhs->i;
      if ((lhs->i % rhs->i != 0) && ((lhs->i < 0) != (rhs->i < 0)))
        --q;
      return Val::ofInt(q);
    }
    return Val::ofFloat(std::floor(x / y));
  }
  if (op == "==") return Val::ofBool(x == y);
  if (op == "!=") return Val::ofBool(x != y);
  if (op == "<") return Val::ofBool(x < y);
  if (op == "<=") return Val::ofBool(x <= y);
  if (op == ">") return Val::ofBool(x > y);
  if (op == ">=") return Val::ofBool(x >= y);
  error(expr.loc, "unknown operator '" + op + "'");
  return std::nullopt;
}

std::optional<std::vector<Val>> Elaborator::evalAll(const std::vector<ast::ExprPtr> &exprs,
                                                    Scope &scope) {
  std::vector<Val> values;
  for (const ast::ExprPtr &expr : exprs) {
    std::optional<Val> value = eval(*expr, scope);
    if (!value)
      return std::nullopt;
    values.push_back(*value);
  }
  return values;
}

std::optional<Val> Elaborator::evalCall(const ast::Expr &expr, Scope &scope) {
  std::optional<std::vector<Val>> evaluated = evalAll(expr.operands, scope);
  if (!evaluated)
    return std::nullopt;
  std::vector<Val> &args = *evaluated;
  auto local = scope.find(expr.text);
  if (local != scope.end() && local->second.kind == Val::Kind::Function) {
    std::shared_ptr<Closure> closure = local->second.closure;
    return callFunction(*closure->function, args, expr.keywords, expr.loc, &closure->scope);
  }
  auto function = functions.find(expr.text);
  if (function != functions.end())
    return callFunction(*function->second, args, expr.keywords, expr.loc);
  bool found = false;
  std::optional<Val> result = callBuiltin(expr.text, args, expr.keywords, expr.loc, found);
  if (!found) {
    error(expr.loc, "unknown function '" + expr.text + "'");
    return std::nullopt;
  }
  return result;
}

std::optional<Val> Elaborator::callFunction(const ast::Function &function, std::vector<Val> &args,
                                            const std::vector<std::string> &keywords,
                                            SMLoc loc, const Scope *captured) {
  if (callStack.size() >= kMaxCallDepth) {
    error(loc, "calls nest deeper than " + std::to_string(kMaxCallDepth) +
                   " (is '" + function.name + "' recursive?)");
    return std::nullopt;
  }
  Scope scope = captured ? *captured : Scope();
  std::vector<bool> bound(function.params.size(), false);
  for (size_t i = 0; i < args.size(); ++i) {
    size_t index = i;
    if (!keywords[i].empty()) {
      auto it = llvm::find_if(function.params,
                              [&](const ast::Param &p) { return p.name == keywords[i]; });
      if (it == function.params.end()) {
        error(loc, "'" + function.name + "' has no parameter named '" + keywords[i] + "'");
        return std::nullopt;
      }
      index = it - function.params.begin();
    } else if (i >= function.params.size()) {
      error(loc, "'" + function.name + "' takes " + std::to_string(function.params.size()) +
                     " arguments, got " + std::to_string(args.size()));
      return std::nullopt;
    }
    if (bound[index]) {
      error(loc, "argument '" + function.params[index].name + "' given twice");
      return std::nullopt;
    }
    bound[index] = true;
    scope[function.params[index].name] = args[i];
  }
  callStack.push_back(loc);
  for (size_t i = 0; i < function.params.size(); ++i) {
    if (bound[i])
      continue;
    const ast::Param &param = function.params[i];
    if (!param.defaultValue) {
      callStack.pop_back();
      error(loc, "missing argument '" + param.name + "' of '" + function.name + "'");
      return std::nullopt;
    }
    std::optional<Val> value = eval(*param.defaultValue, scope);
    if (!value) {
      callStack.pop_back();
      return std::nullopt;
    }
    scope[param.name] = *value;
  }
  std::optional<Val> returned;
  bool ok = execBlock(function.body, scope, returned);
  callStack.pop_back();
  if (!ok)
    return std::nullopt;
  if (!returned) {
    error(loc, "'" + function.name + "' returned no value");
    return std::nullopt;
  }
  return returned;
}

std::optional<ElaboratedModel> attune::elaborate(const ast::Program &program,
                                                 llvm::SourceMgr &sources, MLIRContext &context,
                                                 const ElaborateOptions &options) {
  context.loadDialect<AttuneDialect, func::FuncDialect, tensor::TensorDialect,
                      arith::ArithDialect>();
  Elaborator elaborator(sources, context, options);
  return elaborator.run(program);
}
