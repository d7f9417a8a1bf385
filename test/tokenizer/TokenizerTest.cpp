// The tokenizer.json reader and its encode/decode: Hugging Face's BPE semantics (merges by
// rank, added tokens matched first, unk and fuse_unk, decoders none and Fuse) and a clear
// error for everything it does not implement.
#include "tokenizer/Tokenizer.h"

#include <gtest/gtest.h>

using attune::Tokenizer;

namespace {

/// A tokenizer.json with the BPE `model` body and optional top-level additions.
std::string file(const std::string &model, const std::string &rest = "") {
  // The normalizer and pre-tokenizer null, unless `rest` gives them.
  std::string defaults;
  for (const char *component : {"normalizer", "pre_tokenizer"})
    if (rest.find("\"" + std::string(component) + "\"") == std::string::npos)
      defaults += "\"" + std::string(component) + "\": null, ";
  return R"({"version": "1.0", )" + defaults + rest + R"("model": {"type": "BPE", )" + model + "}}";
}

Tokenizer load(const std::string &json) {
  llvm::Expected<Tokenizer> tokenizer = Tokenizer::fromJSON(json, "tokenizer.json");
  EXPECT_TRUE(static_cast<bool>(tokenizer)) << llvm::toString(tokenizer.takeError());
  return std::move(*tokenizer);
}

std::string loadError(const std::string &json) {
  llvm::Expected<Tokenizer> tokenizer = Tokenizer::fromJSON(json, "tokenizer.json");
  if (tokenizer)
    return "(loaded)";
  return llvm::toString(tokenizer.takeError());
}

std::vector<int64_t> encode(const Tokenizer &tokenizer, llvm::StringRef text) {
  llvm::Expected<std::vector<int64_t>> ids = tokenizer.encode(text);
  EXPECT_TRUE(static_cast<bool>(ids)) << llvm::toString(ids.takeError());
  return ids ? *ids : std::vector<int64_t>{};
}

std::string decode(const Tokenizer &tokenizer, std::vector<int64_t> ids, bool skip = true) {
  llvm::Expected<std::string> text = tokenizer.decode(ids, skip);
  EXPECT_TRUE(static_cast<bool>(text)) << llvm::toString(text.takeError());
  return text ? *text : "";
}

const char *kCharacters =
    R"("vocab": {"0": 0, "1": 1, "2": 2, "+": 3, "=": 4, "<|endoftext|>": 5}, "merges": [])";
const char *kEndOfText = R"("added_tokens": [{"id": 5, "content": "<|endoftext|>",
                            "special": true}], "decoder": {"type": "Fuse"}, )";

TEST(Tokenizer, CharacterLevelRoundTrip) {
  Tokenizer t = load(file(kCharacters, kEndOfText));
  EXPECT_EQ(t.size(), 6);
  EXPECT_EQ(encode(t, "12+0="), (std::vector<int64_t>{1, 2, 3, 0, 4}));
  EXPECT_EQ(decode(t, {1, 2, 3, 0, 4}), "12+0=");
  EXPECT_EQ(encode(t, ""), std::vector<int64_t>{});
}

TEST(Tokenizer, AddedTokensMatchBeforeTheModelAndSpecialOnesDecodeToNothing) {
  Tokenizer t = load(file(kCharacters, kEndOfText));
  EXPECT_EQ(encode(t, "1<|endoftext|>2"), (std::vector<int64_t>{1, 5, 2}));
  EXPECT_EQ(decode(t, {2, 5}), "2");
  EXPECT_EQ(decode(t, {2, 5}, /*skip=*/false), "2<|endoftext|>");
}

TEST(Tokenizer, TheLongestAddedTokenWins) {
  Tokenizer t = load(file(R"("vocab": {"a": 0}, "merges": [])",
                          R"("added_tokens": [{"id": 1, "content": "<x>"},
                                              {"id": 2, "content": "<x>>"}], )"));
  EXPECT_EQ(encode(t, "<x>>a<x>"), (std::vector<int64_t>{2, 0, 1}));
}

TEST(Tokenizer, MergesApplyLowestRankFirst) {
  const char *vocab = R"("vocab": {"a": 0, "b": 1, "c": 2, "ab": 3, "bc": 4, "abc": 5}, )";
  // (b, c) ranks first: "abc" -> a bc, which no merge joins.
  Tokenizer bcFirst = load(file(vocab + std::string(R"("merges": ["b c", "a b", "ab c"])")));
  EXPECT_EQ(encode(bcFirst, "abc"), (std::vector<int64_t>{0, 4}));
  // (a, b) first, then (ab, c); the newer [left, right] form of a merge reads the same.
  Tokenizer abFirst =
      load(file(vocab + std::string(R"("merges": [["a", "b"], ["b", "c"], ["ab", "c"]])")));
  EXPECT_EQ(encode(abFirst, "abc"), (std::vector<int64_t>{5}));
  EXPECT_EQ(encode(abFirst, "abab"), (std::vector<int64_t>{3, 3}));
}

TEST(Tokenizer, WithoutADecoderTokensAreJoinedBySpaces) {
  // Hugging Face's decode with no decoder joins the tokens with spaces.
  Tokenizer t = load(file(kCharacters));
  EXPECT_EQ(decode(t, {1, 2}), "1 2");
}

TEST(Tokenizer, UnknownCharactersUseTheUnkTokenAndFuseWhenAsked) {
  const char *vocab = R"("vocab": {"<unk>": 0, "a": 1, "é": 2}, "merges": [], "unk_token": "<unk>")";
  Tokenizer plain = load(file(vocab));
  EXPECT_EQ(encode(plain, "axyé"), (std::vector<int64_t>{1, 0, 0, 2}));
  Tokenizer fused = load(file(vocab + std::string(R"(, "fuse_unk": true)")));
  EXPECT_EQ(encode(fused, "axyé"), (std::vector<int64_t>{1, 0, 2}));
}

TEST(Tokenizer, EncodingErrorsNameTheCharacterAndItsByte) {
  Tokenizer t = load(file(kCharacters, kEndOfText));
  llvm::Expected<std::vector<int64_t>> ids = t.encode("12x");
  ASSERT_FALSE(static_cast<bool>(ids));
  EXPECT_EQ(llvm::toString(ids.takeError()),
            "tokenizer.json: the text's character 'x' (at byte 2) is not in the vocabulary, and "
            "there is no unk_token");
  // Invalid UTF-8 reads as U+FFFD, which this vocabulary lacks.
  ids = t.encode("1\xff");
  ASSERT_FALSE(static_cast<bool>(ids));
  EXPECT_EQ(llvm::toString(ids.takeError()),
            "tokenizer.json: the text's character '\xEF\xBF\xBD' (at byte 1) is not in the "
            "vocabulary, and there is no unk_token");
}

TEST(Tokenizer, DecodingAnIdWithoutTextFails) {
  Tokenizer t = load(file(kCharacters, kEndOfText));
  for (int64_t id : {int64_t(6), int64_t(-1)}) {
    llvm::Expected<std::string> text = t.decode({id});
    ASSERT_FALSE(static_cast<bool>(text));
    EXPECT_EQ(llvm::toString(text.takeError()),
              "tokenizer.json: token " + std::to_string(id) + " has no text in this tokenizer");
  }
}

TEST(Tokenizer, WhatIsNotImplementedIsAnErrorNamingIt) {
  EXPECT_EQ(loadError(R"({"normalizer": {"type": "NFKC"}, "model": {"type": "BPE", "vocab": {}}})"),
            "tokenizer.json: normalizer 'NFKC' is not supported yet (NFC, Prepend, Replace and "
            "Sequence are)");
  EXPECT_EQ(loadError(R"({"model": {"type": "Unigram", "vocab": []}})"),
            "tokenizer.json: model type 'Unigram' is not supported yet (BPE is)");
  EXPECT_EQ(loadError(file(kCharacters, R"("decoder": {"type": "WordPiece"}, )")),
            "tokenizer.json: decoder 'WordPiece' is not supported yet (Replace, ByteFallback, "
            "Fuse, Strip, ByteLevel, Metaspace and Sequence are)");
  auto withPreTokenizer = [](const std::string &preTokenizer) {
    return R"({"pre_tokenizer": )" + preTokenizer +
           R"(, "model": {"type": "BPE", "vocab": {"a": 0}, "merges": []}})";
  };
  EXPECT_EQ(
      loadError(withPreTokenizer(R"({"type": "Whitespace"})")),
      "tokenizer.json: pre_tokenizer 'Whitespace' is not supported yet (ByteLevel, Metaspace, "
      "Split and Sequence are)");
  EXPECT_EQ(loadError(withPreTokenizer(
                R"({"type": "Split", "pattern": {"Regex": "a"}, "behavior": "Contiguous"})")),
            "tokenizer.json: pre_tokenizer Split behavior 'Contiguous' is not supported yet "
            "(Isolated, Removed, MergedWithPrevious and MergedWithNext are)");
  EXPECT_EQ(
      loadError(withPreTokenizer(
          R"({"type": "Split", "pattern": {"Regex": "a"}, "behavior": "Isolated", "invert": true})")),
      "tokenizer.json: pre_tokenizer Split with invert is not supported yet");
  EXPECT_EQ(loadError(withPreTokenizer(
                R"({"type": "Split", "pattern": {"Regex": "\\d+"}, "behavior": "Isolated"})")),
            "tokenizer.json: pre_tokenizer Split: pattern '\\d+': the escape \\d is not supported "
            "(at character 2)");
  EXPECT_EQ(loadError(withPreTokenizer(R"({"type": "Sequence", "pretokenizers": [
                {"type": "ByteLevel"}, {"type": "Split", "pattern": {"String": "a"},
                "behavior": "Removed"}]})")),
            "tokenizer.json: pre_tokenizer ByteLevel must be the last one of a Sequence");
  EXPECT_EQ(loadError(file(kCharacters, R"("decoder": {"type": "Replace", "pattern":
                {"Regex": " "}, "content": "_"}, )")),
            "tokenizer.json: decoder Replace needs a pattern {\"String\": ...} (a regex is not "
            "supported yet) and a \"content\" string");
  EXPECT_EQ(loadError(file(kCharacters, R"("decoder": {"type": "Sequence"}, )")),
            "tokenizer.json: decoder Sequence has no \"decoders\" list");
  EXPECT_EQ(loadError(R"({"normalizer": {"type": "Replace", "pattern": {"String": " "}},
                          "model": {"type": "BPE", "vocab": {}}})"),
            "tokenizer.json: normalizer Replace has no \"content\" string");
  EXPECT_EQ(loadError(withPreTokenizer(R"({"type": "Metaspace", "replacement": "▁",
                                           "prepend_scheme": "sometimes"})")),
            "tokenizer.json: pre_tokenizer Metaspace prepend_scheme 'sometimes' is not always, "
            "first or never");
  EXPECT_EQ(loadError(file(kCharacters, R"("post_processor": {"type": "BertProcessing"}, )")),
            "tokenizer.json: post_processor 'BertProcessing' is not supported yet (ByteLevel, "
            "TemplateProcessing and Sequence are)");
}

// Pieces a Split makes are encoded apart: "b " (the first merge) forms only where "b" and " "
// share a piece.
TEST(Tokenizer, SplitKeepsItsDelimiterAsItsBehaviorSays) {
  const std::string model =
      R"("vocab": {"a": 0, "b": 1, " ": 2, "ab": 3, "b ": 4, " a": 5},
         "merges": [["b", " "], ["a", "b"], [" ", "a"]])";
  auto split = [&](const std::string &behavior) {
    return load(file(model, R"("pre_tokenizer": {"type": "Split", "pattern": {"String": " "},
                    "behavior": ")" +
                                behavior + R"("}, "decoder": {"type": "Fuse"}, )"));
  };
  EXPECT_EQ(encode(load(file(model, R"("decoder": {"type": "Fuse"}, )")), "ab a"),
            (std::vector<int64_t>{0, 4, 0}));
  EXPECT_EQ(encode(split("Isolated"), "ab a"), (std::vector<int64_t>{3, 2, 0}));
  EXPECT_EQ(encode(split("Removed"), "ab a"), (std::vector<int64_t>{3, 0}));
  EXPECT_EQ(encode(split("MergedWithPrevious"), "ab a"), (std::vector<int64_t>{0, 4, 0}));
  EXPECT_EQ(encode(split("MergedWithNext"), "ab a"), (std::vector<int64_t>{3, 5}));
  // A regex Split in a Sequence: the same as the string.
  Tokenizer sequence = load(file(model, R"("pre_tokenizer": {"type": "Sequence", "pretokenizers": [
      {"type": "Split", "pattern": {"Regex": "\\s"}, "behavior": "Isolated"}]}, )"));
  EXPECT_EQ(encode(sequence, "ab a"), (std::vector<int64_t>{3, 2, 0}));
}

TEST(Tokenizer, TemplateProcessingAddsSpecialTokensAroundTheSequence) {
  Tokenizer t = load(file(R"("vocab": {"a": 0, "b": 1, "ab": 2, "<s>": 3, "</s>": 4},
                             "merges": ["a b"])",
                          R"("added_tokens": [{"id": 3, "content": "<s>", "special": true},
                                              {"id": 4, "content": "</s>", "special": true}],
                             "post_processor": {"type": "Sequence", "processors": [
                               {"type": "ByteLevel", "trim_offsets": false},
                               {"type": "TemplateProcessing",
                                "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}},
                                           {"Sequence": {"id": "A", "type_id": 0}},
                                           {"SpecialToken": {"id": "</s>", "type_id": 0}}],
                                "special_tokens": {"<s>": {"id": "<s>", "ids": [3]},
                                                   "</s>": {"id": "</s>", "ids": [4]}}}]},
                             "decoder": {"type": "Fuse"}, )"));
  EXPECT_EQ(encode(t, "ab"), (std::vector<int64_t>{3, 2, 4}));
  llvm::Expected<std::vector<int64_t>> plain = t.encode("ab", /*addSpecial=*/false);
  ASSERT_TRUE(static_cast<bool>(plain)) << llvm::toString(plain.takeError());
  EXPECT_EQ(*plain, (std::vector<int64_t>{2}));
  EXPECT_EQ(decode(t, {3, 2, 4}), "ab");
  EXPECT_EQ(decode(t, {3, 2, 4}, /*skip=*/false), "<s>ab</s>");
}

// Metaspace (newer SentencePiece-style files): spaces become "▁", one is prepended as the
// scheme says (only at the text's start for "first"), and the pieces split before each "▁";
// its decoder turns "▁" back into spaces, but drops those of the first token.
TEST(Tokenizer, MetaspaceMarksSpacesAndSplitsBeforeThem) {
  const std::string model =
      R"("vocab": {"▁": 0, "a": 1, "b": 2, "▁a": 3, "▁b": 4, "<s>": 5},
         "merges": [["▁", "a"], ["▁", "b"]])";
  auto metaspace = [&](const std::string &scheme) {
    return load(file(model, R"("added_tokens": [{"id": 5, "content": "<s>", "special": true}],
        "pre_tokenizer": {"type": "Metaspace", "replacement": "▁", "prepend_scheme": ")" +
                                scheme + R"(", "split": true},
        "decoder": {"type": "Metaspace", "replacement": "▁", "prepend_scheme": ")" +
                                scheme + R"("}, )"));
  };
  Tokenizer first = metaspace("first"), never = metaspace("never");
  EXPECT_EQ(encode(first, "a b"), (std::vector<int64_t>{3, 4}));
  EXPECT_EQ(encode(never, "a b"), (std::vector<int64_t>{1, 4}));
  // After an added token the text does not start: no "▁" with "first".
  EXPECT_EQ(encode(first, "<s>a b"), (std::vector<int64_t>{5, 1, 4}));
  EXPECT_EQ(decode(first, {3, 4}), "a b");
  EXPECT_EQ(decode(never, {1, 4}), "a b");
}

// The NFC normalizer (Qwen2's): a decomposed é is the vocabulary's é.
TEST(Tokenizer, NFCNormalizerComposes) {
  Tokenizer t = load(file(R"("vocab": {"\u00e9": 0, "e": 1, "\u0301": 2}, "merges": [])",
                          R"("normalizer": {"type": "NFC"}, "decoder": {"type": "Fuse"}, )"));
  EXPECT_EQ(encode(t, "e\xcc\x81"), (std::vector<int64_t>{0}));
  EXPECT_EQ(encode(t, "\xc3\xa9"
                      "e"),
            (std::vector<int64_t>{0, 1}));
}

TEST(Tokenizer, MalformedFilesAreErrors) {
  EXPECT_EQ(loadError("[1, 2]"), "tokenizer.json: not a JSON object");
  EXPECT_EQ(loadError("{}"), "tokenizer.json: no \"model\" object");
  EXPECT_EQ(loadError(file(R"("vocab": {"a": 0}, "merges": ["a b"])")),
            "tokenizer.json: merge 0 ('a' 'b') names a token the vocabulary lacks");
  EXPECT_EQ(loadError(file(R"("vocab": {"a": 0}, "merges": ["a"])")),
            "tokenizer.json: merge 0 is not \"left right\" or [left, right]");
  EXPECT_EQ(loadError(file(R"("vocab": {"a": 0, "b": 0})")),
            "tokenizer.json: id 0 is both 'a' and 'b'");
  EXPECT_EQ(loadError(file(R"("vocab": {"a": -3})")),
            "tokenizer.json: token 'a' has no valid id (an integer in [0, 2^24))");
  EXPECT_EQ(loadError(file(R"("vocab": {"a": 0}, "unk_token": "<unk>")")),
            "tokenizer.json: unk_token '<unk>' is not in the vocabulary");
  EXPECT_EQ(loadError(file(R"("vocab": {"a": 0}, "merges": [])",
                           R"("added_tokens": [{"id": 0, "content": "<x>"}], )")),
            "tokenizer.json: id 0 is both 'a' and '<x>'");
}

} // namespace
