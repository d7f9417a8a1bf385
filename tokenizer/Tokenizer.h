//===- Tokenizer.h - Hugging Face tokenizer.json: text <-> token ids ------------*- C++ -*-===//
//
// What `attune generate --prompt TEXT` encodes prompts with and decodes tokens by: a reader of
// Hugging Face's tokenizer.json and the same encode/decode, so that a model's ids mean what
// they meant in training. The generated library stays tokenizer-free; this is the tool's.
//
// Supported so far: the BPE model (vocabulary, merges in either JSON form, unk_token, fuse_unk,
// byte_fallback); added tokens (matched in the text before the model sees it, longest first);
// the normalizers and pre-tokenizers of tokenizer/PreTokenizer.h (byte-level BPE: GPT-2,
// Llama 3, Qwen2, Mistral's newer vocabularies; SentencePiece-style BPE with byte
// fallback: Llama 2, Mistral 7B); the post-processors ByteLevel, TemplateProcessing (special
// tokens around a single sequence, such as a BOS) and Sequence; the decoders of
// tokenizer/Decoder.h. A character-level vocabulary is the BPE without merges. Any other
// component is a clear error naming it, never a different encoding.
//
// Text that is not UTF-8 is read as Hugging Face's readers of bytes read it: each maximal
// ill-formed subsequence as U+FFFD. Byte-level and byte-fallback tokenizers decode to bytes
// (a token may end inside a character), and decode(encode(s)) == s for any UTF-8 s.
//
//===----------------------------------------------------------------------------------------===//
#ifndef ATTUNE_TOKENIZER_TOKENIZER_H
#define ATTUNE_TOKENIZER_TOKENIZER_H

#include "tokenizer/Decoder.h"
#include "tokenizer/PreTokenizer.h"

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

  llvm::Error readPostProcessor(const llvm::json::Value &component);

  /// Normalization, pre-tokenization and BPE of one stretch without added tokens, which starts
  /// at byte `offset` of the text; appended to `ids`.
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
  /// byte_fallback: each byte's "<0xXX>" token (-1 where the vocabulary has none), so a
  /// character the vocabulary lacks becomes its bytes' tokens; empty without it.
  std::vector<int64_t> byteTokens;
  std::optional<PreTokenizer> preTokenizer;
  std::vector<int64_t> before, after; // the post-processor's special tokens around the ids
  std::optional<Decoder> decoder;
};

} // namespace attune

#endif // ATTUNE_TOKENIZER_TOKENIZER_H
