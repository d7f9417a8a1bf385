// attune's tokenizers against independent implementations, on 10,000 strings per vocabulary
// (ASCII, accents, many scripts, CJK, emoji, white-space runs; one in fifteen with invalid
// UTF-8), made by scripts/tokenizer_references.mjs: GPT-2's byte-level BPE (references:
// Tokenizers.js and gpt-3-encoder) and Llama 2's SentencePiece-style BPE with byte fallback
// (Tokenizers.js and llama-tokenizer-js); the two references agree on every string. Each
// string encodes to the references' ids and decodes back to itself (an invalid one to the
// text the references read it as: U+FFFD for each maximal ill-formed subsequence).
#include "tokenizer/Tokenizer.h"
#include "tokenizer/Unicode.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/JSON.h"

#include <gtest/gtest.h>

#include <fstream>

using attune::Tokenizer;

namespace {

class References : public ::testing::TestWithParam<std::string> {};

TEST_P(References, EncodeAndDecodeTenThousandStringsAsTheReferencesDo) {
  std::string dir = std::string(ATTUNE_TOKENIZER_DATA) + "/" + GetParam();
  llvm::Expected<Tokenizer> tokenizer = Tokenizer::fromFile(dir + "/tokenizer.json");
  ASSERT_TRUE(static_cast<bool>(tokenizer)) << llvm::toString(tokenizer.takeError());
  std::ifstream lines(dir + "/references.jsonl");
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
    llvm::Expected<std::vector<int64_t>> ids = tokenizer->encode(bytes, /*addSpecial=*/false);
    ASSERT_TRUE(static_cast<bool>(ids)) << llvm::toString(ids.takeError());
    // What the references read: the text, invalid bytes as U+FFFD.
    std::string read = attune::unicode::validUtf8(bytes);
    llvm::Expected<std::string> decoded = tokenizer->decode(*ids, /*skipSpecial=*/false);
    ASSERT_TRUE(static_cast<bool>(decoded)) << llvm::toString(decoded.takeError());
    if ((*ids != expected || *decoded != read) && ++wrong <= 5)
      ADD_FAILURE() << GetParam() << " string " << cases << " " << line << ": got ids "
                    << llvm::join(
                           llvm::map_range(*ids, [](int64_t i) { return std::to_string(i); }), ",")
                    << ", decoded '" << *decoded << "'";
  }
  EXPECT_EQ(cases, 10000);
  EXPECT_GT(invalid, 0);
  EXPECT_EQ(wrong, 0);
}

INSTANTIATE_TEST_SUITE_P(Vocabularies, References, ::testing::Values("gpt2", "llama"));

} // namespace
