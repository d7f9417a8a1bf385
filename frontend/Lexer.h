// Splits .tfm source text into tokens. Comments run from '#' to the end of the line.
#ifndef ATTUNE_FRONTEND_LEXER_H
#define ATTUNE_FRONTEND_LEXER_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/SMLoc.h"

#include <string>

namespace attune {

struct Token {
  enum class Kind { Ident, Int, Float, String, Punct, End, Error };
  Kind kind;
  llvm::StringRef text; // for strings: the contents between the quotes
  llvm::SMLoc loc;
  int64_t intValue = 0;
  double floatValue = 0;

  bool is(llvm::StringRef punctOrKeyword) const {
    return (kind == Kind::Punct || kind == Kind::Ident) && text == punctOrKeyword;
  }
};

class Lexer {
public:
  explicit Lexer(llvm::StringRef buffer) : current(buffer.begin()), end(buffer.end()) {}
  Token next();
  /// Why the last Error token was produced.
  const std::string &errorMessage() const { return error; }

private:
  Token make(Token::Kind kind, const char *start);
  const char *current;
  const char *end;
  std::string error;
};

} // namespace attune

#endif // ATTUNE_FRONTEND_LEXER_H
