// The real vocabularies in test/data/tokenizers (made by scripts/tokenizer_references.mjs):
// GPT-2's byte-level BPE (its split, added tokens, add_prefix_space, tokens that end inside a
// character, invalid UTF-8) and Llama 2's SentencePiece-style BPE with byte fallback (the "▁"
// normalizer, byte tokens, the BOS, the decoder's leading space), on cases whose ids come from
// the independent references. ReferenceTest.cpp checks 10,000 strings of each.
#include "tokenizer/Tokenizer.h"
#include "tokenizer/Unicode.h"

#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"

#include <gtest/gtest.h>

using attune::Tokenizer;

namespace {

const std::string kData = ATTUNE_TOKENIZER_DATA;

std::string readFile(const std::string &path) {
  auto buffer = llvm::MemoryBuffer::getFile(path);
  EXPECT_TRUE(static_cast<bool>(buffer)) << path;
  return buffer ? (*buffer)->getBuffer().str() : "";
}

Tokenizer load(const std::string &name) {
  llvm::Expected<Tokenizer> read = Tokenizer::fromFile(kData + "/" + name + "/tokenizer.json");
  if (!read) {
    ADD_FAILURE() << llvm::toString(read.takeError());
    std::abort();
  }
  return std::move(*read);
}

const Tokenizer &gpt2() {
  static const Tokenizer tokenizer = load("gpt2");
  return tokenizer;
}

const Tokenizer &llama() {
  static const Tokenizer tokenizer = load("llama");
  return tokenizer;
}

std::vector<int64_t> encode(const Tokenizer &tokenizer, llvm::StringRef text,
                            bool addSpecial = true) {
  llvm::Expected<std::vector<int64_t>> ids = tokenizer.encode(text, addSpecial);
  EXPECT_TRUE(static_cast<bool>(ids)) << llvm::toString(ids.takeError());
  return ids ? *ids : std::vector<int64_t>{};
}

std::string decode(const Tokenizer &tokenizer, const std::vector<int64_t> &ids,
                   bool skipSpecial = false) {
  llvm::Expected<std::string> text = tokenizer.decode(ids, skipSpecial);
  EXPECT_TRUE(static_cast<bool>(text)) << llvm::toString(text.takeError());
  return text ? *text : "";
}

TEST(ByteLevel, GPT2SplitsAndMerges) {
  EXPECT_EQ(encode(gpt2(), "Hello world"), (std::vector<int64_t>{15496, 995}));
  EXPECT_EQ(encode(gpt2(), " Hello"), (std::vector<int64_t>{18435}));
  // The last space of a run goes with the word after it.
  EXPECT_EQ(encode(gpt2(), "a   b"), (std::vector<int64_t>{64, 220, 220, 275}));
  // The added token is matched in the text; the BPE never sees it.
  EXPECT_EQ(encode(gpt2(), "a<|endoftext|>b"), (std::vector<int64_t>{64, 50256, 65}));
  EXPECT_EQ(decode(gpt2(), {64, 50256, 65}), "a<|endoftext|>b");
}

TEST(ByteLevel, TokensMayEndInsideACharacter) {
  // 犬: three bytes, three tokens (as the references encode it); 😀: four bytes, two tokens.
  EXPECT_EQ(encode(gpt2(), "\xe7\x8a\xac"), (std::vector<int64_t>{163, 232, 105}));
  std::vector<int64_t> ids = encode(gpt2(), "\xf0\x9f\x98\x80");
  EXPECT_EQ(ids, (std::vector<int64_t>{47249, 222}));
  ASSERT_EQ(ids.size(), 2u);
  EXPECT_EQ(decode(gpt2(), ids), "\xf0\x9f\x98\x80");
  // Each alone decodes to its bytes, which are not a character: streamed output joins them.
  EXPECT_EQ(decode(gpt2(), {ids[0]}), "\xf0\x9f\x98");
  EXPECT_EQ(decode(gpt2(), {ids[1]}), "\x80");
}

TEST(ByteLevel, InvalidUTF8ReadsAsReplacementCharacters) {
  // As Python's errors="replace" and the WHATWG decoder: one U+FFFD per maximal subpart.
  EXPECT_EQ(encode(gpt2(), "a\xff"), encode(gpt2(), "a\xef\xbf\xbd"));
  EXPECT_EQ(encode(gpt2(), "\xe4\xb8"), encode(gpt2(), "\xef\xbf\xbd"));
  EXPECT_EQ(encode(gpt2(), "\xed\xa0\x80"), encode(gpt2(), "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"));
}

TEST(ByteLevel, AddPrefixSpace) {
  llvm::Expected<llvm::json::Value> json =
      llvm::json::parse(readFile(kData + "/gpt2/tokenizer.json"));
  ASSERT_TRUE(static_cast<bool>(json)) << llvm::toString(json.takeError());
  (*json->getAsObject()->getObject("pre_tokenizer"))["add_prefix_space"] = true;
  std::string text;
  llvm::raw_string_ostream(text) << *json;
  llvm::Expected<Tokenizer> prefixed = Tokenizer::fromJSON(text, "tokenizer.json");
  ASSERT_TRUE(static_cast<bool>(prefixed)) << llvm::toString(prefixed.takeError());
  EXPECT_EQ(encode(*prefixed, "Hello"), (std::vector<int64_t>{18435}));
  EXPECT_EQ(encode(*prefixed, " Hello"), (std::vector<int64_t>{18435}));
}

// Llama 2: "▁" before the text and for every space, a BOS unless asked not to, characters
// outside the vocabulary as their bytes' tokens (the ids llama-tokenizer-js gives).
TEST(SentencePiece, LlamaNormalizesMergesAndFallsBackToBytes) {
  EXPECT_EQ(encode(llama(), "Hello world"), (std::vector<int64_t>{1, 15043, 3186}));
  EXPECT_EQ(encode(llama(), "Hello world", false), (std::vector<int64_t>{15043, 3186}));
  EXPECT_EQ(encode(llama(), " Hello", false), (std::vector<int64_t>{29871, 15043}));
  EXPECT_EQ(encode(llama(), "  two", false), (std::vector<int64_t>{259, 1023}));
  EXPECT_EQ(encode(llama(), "a\nb", false), (std::vector<int64_t>{263, 13, 29890}));
  EXPECT_EQ(encode(llama(), "\xf0\x9f\x98\x80", false),
            (std::vector<int64_t>{29871, 243, 162, 155, 131}));
  // The added tokens in the text are theirs; the stretch after one gets its own "▁".
  EXPECT_EQ(encode(llama(), "<s>Hello", false), (std::vector<int64_t>{1, 15043}));
}

TEST(SentencePiece, LlamaDecodesSpacesBytesAndTheLeadingSpace) {
  EXPECT_EQ(decode(llama(), {1, 15043, 3186}, /*skipSpecial=*/true), "Hello world");
  // As Hugging Face: the leading space is stripped from the decoded text, which here starts
  // with the BOS.
  EXPECT_EQ(decode(llama(), {1, 15043, 3186}), "<s> Hello world");
  EXPECT_EQ(decode(llama(), {29871, 15043}), " Hello");
  EXPECT_EQ(decode(llama(), {29871, 243, 162, 155, 131}), "\xf0\x9f\x98\x80");
  // Byte tokens that end inside a character decode to those bytes.
  EXPECT_EQ(decode(llama(), {29871, 243, 162}), "\xf0\x9f");
}

} // namespace
