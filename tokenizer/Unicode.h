//===- Unicode.h - The Unicode facts tokenizers split text by -------------*- C++ -*-===//
//
// Code points of UTF-8 text, the classes tokenizer.json's pre-tokenizer patterns name (letters
// \p{L}, numbers \p{N}, white space \s) and the NFC normalization form. Tables from Unicode
// 14.0 (tokenizer/UnicodeTables.inc, made by scripts/unicode_tables.py).
//
//===------------------------------------------------------------------------------===//
#ifndef ATTUNE_TOKENIZER_UNICODE_H
#define ATTUNE_TOKENIZER_UNICODE_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <string>
#include <vector>

namespace attune::unicode {

/// The replacement character, what invalid UTF-8 decodes to.
constexpr uint32_t kReplacement = 0xFFFD;

/// General category L (Lu, Ll, Lt, Lm, Lo).
bool isLetter(uint32_t c);
/// General category N (Nd, Nl, No).
bool isNumber(uint32_t c);
/// The White_Space property, what Hugging Face's tokenizers (Rust, Oniguruma) mean by \s:
/// U+0009-000D, U+0020, U+0085, U+00A0, U+1680, U+2000-200A, U+2028, U+2029, U+202F, U+205F,
/// U+3000. (JavaScript's \s differs at U+0085, which it lacks, and U+FEFF, which it has.)
bool isWhitespace(uint32_t c);

/// The code points of `text`; each maximal ill-formed subsequence (Unicode's "substitution of
/// maximal subparts", what Rust's from_utf8_lossy, Python's errors="replace" and the WHATWG
/// decoder do) becomes one U+FFFD. `invalid` (if given) is set when any did.
std::vector<uint32_t> decodeUtf8Lossy(llvm::StringRef text, bool *invalid = nullptr);

/// `text` in Normalization Form C (Unicode Standard Annex #15): canonical decomposition,
/// canonical ordering of combining marks, then canonical composition (Hangul included), the
/// normalizer "NFC" of tokenizer.json (Qwen2's).
std::vector<uint32_t> toNFC(llvm::ArrayRef<uint32_t> text);

/// Appends the UTF-8 bytes of `c` to `out`.
void appendUtf8(uint32_t c, std::string &out);
/// The UTF-8 of `text`.
std::string encodeUtf8(llvm::ArrayRef<uint32_t> text);
/// `text` as valid UTF-8: itself, or with each maximal ill-formed subsequence as U+FFFD.
std::string validUtf8(llvm::StringRef text);

} // namespace attune::unicode

#endif // ATTUNE_TOKENIZER_UNICODE_H
