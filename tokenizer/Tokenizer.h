//===- Tokenizer.h - Hugging Face tokenizer.json: text <-> token ids ------------*- C++ -*-===//
//
// What `attune generate --prompt TEXT` encodes prompts with and decodes tokens by: a reader of
// Hugging Face's tokenizer.json and the same encode/decode, so that a model's ids mean what
// they meant in training. The generated library stays tokenizer-free; this is the tool's.
//
// Supported so far: the BPE model (vocabulary, merges in either JSON form, unk_token, fuse_unk)
// without a normalizer; added tokens (matched in the text before the model sees it, longest
// first); the pre-tokenizers ByteLevel (GPT-2's split and bytes as characters: GPT-2, Llama 3,
// Qwen2, Mistral's newer vocabularies), Split (a pattern, tokenizer/Pattern.h, or a string)
// and Sequence; the post-processors ByteLevel, TemplateProcessing (special tokens around a
// single sequence, such as a BOS) and Sequence; the decoders none (tokens joined by spaces,
// as Hugging Face does), Fuse and ByteLevel. A character-level vocabulary is the BPE without
// merges. Any other component is a clear error naming it, never a different encoding.
//
// Text that is not UTF-8 is read as Hugging Face's readers of bytes read it: each maximal
// ill-formed subsequence as U+FFFD. A byte-level tokenizer decodes to bytes (its tokens may
// end inside a character), so decode(encode(s)) == s for any UTF-8 s.
//
//===----------------------------------------------------------------------------------------===//
#ifndef ATTUNE_TOKENIZER_TOKENIZER_H
#define ATTUNE_TOKENIZER_TOKENIZER_H

#include "tokenizer/Pattern.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/JSON.h"

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace attune {

class Tokenizer {
public:
  /// Reads a tokenizer.json; errors name `path` and the part that is wrong or unsupported.
  static llvm::Expected<Tokenizer> fromFile(llvm::StringRef path);
  /// The same from text already read; `name` stands for the file in errors.
  static llvm::Expected<Tokenizer> fromJSON(llvm::StringRef json, llvm::StringRef name);

  /// The ids of `text`, with the post-processor's special tokens (a BOS) unless `addSpecial`
  /// is false. Fails on a character the vocabulary lacks when there is no unk_token (naming
  /// it and its byte offset).
  llvm::Expected<std::vector<int64_t>> encode(llvm::StringRef text, bool addSpecial = true) const;
  /// The text of `ids`; special added tokens (such as an end of text) are left out unless
  /// `skipSpecial` is false. Fails on an id the tokenizer has no token for.
  llvm::Expected<std::string> decode(llvm::ArrayRef<int64_t> ids, bool skipSpecial = true) const;

  /// One past the largest id of a token.
  int64_t size() const { return static_cast<int64_t>(tokens.size()); }

private:
  Tokenizer() = default;

  /// How a Split keeps what its pattern matches (Hugging Face's SplitDelimiterBehavior).
  enum class Delimiter { Isolated, Removed, MergedWithPrevious, MergedWithNext };
  /// One step of the pre-tokenizer, applied to every piece the steps before it made.
  struct PreTokenizeStep {
    enum Kind { Split, PrefixSpace } kind;
    std::optional<Pattern> pattern; // Split
    Delimiter delimiter = Delimiter::Isolated;
  };

  llvm::Error readPreTokenizer(const llvm::json::Value &component);
  llvm::Error readPostProcessor(const llvm::json::Value &component);
  llvm::Error readDecoder(const llvm::json::Value &component);

  /// The pre-tokenizer's pieces of one stretch of text without added tokens.
  llvm::Expected<std::vector<std::string>> preTokenize(llvm::StringRef stretch) const;
  /// Pre-tokenization and BPE of one stretch without added tokens, appended to `ids`.
  llvm::Error encodeStretch(llvm::StringRef stretch, size_t offset,
                            std::vector<int64_t> &ids) const;
  /// BPE of one piece, appended to `ids`; `offset` is where the piece's stretch starts in
  /// the whole text (for errors).
  llvm::Error encodePiece(llvm::StringRef piece, size_t offset, std::vector<int64_t> &ids) const;

  std::string name;                // the file, for errors
  std::vector<std::string> tokens; // by id; empty for ids no token has
  std::vector<bool> special;       // by id: an added token marked special
  llvm::StringMap<int64_t> vocabulary;
  std::vector<std::pair<std::string, int64_t>> added; // content and id, longest first
  /// The merge of the pair of ids (left, right): its rank (lower merges first) and the id of
  /// the merged token.
  llvm::DenseMap<std::pair<int64_t, int64_t>, std::pair<int64_t, int64_t>> merges;
  int64_t unknown = -1; // the unk_token's id; -1: none
  bool fuseUnknown = false;
  std::vector<PreTokenizeStep> preTokenizer;
  bool byteLevel = false; // pieces' bytes become the vocabulary's characters (GPT-2's map)
  std::vector<int64_t> before, after; // the post-processor's special tokens around the ids
  enum class Decoder { JoinWithSpaces, Fuse, ByteLevel } decoder = Decoder::JoinWithSpaces;
};

} // namespace attune

#endif // ATTUNE_TOKENIZER_TOKENIZER_H
