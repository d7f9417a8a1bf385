// Tests of parseStrictJson: JSON as llvm::json reads it, an object with a key given twice
// refused wherever it is, and nothing else refused.
#include "support/StrictJson.h"

#include <gtest/gtest.h>

namespace {

std::string errorOf(llvm::StringRef text) {
  llvm::Expected<llvm::json::Value> parsed = attune::parseStrictJson(text);
  if (parsed)
    return "";
  return llvm::toString(parsed.takeError());
}

TEST(StrictJsonTest, AcceptsWhatLlvmJsonAccepts) {
  EXPECT_EQ(errorOf(R"({"a": 1, "b": {"a": 2}, "c": [{"a": 3}, {"a": 4}]})"), "");
  // Keys of sibling objects may repeat; strings that are values are not keys; brackets and
  // quotes inside strings are text.
  EXPECT_EQ(errorOf(R"({"x": "a", "y": "a", "z": "{\"x\": [", "w": ["x", "x"]})"), "");
  EXPECT_EQ(errorOf(R"([1, "two", null, {"k": true}])"), "");
  llvm::Expected<llvm::json::Value> parsed = attune::parseStrictJson(R"({"n": 64})");
  ASSERT_TRUE(bool(parsed));
  EXPECT_EQ(parsed->getAsObject()->getInteger("n"), 64);
}

TEST(StrictJsonTest, RefusesAKeyGivenTwice) {
  EXPECT_EQ(errorOf("{\"n_embd\": 64,\n \"n_embd\": 32}"),
            "[2:2]: key 'n_embd' is given twice in one object");
  EXPECT_EQ(errorOf(R"({"model": {"vocab": {"a": 0, "b": 1, "a": 2}}})"),
            "[1:38]: key 'a' is given twice in one object");
  EXPECT_EQ(errorOf(R"([{"k": 1}, {"k": 1, "k": 2}])"),
            "[1:21]: key 'k' is given twice in one object");
}

TEST(StrictJsonTest, ComparesKeysUnescaped) {
  EXPECT_EQ(errorOf(R"({"a": 1, "\u0061": 2})"), "[1:10]: key 'a' is given twice in one object");
  EXPECT_EQ(errorOf(R"({"a\"b": 1, "a\u0022b": 2})"),
            "[1:13]: key 'a\"b' is given twice in one object");
  EXPECT_EQ(errorOf(R"({"a\"b": 1, "a\\b": 2})"), "");
}

TEST(StrictJsonTest, ReportsSyntaxErrorsAsLlvmJsonDoes) {
  EXPECT_NE(errorOf("{ n_embd: 64 }"), "");
  EXPECT_NE(errorOf(""), "");
  EXPECT_NE(errorOf(R"({"a": 1,)"), "");
}

} // namespace
