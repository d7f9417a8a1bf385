// Prints the AST as an indented tree with line:col locations (`attune build --emit=ast`).
#include "frontend/AST.h"

using namespace attune::ast;

namespace {

class Printer {
public:
  Printer(const llvm::SourceMgr &sources, llvm::raw_ostream &os) : sources(sources), os(os) {}

  void print(const Program &program) {
    for (const Function &function : program.functions)
      print(function, 0);
  }

private:
  void print(const Function &function, int depth) {
    line(depth) << (function.isModel ? "Model " : "Def ") << function.name << " "
                << at(function.loc) << "\n";
    for (const Param &param : function.params) {
      line(depth + 1) << "Param " << param.name << " " << at(param.loc) << "\n";
      if (param.defaultValue)
        print(*param.defaultValue, depth + 2);
    }
    for (const Stmt &stmt : function.body)
      print(stmt, depth + 1);
  }

  std::string at(llvm::SMLoc loc) {
    auto [lineNo, column] = sources.getLineAndColumn(loc);
    return "@" + std::to_string(lineNo) + ":" + std::to_string(column);
  }

  llvm::raw_ostream &line(int depth) { return os.indent(2 * depth); }

  void print(const Stmt &stmt, int depth) {
    switch (stmt.kind) {
    case Stmt::Kind::Assign: {
      line(depth) << "Assign";
      for (const std::string &target : stmt.targets)
        os << " " << target;
      os << " " << at(stmt.loc) << "\n";
      break;
    }
    case Stmt::Kind::Input:
    case Stmt::Kind::Output:
      line(depth) << (stmt.kind == Stmt::Kind::Input ? "Input " : "Output ") << stmt.targets[0]
                  << ": " << stmt.type.dtype << " " << at(stmt.loc) << "\n";
      for (const DimDecl &dim : stmt.type.dims) {
        line(depth + 1) << "Dim " << at(dim.loc) << "\n";
        print(*dim.size, depth + 2);
        if (dim.bound) {
          line(depth + 2) << "Bound\n";
          print(*dim.bound, depth + 3);
        }
      }
      return;
    case Stmt::Kind::For:
      line(depth) << "For " << stmt.targets[0] << " " << at(stmt.loc) << "\n";
      break;
    case Stmt::Kind::Return:
      line(depth) << "Return " << at(stmt.loc) << "\n";
      break;
    case Stmt::Kind::Entry:
      line(depth) << "Entry " << stmt.targets[0] << " " << at(stmt.loc) << "\n";
      break;
    case Stmt::Kind::Def:
      print(*stmt.function, depth);
      return;
    case Stmt::Kind::If:
      line(depth) << "If " << at(stmt.loc) << "\n";
      print(*stmt.values[0], depth + 1);
      line(depth + 1) << "Then\n";
      for (const Stmt &inner : stmt.body)
        print(inner, depth + 2);
      if (!stmt.elseBody.empty()) {
        line(depth + 1) << "Else\n";
        for (const Stmt &inner : stmt.elseBody)
          print(inner, depth + 2);
      }
      return;
    }
    for (const ExprPtr &value : stmt.values)
      print(*value, depth + 1);
    for (const Stmt &inner : stmt.body)
      print(inner, depth + 1);
  }

  void print(const Expr &expr, int depth) {
    llvm::raw_ostream &out = line(depth);
    switch (expr.kind) {
    case Expr::Kind::Int: out << "Int " << expr.intValue; break;
    case Expr::Kind::Float: out << "Float " << expr.text; break;
    case Expr::Kind::String: out << "String \"" << expr.text << "\""; break;
    case Expr::Kind::Name: out << "Name " << expr.text; break;
    case Expr::Kind::Config: out << "Config " << expr.text; break;
    case Expr::Kind::List: out << "List"; break;
    case Expr::Kind::Unary: out << "Unary " << expr.text; break;
    case Expr::Kind::Binary: out << "Binary " << expr.text; break;
    case Expr::Kind::Call: out << "Call " << expr.text; break;
    }
    out << " " << at(expr.loc) << "\n";
    for (size_t i = 0; i < expr.operands.size(); ++i) {
      if (expr.kind == Expr::Kind::Call && !expr.keywords[i].empty())
        line(depth + 1) << "Keyword " << expr.keywords[i] << "\n";
      print(*expr.operands[i], depth + 1);
    }
  }

  const llvm::SourceMgr &sources;
  llvm::raw_ostream &os;
};

} // namespace

void attune::ast::print(const Program &program, const llvm::SourceMgr &sources,
                        llvm::raw_ostream &os) {
  Printer(sources, os).print(program);
}
