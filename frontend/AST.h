// The parsed form of a .tfm model description: functions (`def`) and models, made of
// statements and expressions, each with its source location for diagnostics.
#ifndef ATTUNE_FRONTEND_AST_H
#define ATTUNE_FRONTEND_AST_H

#include "llvm/Support/SMLoc.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace attune::ast {

struct Expr {
  enum class Kind {
    Int,    // 42
    Float,  // 1e-5
    String, // "transformer.h.{i}" (text holds the raw contents; {name} interpolates)
    Name,   // x
    Config, // config.n_embd, config.rope_parameters.rope_theta (text holds the key path)
    List,   // [a, b]
    Unary,  // -x (text holds the operator)
    Binary, // a + b (text holds the operator)
    Call,   // f(a, axis = 1) (text holds the callee)
  };
  Kind kind;
  llvm::SMLoc loc;
  int64_t intValue = 0;
  double floatValue = 0;
  std::string text;
  std::vector<std::unique_ptr<Expr>> operands;
  /// For calls: the keyword of each operand ("" when positional).
  std::vector<std::string> keywords;
  /// Levels of the tree from this node down (1 for a leaf). The parser bounds it, so that
  /// evaluating and destroying a tree recurse a bounded number of times.
  unsigned depth = 1;
};
using ExprPtr = std::unique_ptr<Expr>;

/// One dimension of a declared type: an expression (a number or parameter), or a new
/// symbolic dim (`seq`), optionally bounded (`seq <= ctx`).
struct DimDecl {
  llvm::SMLoc loc;
  ExprPtr size;
  ExprPtr bound;
};

struct TypeDecl {
  llvm::SMLoc loc;
  std::string dtype; // f32, i32, i64
  std::vector<DimDecl> dims;
};

struct Function;

struct Stmt {
  enum class Kind {
    Assign, // a, b = expr
    Input,  // input name: type
    Output, // output name: type
    For,    // for i in a..b { body }
    Return, // return expr, ...
    If,     // if cond { body } else { elseBody }
    Entry,  // entry name { body }: one entry point of the model (encode, decode, ...)
    Def,    // def f(...) { ... } inside a model: a function that sees the model's names
  };
  Kind kind;
  llvm::SMLoc loc;
  std::vector<std::string> targets; // Assign targets; Input/Output name; For variable
  std::vector<llvm::SMLoc> targetLocs;
  std::vector<ExprPtr> values; // Assign: [rhs]; Return: values; For: [begin, end]; If: [cond]
  TypeDecl type;
  std::vector<Stmt> body;
  std::vector<Stmt> elseBody; // If only
  std::shared_ptr<Function> function; // Def only

};

struct Param {
  llvm::SMLoc loc;
  std::string name;
  ExprPtr defaultValue; // may be null
};

struct Function {
  llvm::SMLoc loc;
  bool isModel = false;
  std::string name;
  std::vector<Param> params;
  std::vector<Stmt> body;
};

struct Program {
  std::vector<Function> functions;
};

/// Prints the tree with line:col locations (`attune build --emit=ast`).
void print(const Program &program, const llvm::SourceMgr &sources, llvm::raw_ostream &os);

} // namespace attune::ast

#endif // ATTUNE_FRONTEND_AST_H
