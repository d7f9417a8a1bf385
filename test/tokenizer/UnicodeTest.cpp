// The Unicode facts of tokenizer/Unicode.h: categories and white space, lossy UTF-8, and NFC
// against JavaScript's String.normalize (ICU) on 5,000 strings of letters, combining marks in
// any order, Hangul jamo, composition exclusions and singletons
// (test/data/tokenizers/nfc.jsonl, made by scripts/tokenizer_references.mjs).
#include "tokenizer/Unicode.h"

#include "llvm/Support/JSON.h"

#include <gtest/gtest.h>

#include <fstream>

namespace unicode = attune::unicode;

namespace {

TEST(Unicode, Categories) {
  EXPECT_TRUE(unicode::isLetter(U'é'));
  EXPECT_TRUE(unicode::isLetter(U'日'));
  EXPECT_TRUE(unicode::isLetter(U'ß'));
  EXPECT_FALSE(unicode::isLetter(0x0947)); // Devanagari vowel sign: a mark
  EXPECT_FALSE(unicode::isLetter(U'1'));
  EXPECT_TRUE(unicode::isNumber(U'²'));
  EXPECT_TRUE(unicode::isNumber(0x0663)); // Arabic-Indic three
  EXPECT_TRUE(unicode::isNumber(U'Ⅻ'));
  EXPECT_FALSE(unicode::isNumber(U'a'));
  EXPECT_TRUE(unicode::isWhitespace(0x3000));
  EXPECT_TRUE(unicode::isWhitespace(0x85));
  EXPECT_FALSE(unicode::isWhitespace(0xFEFF));
  EXPECT_FALSE(unicode::isWhitespace(0x200B)); // zero width space: not White_Space
}

TEST(Unicode, InvalidUTF8BecomesOneReplacementPerMaximalSubpart) {
  using Chars = std::vector<uint32_t>;
  const uint32_t r = unicode::kReplacement;
  bool invalid = false;
  EXPECT_EQ(unicode::decodeUtf8Lossy("a\xc3\xa9", &invalid), (Chars{'a', 0xE9}));
  EXPECT_FALSE(invalid);
  EXPECT_EQ(unicode::decodeUtf8Lossy("\xe4\xb8"
                                     "a",
                                     &invalid),
            (Chars{r, 'a'}));
  EXPECT_TRUE(invalid);
  EXPECT_EQ(unicode::decodeUtf8Lossy("\xed\xa0\x80"), (Chars{r, r, r}));        // a surrogate
  EXPECT_EQ(unicode::decodeUtf8Lossy("\xc0\x80"), (Chars{r, r}));               // overlong
  EXPECT_EQ(unicode::decodeUtf8Lossy("\xf4\x90\x80\x80"), (Chars{r, r, r, r})); // past U+10FFFF
  EXPECT_EQ(unicode::decodeUtf8Lossy("\xf0\x9f\x98"), (Chars{r}));
  EXPECT_EQ(unicode::decodeUtf8Lossy("\xf0\x9f\x98\x80"), (Chars{0x1F600}));
}

TEST(Unicode, NFCAsICUComputesIt) {
  std::ifstream lines(std::string(ATTUNE_TOKENIZER_DATA) + "/nfc.jsonl");
  ASSERT_TRUE(lines.good());
  std::string line;
  int cases = 0, wrong = 0, changed = 0;
  while (std::getline(lines, line)) {
    llvm::Expected<llvm::json::Value> parsed = llvm::json::parse(line);
    ASSERT_TRUE(static_cast<bool>(parsed)) << llvm::toString(parsed.takeError());
    llvm::StringRef text = *parsed->getAsObject()->getString("text");
    llvm::StringRef expected = *parsed->getAsObject()->getString("nfc");
    std::string got = unicode::encodeUtf8(unicode::toNFC(unicode::decodeUtf8Lossy(text)));
    ++cases;
    changed += text != expected;
    if (got != expected && ++wrong <= 5)
      ADD_FAILURE() << line << ": got " << got;
  }
  EXPECT_EQ(cases, 5000);
  EXPECT_GT(changed, 2500); // most strings are not in NFC to begin with
  EXPECT_EQ(wrong, 0);
}

TEST(Unicode, NFCCases) {
  auto nfc = [](llvm::StringRef text) {
    return unicode::encodeUtf8(unicode::toNFC(unicode::decodeUtf8Lossy(text)));
  };
  EXPECT_EQ(nfc("e\xcc\x81"), "\xc3\xa9");                    // e + acute: é
  EXPECT_EQ(nfc("\xe2\x84\xab"), "\xc3\x85");                 // Angstrom sign: Å (a singleton)
  EXPECT_EQ(nfc("\xe0\xa5\x98"), "\xe0\xa4\x95\xe0\xa4\xbc"); // U+0958: excluded, stays apart
  EXPECT_EQ(nfc("\xe1\x84\x80\xe1\x85\xa1\xe1\x86\xa8"), "\xea\xb0\x81"); // jamo: 각
  // Marks reordered by class: dot below (220) before acute (230), then composed.
  EXPECT_EQ(nfc("a\xcc\x81\xcc\xa3"), nfc("a\xcc\xa3\xcc\x81"));
  EXPECT_EQ(nfc("plain ASCII"), "plain ASCII");
}

} // namespace
