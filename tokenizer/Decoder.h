//===- Decoder.h - tokenizer.json's decoder: tokens back to text -------------*- C++ -*-===//
//
// Hugging Face's decoders turn the tokens of ids into text step by step, each step mapping the
// list of token strings to another: Replace, ByteFallback ("<0x0A>" tokens to their bytes),
// Fuse, Strip, ByteLevel (GPT-2's byte characters to bytes), Metaspace, and Sequence of them;
// without a decoder the tokens are joined by spaces. Where Hugging Face makes a string of
// bytes that are not UTF-8 (a token that ends inside a character), this gives the bytes: a
// streamed output then joins them into the character.
//
//===-------------------------------------------------------------------------------===//
#ifndef ATTUNE_TOKENIZER_DECODER_H
#define ATTUNE_TOKENIZER_DECODER_H

#include "llvm/Support/Error.h"
#include "llvm/Support/JSON.h"

#include <string>
#include <vector>

namespace attune {

class Decoder {
public:
  /// From tokenizer.json's "decoder" (null or absent: tokens joined by spaces).
  static llvm::Expected<Decoder> fromJSON(const llvm::json::Value *decoder, llvm::StringRef file);

  /// The text of `tokens`.
  std::string decode(std::vector<std::string> tokens) const;

private:
  struct Step {
    enum Kind { Replace, ByteFallback, Fuse, Strip, ByteLevel, Metaspace } kind;
    std::string from, to;        // Replace; Strip: `from` is the character; Metaspace: `from`
    int64_t start = 0, stop = 0; // Strip
    bool prepended = true;       // Metaspace: the encoder prepended `from` (not "never")
  };

  llvm::Error read(const llvm::json::Value &component, llvm::StringRef file);

  std::vector<Step> steps;
  bool joinWithSpaces = true;
};

} // namespace attune

#endif // ATTUNE_TOKENIZER_DECODER_H
