//===- TokenPrinter.h - What `attune generate` prints of the tokens it makes ----*- C++ -*-===//
#ifndef ATTUNE_TOOLS_ATTUNE_TOKENPRINTER_H
#define ATTUNE_TOOLS_ATTUNE_TOKENPRINTER_H

#include "llvm/ADT/ArrayRef.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace attune {

class Tokenizer;

/// Prints each row's new tokens: their ids ("tokens: 11 7 3"), or with a tokenizer their text
/// with special tokens such as the end of text left out ("579"). A single row streams as its
/// tokens come; the rows of a batch are a line each, "sequence N: ...", once they are done.
class TokenPrinter {
public:
  explicit TokenPrinter(const Tokenizer *tokenizer) : tokenizer(tokenizer) {}

  /// Starts a streamed row; `row` labels it when it is one of several.
  void beginStream(std::optional<size_t> row);
  void stream(int64_t token);
  void endStream();
  /// A finished row of a batch.
  void printRow(size_t row, llvm::ArrayRef<int64_t> tokens);

private:
  /// The text of `tokens`; an id the tokenizer has no text for shows as <|id N|>.
  std::string text(llvm::ArrayRef<int64_t> tokens) const;

  const Tokenizer *tokenizer;
  std::vector<int64_t> streamed; // the streamed row's tokens so far
  size_t printed = 0;            // and how much of their text is out
};

} // namespace attune

#endif // ATTUNE_TOOLS_ATTUNE_TOKENPRINTER_H
