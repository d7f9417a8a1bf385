// The pre-tokenizers' regular expressions (tokenizer/Pattern.h): Oniguruma's leftmost-first
// semantics on the patterns of GPT-2, Llama 3 and Qwen2, Unicode classes, and an error naming
// each construct it does not implement.
#include "tokenizer/Pattern.h"
#include "tokenizer/Unicode.h"

#include <gtest/gtest.h>

using attune::Pattern;
namespace unicode = attune::unicode;

namespace {

/// The matches of `pattern` in `text`, in order, as UTF-8.
std::vector<std::string> matches(llvm::StringRef pattern, llvm::StringRef text) {
  llvm::Expected<Pattern> compiled = Pattern::compile(pattern);
  EXPECT_TRUE(static_cast<bool>(compiled)) << llvm::toString(compiled.takeError());
  if (!compiled)
    return {};
  std::vector<uint32_t> characters = unicode::decodeUtf8Lossy(text);
  std::vector<std::string> out;
  size_t from = 0;
  for (;;) {
    auto match = compiled->find(characters, from);
    if (!match) {
      ADD_FAILURE() << llvm::toString(match.takeError());
      break;
    }
    if (!*match)
      break;
    out.push_back(unicode::encodeUtf8(
        llvm::ArrayRef(characters).slice((*match)->first, (*match)->second - (*match)->first)));
    from = (*match)->second;
  }
  return out;
}

std::string compileError(llvm::StringRef pattern) {
  llvm::Expected<Pattern> compiled = Pattern::compile(pattern);
  return compiled ? "(compiled)" : llvm::toString(compiled.takeError());
}

const char *kGPT2 = R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";
const char *kLlama3 =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

using Pieces = std::vector<std::string>;

TEST(Pattern, GPT2Split) {
  EXPECT_EQ(matches(kGPT2, "Hello world's  test\n\nfoo 123 !!"),
            (Pieces{"Hello", " world", "'s", " ", " test", "\n", "\n", "foo", " 123", " !!"}));
  // A run of spaces keeps its last for the word after it; at the end it stays whole.
  EXPECT_EQ(matches(kGPT2, "a   b  "), (Pieces{"a", "  ", " b", "  "}));
  // Letters of any script, numbers of any kind, marks with the symbols.
  EXPECT_EQ(matches(kGPT2, "naïve привет 日本 x²③ नमस्ते"),
            (Pieces{"naïve", " привет", " 日本", " x", "²③", " नमस", "्", "त", "े"}));
  // Contractions are case-sensitive here.
  EXPECT_EQ(matches(kGPT2, "IT'S"), (Pieces{"IT", "'", "S"}));
}

TEST(Pattern, Llama3Split) {
  // Case-insensitive contractions, numbers in threes, a symbol before letters, newlines.
  EXPECT_EQ(matches(kLlama3, "IT'S 12345 $abc\n\n  x"),
            (Pieces{"IT", "'S", " ", "123", "45", " $", "abc", "\n\n", " ", " x"}));
}

TEST(Pattern, Quantifiers) {
  EXPECT_EQ(matches("a{2}", "aaaaa"), (Pieces{"aa", "aa"}));
  EXPECT_EQ(matches("a{2,}", "aaaaa a"), (Pieces{"aaaaa"}));
  EXPECT_EQ(matches("ba?", "bab"), (Pieces{"ba", "b"}));
  EXPECT_EQ(matches("(?:ab)+c", "ababcabc"), (Pieces{"ababc", "abc"}));
  // An empty match is not a match: `x*` finds only runs of x.
  EXPECT_EQ(matches("x*", "axxbx"), (Pieces{"xx", "x"}));
}

TEST(Pattern, ClassesAndLookaheads) {
  EXPECT_EQ(matches("[a-c]+", "abcd cab"), (Pieces{"abc", "cab"}));
  EXPECT_EQ(matches("[^a-c ]+", "abcd cab"), (Pieces{"d"}));
  EXPECT_EQ(matches(R"([\p{N}\s]+)", "a1 2b"), (Pieces{"1 2"}));
  EXPECT_EQ(matches(R"(\P{L}+)", "ab12cd"), (Pieces{"12"}));
  EXPECT_EQ(matches("a(?=b)", "acab"), (Pieces{"a"}));
  EXPECT_EQ(matches("a(?!b)", "abac"), (Pieces{"a"}));
  EXPECT_EQ(matches(".", "a\nb"), (Pieces{"a", "b"}));
  EXPECT_EQ(matches(R"(\.\*)", "a.*b"), (Pieces{".*"}));
}

TEST(Pattern, Literal) {
  Pattern literal = Pattern::literal("a.b");
  std::vector<uint32_t> text = unicode::decodeUtf8Lossy("axb a.b");
  auto match = literal.find(text, 0);
  ASSERT_TRUE(match && match->has_value());
  EXPECT_EQ(**match, std::make_pair(size_t(4), size_t(7)));
}

// Matching is bounded: a catastrophically backtracking pattern, or a group repeated over a
// long text, is an error rather than a hang or a stack overflow.
TEST(Pattern, RunawayMatchingIsAnError) {
  std::vector<uint32_t> as(40, 'a');
  llvm::Expected<Pattern> backtracks = Pattern::compile("(?:a|a)+b");
  ASSERT_TRUE(static_cast<bool>(backtracks));
  auto match = backtracks->find(as, 0);
  ASSERT_FALSE(static_cast<bool>(match));
  EXPECT_EQ(llvm::toString(match.takeError()),
            "the pattern takes too long to match this text (at character 0: it backtracks too "
            "much, or repeats a group too often)");
  std::vector<uint32_t> long_(5000, 'a');
  llvm::Expected<Pattern> group = Pattern::compile("(?:a)+");
  ASSERT_TRUE(static_cast<bool>(group));
  auto deep = group->find(long_, 0);
  ASSERT_FALSE(static_cast<bool>(deep));
  llvm::consumeError(deep.takeError());
  // A repeated class runs without recursing, however long the run.
  llvm::Expected<Pattern> run = Pattern::compile("a+");
  ASSERT_TRUE(static_cast<bool>(run));
  auto whole = run->find(long_, 0);
  ASSERT_TRUE(whole && whole->has_value());
  EXPECT_EQ((*whole)->second, long_.size());
}

TEST(Pattern, UnsupportedConstructsAreErrors) {
  EXPECT_EQ(compileError(R"(\d+)"),
            "pattern '\\d+': the escape \\d is not supported (at character 2)");
  EXPECT_EQ(compileError(R"(\p{Lu})"),
            "pattern '\\p{Lu}': only the Unicode classes \\p{L} and \\p{N} (and \\P) are "
            "supported (at character 4)");
  EXPECT_EQ(compileError("a*?"), "pattern 'a*?': lazy and possessive quantifiers are not "
                                 "supported (at character 2)");
  EXPECT_EQ(compileError("^a"), "pattern '^a': anchors are not supported (at character 0)");
  EXPECT_EQ(compileError("(?<=a)b"), "pattern '(?<=a)b': this (?...) group is not supported "
                                     "(lookbehinds, named groups, flags) (at character 2)");
  EXPECT_EQ(compileError("(a"), "pattern '(a': an unclosed group (at character 2)");
  EXPECT_EQ(compileError("a)"), "pattern 'a)': unmatched ')' (at character 1)");
  EXPECT_EQ(compileError("[a"), "pattern '[a': an unclosed character class (at character 2)");
  EXPECT_EQ(compileError("[z-a]"), "pattern '[z-a]': a range out of order (at character 4)");
  EXPECT_EQ(compileError("a{3,1}"), "pattern 'a{3,1}': a malformed {n,m} quantifier (at "
                                    "character 6)");
  EXPECT_EQ(compileError("+a"), "pattern '+a': a quantifier with nothing to repeat (at "
                                "character 0)");
  // Bounded in nesting and length: the parser and the matcher recurse.
  std::string deep = std::string(60, '(') + "a" + std::string(60, ')');
  EXPECT_EQ(compileError(deep).substr(compileError(deep).find(':')),
            ": groups nested more than 50 deep (at character 51)");
  std::string longPattern(5000, 'a');
  EXPECT_EQ(compileError(longPattern).substr(compileError(longPattern).find(':')),
            ": longer than 4000 characters (at character 4000)");
}

} // namespace
