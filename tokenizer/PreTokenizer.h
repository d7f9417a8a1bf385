//===- PreTokenizer.h - tokenizer.json's normalizer and pre-tokenizer --------*- C++ -*-===//
//
// What a tokenizer does to text before its model sees it: the normalizer (NFC: Qwen2's; Prepend,
// Replace, Sequence: SentencePiece-style vocabularies such as Llama 2's mark spaces with "▁")
// and the pre-tokenizer, which splits the text into the pieces the model encodes apart
// (ByteLevel: GPT-2's split, bytes as characters; Metaspace; Split; Sequence).
//
//===------------------------------------------------------------------------------------===//
#ifndef ATTUNE_TOKENIZER_PRETOKENIZER_H
#define ATTUNE_TOKENIZER_PRETOKENIZER_H

#include "tokenizer/Pattern.h"

#include "llvm/Support/JSON.h"

#include <optional>
#include <string>
#include <vector>

namespace attune {

class PreTokenizer {
public:
  /// From tokenizer.json's "normalizer" and "pre_tokenizer" (null or absent: none); errors
  /// name `file` and what is unsupported.
  static llvm::Expected<PreTokenizer> fromJSON(const llvm::json::Value *normalizer,
                                               const llvm::json::Value *preTokenizer,
                                               llvm::StringRef file);

  /// The pieces of one stretch of text between added tokens, normalized and split; `atStart`:
  /// the stretch begins the text (Metaspace's prepend_scheme "first").
  llvm::Expected<std::vector<std::string>> split(llvm::StringRef stretch, bool atStart) const;

  /// Whether the pieces are bytes the model reads as GPT-2's byte characters (ByteLevel).
  bool byteLevel() const { return bytes; }

private:
  /// How a Split keeps what its pattern matches (Hugging Face's SplitDelimiterBehavior).
  enum class Delimiter { Isolated, Removed, MergedWithPrevious, MergedWithNext };
  enum class Prepend { Always, First, Never };
  struct Step {
    enum Kind {
      NFC,         // normalizer: Unicode Normalization Form C
      Replace,     // normalizer: every match of `pattern` becomes `content`
      PrependText, // normalizer: `content` before a non-empty stretch
      PrefixSpace, // ByteLevel's add_prefix_space: a space before a piece without one
      Split,       // `pattern`'s matches split each piece, kept as `delimiter` says
      Metaspace,   // spaces become `content`; `content` prepended as `prepend` says
    } kind;
    std::optional<Pattern> pattern;
    std::string content;
    Delimiter delimiter = Delimiter::Isolated;
    Prepend prepend = Prepend::Always;
  };

  llvm::Error readNormalizer(const llvm::json::Value &component);
  llvm::Error readPreTokenizer(const llvm::json::Value &component);
  llvm::Expected<Pattern> readPattern(const llvm::json::Object &object, llvm::StringRef owner);

  /// `piece` with every match of `pattern` replaced by `content`.
  static llvm::Expected<std::string> replaceAll(const Pattern &pattern, llvm::StringRef content,
                                                llvm::StringRef piece);
  /// `piece` split at `step`'s pattern, appended to `out`.
  static llvm::Error splitPiece(const Step &step, llvm::StringRef piece,
                                std::vector<std::string> &out);

  std::string file;
  std::vector<Step> normalizer, preTokenizer;
  bool bytes = false;
};

} // namespace attune

#endif // ATTUNE_TOKENIZER_PRETOKENIZER_H
