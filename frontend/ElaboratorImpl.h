// Private to the frontend: the elaborator's state, shared by Elaborator.cpp (statements,
// expressions, calls) and Builtins.cpp (the primitive tensor operations).
#ifndef ATTUNE_FRONTEND_ELABORATORIMPL_H
#define ATTUNE_FRONTEND_ELABORATORIMPL_H

#include "frontend/Elaborator.h"
#include "frontend/Value.h"
#include "ir/AttuneDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "llvm/ADT/StringMap.h"

namespace attune {

using Scope = llvm::StringMap<Val>;

/// A `def` inside a model: the function and the names it saw where it was defined.
struct Closure {
  const ast::Function *function;
  Scope scope;
};

class Elaborator {
public:
  Elaborator(llvm::SourceMgr &sources, mlir::MLIRContext &context,
             const ElaborateOptions &options);
  std::optional<ElaboratedModel> run(const ast::Program &program);

  //===--- used by builtins ---===//
  bool error(llvm::SMLoc loc, const llvm::Twine &message);
  mlir::Location locationOf(llvm::SMLoc loc);
  mlir::OpBuilder &builder() { return b; }
  mlir::RankedTensorType tensorType(const SymShape &shape, mlir::Type element);
  /// The index value of a symbolic dim (its tensor.dim, made when it was declared).
  mlir::Value symbolValue(const std::string &symbol) { return symbols.lookup(symbol); }
  /// A rank-0 f32 constant tensor.
  Val scalarTensor(double value, llvm::SMLoc loc);
  /// Verifies a just-built op whose result has `shape`: MLIR's verifier, then checkBytes;
  /// on failure reports the error at `loc`.
  bool verifyBuilt(mlir::Operation *op, const SymShape &shape, llvm::SMLoc loc);
  /// Whether a tensor of `shape` and `element`, its symbolic dims at their bounds, takes at
  /// most kMaxTensorBytes; else an error at `loc`. Sizes past it would wrap the 64-bit byte
  /// counts of the memory plan and the generated code.
  bool checkBytes(const SymShape &shape, mlir::Type element, llvm::SMLoc loc);
  /// The numpy broadcast of two shapes with symbolic dims, or an error at `loc`.
  std::optional<SymShape> broadcast(const SymShape &a, const SymShape &b, llvm::SMLoc loc);

  /// Tensor operations need an entry function to build into; false (after an error) if none.
  bool requireEntry(llvm::SMLoc loc);
  /// The bound of a symbolic dim (resolved when it was declared).
  int64_t boundOf(const std::string &symbol) { return bounds.lookup(symbol); }

  std::optional<Val> callBuiltin(const std::string &name, std::vector<Val> &args,
                                 const std::vector<std::string> &keywords, llvm::SMLoc loc,
                                 bool &found);
  std::optional<Val> tensorBinary(llvm::StringRef op, Val lhs, Val rhs, llvm::SMLoc loc);

private:
  std::optional<Val> eval(const ast::Expr &expr, Scope &scope);
  std::optional<Val> evalBinary(const ast::Expr &expr, Scope &scope);
  std::optional<Val> evalCall(const ast::Expr &expr, Scope &scope);
  /// Each expression's value, in order; none if any fails (its error reported).
  std::optional<std::vector<Val>> evalAll(const std::vector<ast::ExprPtr> &exprs, Scope &scope);
  std::optional<Val> evalConfig(const ast::Expr &expr, bool allowMissing, bool &missing);
  std::optional<std::string> interpolate(const ast::Expr &expr, Scope &scope);
  /// Calls `function` in a fresh scope (starting from `captured`, for a closure).
  std::optional<Val> callFunction(const ast::Function &function, std::vector<Val> &args,
                                  const std::vector<std::string> &keywords, llvm::SMLoc loc,
                                  const Scope *captured = nullptr);
  /// Runs `body`; sets `returned` when a return statement ran.
  bool execBlock(const std::vector<ast::Stmt> &body, Scope &scope,
                 std::optional<Val> &returned);
  bool execInput(const ast::Stmt &stmt, Scope &scope);
  bool execOutput(const ast::Stmt &stmt, Scope &scope);
  bool execEntry(const ast::Stmt &stmt, Scope &scope);
  /// Creates the entry function `name` and points the builder into it.
  void beginEntry(const std::string &name, llvm::SMLoc loc, bool named);
  /// Fixes the bound of a newly declared symbolic dim from the options and `dim`'s `<=`.
  bool resolveBound(const std::string &symbol, const ast::DimDecl &dim, Scope &scope);
  std::optional<SymShape> declaredShape(const ast::TypeDecl &type, Scope &scope, bool isInput);
  bool finishOutputs();

  llvm::SourceMgr &sources;
  mlir::MLIRContext &context;
  const ElaborateOptions &options;
  mlir::OpBuilder b;
  llvm::StringMap<const ast::Function *> functions;
  llvm::StringMap<mlir::Value> symbols;
  llvm::StringMap<int64_t> bounds;
  mlir::ModuleOp module;
  std::vector<llvm::SMLoc> callStack;
  /// Loops are unrolled as the description is elaborated: all of them together may run this
  /// many iterations (a 1000-layer model with 1000-step inner loops), no more, so a loop of
  /// 10^18 steps is an error rather than a hang.
  static constexpr int64_t kMaxLoopIterations = 1000000;
  int64_t loopIterationsLeft = kMaxLoopIterations;
  /// The most bytes one tensor may take (checkBytes): 2^48, 256 TiB, far past any memory a
  /// model runs in, and small enough that sums and products of such sizes fit 64 bits.
  static constexpr int64_t kMaxTensorBytes = int64_t(1) << 48;
  mlir::func::FuncOp forward;
  Scope *modelScope = nullptr; // outputs are assigned in the model body's own scope
  llvm::SMLoc modelLoc;
  /// An op's verifier message, captured so it can be reported at the source location.
  std::string lastDiagnostic;
  bool failed = false;

  struct Output {
    std::string name;
    llvm::SMLoc declLoc;
    mlir::Type element;
    SymShape shape;
    std::optional<Val> value;
    llvm::SMLoc assignLoc;
  };
  std::vector<Output> outputs;
};

} // namespace attune

#endif // ATTUNE_FRONTEND_ELABORATORIMPL_H
