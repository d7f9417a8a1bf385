// Byte-level BPE (GPT-2's tokenizer.json, test/data/tokenizers/gpt2, made by
// scripts/tokenizer_references.mjs): encoding and decoding 10,000 strings exactly as two
// independent references do (Tokenizers.js and gpt-3-encoder, which agree on every one),
// decode(encode(s)) == s, and the byte-level details: GPT-2's split, added tokens,
// add_prefix_space, tokens that end inside a character, invalid UTF-8.
#include "tokenizer/Tokenizer.h"
#include "tokenizer/Unicode.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"

#include <gtest/gtest.h>

#include <fstream>

using attune::Tokenizer;

namespace {

const std::string kData = ATTUNE_TOKENIZER_DATA;

std::string readFile(const std::string &path) {
  auto buffer = llvm::MemoryBuffer::getFile(path);
  EXPECT_TRUE(static_cast<bool>(buffer)) << path;
  return buffer ? (*buffer)->getBuffer().str() : "";
}

const Tokenizer &gpt2() {
  static Tokenizer *tokenizer = [] {
    llvm::Expected<Tokenizer> read = Tokenizer::fromFile(kData + "/gpt2/tokenizer.json");
    if (!read) {
      ADD_FAILURE() << llvm::toString(read.takeError());
      std::abort();
    }
    return new Tokenizer(std::move(*read));
  }();
  return *tokenizer;
}

std::vector<int64_t> encode(const Tokenizer &tokenizer, llvm::StringRef text) {
  llvm::Expected<std::vector<int64_t>> ids = tokenizer.encode(text);
  EXPECT_TRUE(static_cast<bool>(ids)) << llvm::toString(ids.takeError());
  return ids ? *ids : std::vector<int64_t>{};
}

std::string decode(const Tokenizer &tokenizer, const std::vector<int64_t> &ids) {
  llvm::Expected<std::string> text = tokenizer.decode(ids, /*skipSpecial=*/false);
  EXPECT_TRUE(static_cast<bool>(text)) << llvm::toString(text.takeError());
  return text ? *text : "";
}

TEST(ByteLevel, GPT2EncodesTenThousandStringsAsTheReferencesDo) {
  std::ifstream lines(kData + "/gpt2/references.jsonl");
  ASSERT_TRUE(lines.good());
  std::string line;
  int cases = 0, wrong = 0, invalid = 0;
  while (std::getline(lines, line)) {
    llvm::Expected<llvm::json::Value> parsed = llvm::json::parse(line);
    ASSERT_TRUE(static_cast<bool>(parsed)) << llvm::toString(parsed.takeError());
    const llvm::json::Object &entry = *parsed->getAsObject();
    std::string bytes;
    if (std::optional<llvm::StringRef> text = entry.getString("text")) {
      bytes = text->str();
    } else {
      bytes = llvm::fromHex(*entry.getString("hex"));
      ++invalid;
    }
    std::vector<int64_t> expected;
    for (const llvm::json::Value &id : *entry.getArray("ids"))
      expected.push_back(*id.getAsInteger());
    ++cases;
    llvm::Expected<std::vector<int64_t>> ids = gpt2().encode(bytes, /*addSpecial=*/false);
    ASSERT_TRUE(static_cast<bool>(ids)) << llvm::toString(ids.takeError());
    // What the references decode to: the text itself, or (invalid UTF-8) as it was read.
    std::string read;
    for (uint32_t c : attune::unicode::decodeUtf8Lossy(bytes))
      attune::unicode::appendUtf8(c, read);
    bool same = *ids == expected && decode(gpt2(), *ids) == read;
    if (!same && ++wrong <= 5)
      ADD_FAILURE() << "string " << cases << " '" << line << "': got "
                    << llvm::join(
                           llvm::map_range(*ids, [](int64_t i) { return std::to_string(i); }), ",");
  }
  EXPECT_EQ(cases, 10000);
  EXPECT_GT(invalid, 0);
  EXPECT_EQ(wrong, 0);
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

} // namespace
