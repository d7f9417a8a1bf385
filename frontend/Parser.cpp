// A recursive-descent parser for the .tfm language (grammar in docs/dsl.md).
#include "frontend/Parser.h"
#include "frontend/Lexer.h"

#include "llvm/ADT/StringSwitch.h"

using namespace attune;
using namespace attune::ast;
using llvm::SMLoc;
using llvm::StringRef;

namespace {

class Parser {
public:
  Parser(llvm::SourceMgr &sources, unsigned bufferId) : sources(sources) {
    Lexer lexer(sources.getMemoryBuffer(bufferId)->getBuffer());
    for (;;) {
      Token token = lexer.next();
      if (token.kind == Token::Kind::Error) {
        error(token.loc, lexer.errorMessage());
        tokens.push_back(Token{Token::Kind::End, "", token.loc});
        break;
      }
      tokens.push_back(token);
      if (token.kind == Token::Kind::End)
        break;
    }
  }

  bool parseProgram(Program &program) {
    while (!failed && peek().kind != Token::Kind::End) {
      if (peek().is("def") || peek().is("model")) {
        Function function;
        function.isModel = peek().is("model");
        advance();
        if (!parseFunction(function))
          return false;
        program.functions.push_back(std::move(function));
      } else {
        return error(peek().loc, "expected 'def' or 'model'");
      }
    }
    return !failed;
  }

private:
  const Token &peek(size_t ahead = 0) const {
    return tokens[std::min(position + ahead, tokens.size() - 1)];
  }
  const Token &advance() {
    const Token &token = peek();
    if (position < tokens.size() - 1)
      ++position;
    return token;
  }
  bool accept(StringRef punct) {
    if (!peek().is(punct))
      return false;
    advance();
    return true;
  }

  bool error(SMLoc loc, const llvm::Twine &message) {
    if (!failed)
      sources.PrintMessage(loc, llvm::SourceMgr::DK_Error, message);
    failed = true;
    return false;
  }

  std::string describe(const Token &token) {
    switch (token.kind) {
    case Token::Kind::End: return "end of file";
    case Token::Kind::String: return "a string";
    default: return "'" + token.text.str() + "'";
    }
  }

  bool expect(StringRef punct, StringRef context) {
    if (accept(punct))
      return true;
    return error(peek().loc, "expected '" + punct + "' " + context + ", found " + describe(peek()));
  }

  bool expectIdent(std::string &name, SMLoc &loc, StringRef what) {
    if (peek().kind != Token::Kind::Ident)
      return error(peek().loc, "expected " + what + ", found " + describe(peek()));
    loc = peek().loc;
    name = advance().text.str();
    return true;
  }

  /// A name the statement binds (assignment, declaration, loop variable, entry point).
  bool expectTarget(Stmt &stmt, StringRef what) {
    std::string name;
    SMLoc loc;
    if (!expectIdent(name, loc, what))
      return false;
    stmt.targets.push_back(name);
    stmt.targetLocs.push_back(loc);
    return true;
  }

  bool parseFunction(Function &function) {
    if (!expectIdent(function.name, function.loc, function.isModel ? "a model name"
                                                                    : "a function name"))
      return false;
    if (!expect("(", "after the name"))
      return false;
    while (!peek().is(")")) {
      Param param;
      if (!expectIdent(param.name, param.loc, "a parameter name"))
        return false;
      if (accept("=") && !(param.defaultValue = parseExpr()))
        return false;
      function.params.push_back(std::move(param));
      if (!accept(","))
        break;
    }
    return expect(")", "to close the parameters") && parseBlock(function.body);
  }

  /// Descriptions are parsed by recursive descent and evaluated by recursion over the tree:
  /// blocks, parentheses, calls, lists and unary minus nest at most this deep, and an
  /// expression's tree (a long chain of `+` included) is at most this many levels, so neither
  /// can run out of stack. Real descriptions stay far below (GPT-2's deepest is 6).
  static constexpr unsigned kMaxNesting = 256;

  /// One more level of nesting at `loc` for the guard's lifetime; false (said) past the limit.
  struct Nesting {
    Parser &parser;
    bool ok;
    Nesting(Parser &parser, SMLoc loc) : parser(parser), ok(++parser.nesting <= kMaxNesting) {
      if (!ok)
        parser.error(loc, "nested more than " + llvm::Twine(kMaxNesting) +
                              " levels deep (blocks, parentheses, calls, lists, unary minus)");
    }
    ~Nesting() { --parser.nesting; }
  };

  bool parseBlock(std::vector<Stmt> &body) {
    Nesting nested(*this, peek().loc);
    if (!nested.ok)
      return false;
    if (!expect("{", "to open a block"))
      return false;
    while (!peek().is("}")) {
      if (peek().kind == Token::Kind::End)
        return error(peek().loc, "expected '}' to close the block, found end of file");
      Stmt stmt;
      if (!parseStmt(stmt))
        return false;
      body.push_back(std::move(stmt));
    }
    advance();
    return true;
  }

  bool parseStmt(Stmt &stmt) {
    stmt.loc = peek().loc;
    if (accept("input")) {
      stmt.kind = Stmt::Kind::Input;
      return parseDeclaration(stmt);
    }
    if (accept("output")) {
      stmt.kind = Stmt::Kind::Output;
      return parseDeclaration(stmt);
    }
    if (accept("for")) {
      stmt.kind = Stmt::Kind::For;
      if (!expectTarget(stmt, "a loop variable"))
        return false;
      if (!expect("in", "after the loop variable"))
        return false;
      ExprPtr begin = parseAdditive();
      if (!begin || !expect("..", "in the loop range (begin..end)"))
        return false;
      ExprPtr end = parseAdditive();
      if (!end)
        return false;
      stmt.values.push_back(std::move(begin));
      stmt.values.push_back(std::move(end));
      return parseBlock(stmt.body);
    }
    if (accept("def")) {
      stmt.kind = Stmt::Kind::Def;
      stmt.function = std::make_shared<Function>();
      return parseFunction(*stmt.function);
    }
    if (accept("entry")) {
      stmt.kind = Stmt::Kind::Entry;
      if (!expectTarget(stmt, "an entry point name"))
        return false;
      return parseBlock(stmt.body);
    }
    if (accept("if")) {
      stmt.kind = Stmt::Kind::If;
      ExprPtr cond = parseExpr();
      if (!cond)
        return false;
      stmt.values.push_back(std::move(cond));
      if (!parseBlock(stmt.body))
        return false;
      if (!accept("else"))
        return true;
      if (peek().is("if")) { // else if: a nested if as the whole else branch
        Nesting deeper(*this, peek().loc);
        Stmt nested;
        if (!deeper.ok || !parseStmt(nested))
          return false;
        stmt.elseBody.push_back(std::move(nested));
        return true;
      }
      return parseBlock(stmt.elseBody);
    }
    if (accept("return")) {
      stmt.kind = Stmt::Kind::Return;
      do {
        ExprPtr value = parseExpr();
        if (!value)
          return false;
        stmt.values.push_back(std::move(value));
      } while (accept(","));
      return true;
    }
    stmt.kind = Stmt::Kind::Assign;
    do {
      if (!expectTarget(stmt, "a statement (assignment, input, output, for, if, return)"))
        return false;
    } while (accept(","));
    if (!expect("=", "in an assignment"))
      return false;
    ExprPtr value = parseExpr();
    if (!value)
      return false;
    stmt.values.push_back(std::move(value));
    return true;
  }

  bool parseDeclaration(Stmt &stmt) {
    if (!expectTarget(stmt, "a tensor name"))
      return false;
    if (!expect(":", "before the tensor type"))
      return false;
    TypeDecl &type = stmt.type;
    if (!expectIdent(type.dtype, type.loc, "an element type (f32, i32, i64)"))
      return false;
    if (type.dtype != "f32" && type.dtype != "i32" && type.dtype != "i64")
      return error(type.loc, "unknown element type '" + type.dtype + "'; use f32, i32 or i64");
    if (!expect("[", "to open the shape"))
      return false;
    do {
      DimDecl dim;
      dim.loc = peek().loc;
      if (!(dim.size = parseAdditive()))
        return false;
      if (accept("<=") && !(dim.bound = parseAdditive()))
        return false;
      type.dims.push_back(std::move(dim));
    } while (accept(","));
    return expect("]", "to close the shape");
  }

  ExprPtr make(Expr::Kind kind, SMLoc loc, StringRef text = "") {
    auto expr = std::make_unique<Expr>();
    expr->kind = kind;
    expr->loc = loc;
    expr->text = text.str();
    return expr;
  }

  /// Makes `operand` the next operand of `expr`; false (said) if the tree grows deeper than
  /// kMaxNesting.
  bool adopt(Expr &expr, ExprPtr operand) {
    expr.depth = std::max(expr.depth, operand->depth + 1);
    expr.operands.push_back(std::move(operand));
    if (expr.depth <= kMaxNesting)
      return true;
    return error(expr.loc, "an expression more than " + llvm::Twine(kMaxNesting) +
                               " operations deep; name some of its parts");
  }

  ExprPtr binary(SMLoc loc, StringRef op, ExprPtr lhs, ExprPtr rhs) {
    ExprPtr expr = make(Expr::Kind::Binary, loc, op);
    if (!adopt(*expr, std::move(lhs)) || !adopt(*expr, std::move(rhs)))
      return nullptr;
    return expr;
  }

  /// `??` is right-associative: `config.a ?? config.b ?? 1` tries a, then b, then 1.
  ExprPtr parseExpr() {
    Nesting nested(*this, peek().loc);
    if (!nested.ok)
      return nullptr;
    ExprPtr lhs = parseComparison();
    if (lhs && peek().is("??")) {
      SMLoc loc = advance().loc;
      ExprPtr rhs = parseExpr();
      if (!rhs)
        return nullptr;
      lhs = binary(loc, "??", std::move(lhs), std::move(rhs));
    }
    return lhs;
  }

  ExprPtr parseComparison() {
    ExprPtr lhs = parseAdditive();
    for (StringRef op : {"==", "!=", "<=", ">=", "<", ">"})
      if (lhs && peek().is(op)) {
        SMLoc loc = advance().loc;
        ExprPtr rhs = parseAdditive();
        return rhs ? binary(loc, op, std::move(lhs), std::move(rhs)) : nullptr;
      }
    return lhs;
  }

  /// One left-associative precedence level: `operand (op operand)*` for `ops`.
  ExprPtr parseLeftAssociative(llvm::ArrayRef<llvm::StringRef> ops, ExprPtr (Parser::*operand)()) {
    ExprPtr lhs = (this->*operand)();
    while (lhs && llvm::any_of(ops, [&](llvm::StringRef op) { return peek().is(op); })) {
      const Token &op = advance();
      ExprPtr rhs = (this->*operand)();
      if (!rhs)
        return nullptr;
      lhs = binary(op.loc, op.text, std::move(lhs), std::move(rhs));
    }
    return lhs;
  }

  ExprPtr parseAdditive() { return parseLeftAssociative({"+", "-"}, &Parser::parseMultiplicative); }

  ExprPtr parseMultiplicative() {
    return parseLeftAssociative({"*", "/", "//"}, &Parser::parseUnary);
  }

  ExprPtr parseUnary() {
    if (peek().is("-")) {
      Nesting nested(*this, peek().loc);
      if (!nested.ok)
        return nullptr;
      SMLoc loc = advance().loc;
      ExprPtr operand = parseUnary();
      if (!operand)
        return nullptr;
      ExprPtr expr = make(Expr::Kind::Unary, loc, "-");
      return adopt(*expr, std::move(operand)) ? std::move(expr) : nullptr;
    }
    return parsePrimary();
  }

  ExprPtr parsePrimary() {
    const Token &token = peek();
    switch (token.kind) {
    case Token::Kind::Int: {
      ExprPtr expr = make(Expr::Kind::Int, token.loc, token.text);
      expr->intValue = advance().intValue;
      return expr;
    }
    case Token::Kind::Float: {
      ExprPtr expr = make(Expr::Kind::Float, token.loc, token.text);
      expr->floatValue = advance().floatValue;
      return expr;
    }
    case Token::Kind::String:
      advance();
      return make(Expr::Kind::String, token.loc, token.text);
    case Token::Kind::Ident:
      return parseNameOrCall();
    default:
      break;
    }
    if (token.is("(")) {
      advance();
      ExprPtr inner = parseExpr();
      if (!inner || !expect(")", "to close the parenthesis"))
        return nullptr;
      return inner;
    }
    if (token.is("[")) {
      ExprPtr list = make(Expr::Kind::List, advance().loc);
      while (!peek().is("]")) {
        ExprPtr item = parseExpr();
        if (!item || !adopt(*list, std::move(item)))
          return nullptr;
        if (!accept(","))
          break;
      }
      if (!expect("]", "to close the list"))
        return nullptr;
      return list;
    }
    error(token.loc, "expected an expression, found " + describe(token));
    return nullptr;
  }

  ExprPtr parseNameOrCall() {
    const Token &name = advance();
    if (name.text == "config") {
      if (!expect(".", "after 'config' (config.KEY reads config.json)"))
        return nullptr;
      std::string key;
      SMLoc loc;
      if (!expectIdent(key, loc, "a config key"))
        return nullptr;
      // Nested objects: config.rope_parameters.rope_theta
      while (peek().is(".") && peek(1).kind == Token::Kind::Ident) {
        advance();
        key += "." + advance().text.str();
      }
      return make(Expr::Kind::Config, name.loc, key);
    }
    if (!peek().is("("))
      return make(Expr::Kind::Name, name.loc, name.text);
    advance();
    ExprPtr call = make(Expr::Kind::Call, name.loc, name.text);
    while (!peek().is(")")) {
      std::string keyword;
      if (peek().kind == Token::Kind::Ident && peek(1).is("=")) {
        keyword = advance().text.str();
        advance();
      } else if (!call->keywords.empty() && !call->keywords.back().empty()) {
        error(peek().loc, "positional argument after a keyword argument");
        return nullptr;
      }
      ExprPtr arg = parseExpr();
      if (!arg || !adopt(*call, std::move(arg)))
        return nullptr;
      call->keywords.push_back(keyword);
      if (!accept(","))
        break;
    }
    if (!expect(")", "to close the call"))
      return nullptr;
    return call;
  }

  llvm::SourceMgr &sources;
  std::vector<Token> tokens;
  size_t position = 0;
  bool failed = false;
  unsigned nesting = 0;
};

} // namespace

bool attune::parseBuffer(llvm::SourceMgr &sources, unsigned bufferId, Program &program) {
  Parser parser(sources, bufferId);
  return parser.parseProgram(program);
}
