//===- Pattern.h - The regular expressions of tokenizer.json's pre-tokenizers ---*- C++ -*-===//
//
// A small backtracking matcher over code points for the patterns byte-level tokenizers split
// text with: GPT-2's (the ByteLevel pre-tokenizer's own), and the Split patterns of Llama 3,
// Qwen2 and Mistral's newer vocabularies. Its semantics are Oniguruma's, what Hugging Face's
// tokenizers use: leftmost match, alternatives tried in order, greedy quantifiers.
//
// Supported: literals and escaped punctuation; \r \n \t \f \v; . (any but \n); classes [...]
// and [^...] with ranges; \s \S (White_Space), \p{L} \p{N} \P{L} \P{N} (also inside
// classes); groups (...) (?:...) and case-insensitive (?i:...) (ASCII letters); lookaheads
// (?=...) (?!...); quantifiers * + ? {n} {n,} {n,m}. Anything else (other categories, \d \w,
// lazy or possessive quantifiers, anchors, backreferences) is an error naming it. Patterns are
// bounded in length and nesting, and matching in steps and depth, so no pattern makes it
// hang or overflow the stack.
//
//===--------------------------------------------------------------------------------------===//
#ifndef ATTUNE_TOKENIZER_PATTERN_H
#define ATTUNE_TOKENIZER_PATTERN_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

namespace attune {

class Pattern {
public:
  /// Parses `pattern` (UTF-8); errors say what is wrong or unsupported and where.
  static llvm::Expected<Pattern> compile(llvm::StringRef pattern);
  /// A pattern matching `literal` exactly (tokenizer.json's {"String": ...} patterns).
  static Pattern literal(llvm::StringRef literal);

  /// The leftmost non-empty match in `text` starting at or after `from`: [begin, end), or
  /// none. An error where matching would take too long or recurse too deep (a pattern that
  /// backtracks catastrophically, a repeated group over a very long text).
  llvm::Expected<std::optional<std::pair<size_t, size_t>>> find(llvm::ArrayRef<uint32_t> text,
                                                                size_t from) const;

private:
  /// One item of a character class: a range of code points, or a Unicode class.
  struct ClassItem {
    enum Kind { Range, Letter, Number, Space } kind;
    bool negated = false; // \P{L}, \S
    uint32_t first = 0, last = 0;
  };
  struct Node {
    enum Kind { Class, Sequence, Alternatives, Repeat, Lookahead } kind;
    std::vector<ClassItem> items; // Class
    bool negated = false;         // Class: [^...]; Lookahead: (?!...)
    bool foldCase = false;        // Class: under (?i:...)
    std::vector<int> children;    // Sequence, Alternatives; Repeat and Lookahead: one
    int min = 0, max = -1;        // Repeat; -1: no bound
  };
  class Parser;
  class Matcher;

  std::vector<Node> nodes;
  int root = -1;
  /// A literal pattern's text, searched for directly (a long one would recurse deep).
  std::optional<std::vector<uint32_t>> literalText;
};

} // namespace attune

#endif // ATTUNE_TOKENIZER_PATTERN_H
