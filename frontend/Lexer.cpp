// The .tfm lexer: identifiers, integers, floats, double-quoted strings and punctuation.
#include "frontend/Lexer.h"

#include "llvm/ADT/StringExtras.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>

using namespace attune;

Token Lexer::make(Token::Kind kind, const char *start) {
  Token token{kind, llvm::StringRef(start, current - start), llvm::SMLoc::getFromPointer(start)};
  return token;
}

Token Lexer::next() {
  // Whitespace and comments.
  while (current < end) {
    if (llvm::isSpace(*current)) {
      ++current;
    } else if (*current == '#') {
      while (current < end && *current != '\n')
        ++current;
    } else {
      break;
    }
  }
  const char *start = current;
  if (current >= end)
    return make(Token::Kind::End, start);

  char c = *current;
  if (llvm::isAlpha(c) || c == '_') {
    while (current < end && (llvm::isAlnum(*current) || *current == '_'))
      ++current;
    return make(Token::Kind::Ident, start);
  }

  if (llvm::isDigit(c) || (c == '.' && current + 1 < end && llvm::isDigit(current[1]))) {
    bool isFloat = false;
    while (current < end && llvm::isDigit(*current))
      ++current;
    // "0..n" is a range, not a float: a '.' followed by another '.' ends the number.
    if (current < end && *current == '.' && !(current + 1 < end && current[1] == '.')) {
      isFloat = true;
      ++current;
      while (current < end && llvm::isDigit(*current))
        ++current;
    }
    if (current < end && (*current == 'e' || *current == 'E')) {
      const char *exponent = current + 1;
      if (exponent < end && (*exponent == '+' || *exponent == '-'))
        ++exponent;
      if (exponent < end && llvm::isDigit(*exponent)) {
        isFloat = true;
        current = exponent;
        while (current < end && llvm::isDigit(*current))
          ++current;
      }
    }
    Token token = make(isFloat ? Token::Kind::Float : Token::Kind::Int, start);
    std::string text = token.text.str();
    errno = 0;
    if (isFloat) {
      token.floatValue = std::strtod(text.c_str(), nullptr);
    } else {
      token.intValue = std::strtoll(text.c_str(), nullptr, 10);
      if (errno == ERANGE) {
        error = "integer literal out of range";
        token.kind = Token::Kind::Error;
      }
    }
    return token;
  }

  if (c == '"') {
    ++current;
    while (current < end && *current != '"' && *current != '\n')
      ++current;
    if (current >= end || *current != '"') {
      error = "unterminated string";
      current = start + 1;
      return make(Token::Kind::Error, start);
    }
    Token token{Token::Kind::String, llvm::StringRef(start + 1, current - start - 1),
                llvm::SMLoc::getFromPointer(start)};
    ++current;
    return token;
  }

  static const char *const twoChar[] = {"..", "??", "==", "!=", "<=", ">=", "//"};
  for (const char *op : twoChar)
    if (current + 1 < end && c == op[0] && current[1] == op[1]) {
      current += 2;
      return make(Token::Kind::Punct, start);
    }
  if (llvm::StringRef("()[]{},:=+-*/<>.").contains(c)) {
    ++current;
    return make(Token::Kind::Punct, start);
  }
  ++current;
  // Bytes that do not print (NUL, control characters, bytes of non-ASCII text) are shown by
  // value: the description is ASCII outside comments and strings.
  unsigned char byte = static_cast<unsigned char>(c);
  char hex[8];
  std::snprintf(hex, sizeof hex, "0x%02x", byte);
  error = byte >= 0x20 && byte < 0x7f
              ? std::string("unexpected character '") + c + "'"
              : std::string("unexpected byte ") + hex +
                    " (outside comments and strings a description is ASCII text)";
  return make(Token::Kind::Error, start);
}
