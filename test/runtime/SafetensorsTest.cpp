// Unit tests of the runtime's safetensors reader and writer: every malformed file is refused
// with a message naming the problem, and valid files round-trip; the half-precision
// conversions a model applies to F16 and BF16 weights.
#include "attune/runtime.h"

#include <gtest/gtest.h>

#include <sys/stat.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

namespace {

class SafetensorsTest : public ::testing::Test {
protected:
  std::string path(const std::string &name) {
    return ::testing::TempDir() + "attune_st_" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name() + "_" + name;
  }

  /// Writes a file from a JSON header and `dataBytes` bytes of data.
  std::string writeRaw(const std::string &header, size_t dataBytes, uint64_t lengthField = ~0ull) {
    std::string file = path("raw.safetensors");
    std::ofstream out(file, std::ios::binary);
    uint64_t length = lengthField == ~0ull ? header.size() : lengthField;
    out.write(reinterpret_cast<const char *>(&length), 8);
    out << header;
    out << std::string(dataBytes, '\0');
    return file;
  }

  attune_status open(const std::string &file) {
    attune_safetensors *st = nullptr;
    attune_status status = attune_safetensors_open(file.c_str(), &st);
    attune_safetensors_close(st);
    return status;
  }
};

TEST_F(SafetensorsTest, RoundTripsTensors) {
  std::vector<float> a = {1.5f, -2.0f, 3.25f, 4.0f, 5.0f, 6.0f};
  std::vector<int32_t> b = {7, 8, 9};
  attune_tensor tensors[2] = {{"layer.a", ATTUNE_F32, 2, {2, 3}, a.data()},
                              {"ids", ATTUNE_I32, 1, {3}, b.data()}};
  std::string file = path("rt.safetensors");
  ASSERT_EQ(attune_safetensors_write(file.c_str(), tensors, 2), ATTUNE_OK) << attune_last_error();

  attune_safetensors *st = nullptr;
  ASSERT_EQ(attune_safetensors_open(file.c_str(), &st), ATTUNE_OK) << attune_last_error();
  EXPECT_EQ(attune_safetensors_count(st), 2u);
  attune_tensor got;
  ASSERT_EQ(attune_safetensors_find(st, "layer.a", &got), ATTUNE_OK);
  EXPECT_EQ(got.dtype, ATTUNE_F32);
  EXPECT_EQ(got.rank, 2);
  EXPECT_EQ(got.shape[0], 2);
  EXPECT_EQ(got.shape[1], 3);
  EXPECT_EQ(std::memcmp(got.data, a.data(), a.size() * 4), 0);
  ASSERT_EQ(attune_safetensors_get(st, 1, &got), ATTUNE_OK);
  EXPECT_STREQ(got.name, "ids");
  EXPECT_EQ(static_cast<int32_t *>(got.data)[2], 9);
  EXPECT_EQ(attune_safetensors_get(st, 2, &got), ATTUNE_ERROR_INVALID_ARGUMENT);
  attune_safetensors_close(st);
}

TEST_F(SafetensorsTest, RejectsMissingFile) {
  EXPECT_EQ(open(path("nope")), ATTUNE_ERROR_IO);
  EXPECT_NE(std::string(attune_last_error()).find("cannot open"), std::string::npos);
}

TEST_F(SafetensorsTest, RejectsNullArguments) {
  attune_safetensors *st = nullptr;
  EXPECT_EQ(attune_safetensors_open(nullptr, &st), ATTUNE_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(attune_safetensors_open("x", nullptr), ATTUNE_ERROR_INVALID_ARGUMENT);
  attune_tensor t;
  EXPECT_EQ(attune_safetensors_find(nullptr, "x", &t), ATTUNE_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(attune_safetensors_write(nullptr, nullptr, 0), ATTUNE_ERROR_INVALID_ARGUMENT);
}

TEST_F(SafetensorsTest, RejectsShortFile) {
  std::string file = path("short");
  std::ofstream(file) << "abc";
  EXPECT_EQ(open(file), ATTUNE_ERROR_WEIGHTS);
  EXPECT_NE(std::string(attune_last_error()).find("too short"), std::string::npos);
}

TEST_F(SafetensorsTest, RejectsHeaderLengthPastEnd) {
  std::string file = writeRaw("{}", 0, /*lengthField=*/1u << 30);
  EXPECT_EQ(open(file), ATTUNE_ERROR_WEIGHTS);
  EXPECT_NE(std::string(attune_last_error()).find("runs past the end of the file"),
            std::string::npos);
}

TEST_F(SafetensorsTest, RejectsMalformedJson) {
  EXPECT_EQ(open(writeRaw("{\"a\": {\"dtype\": \"F32\", \"shape\": [2", 0)), ATTUNE_ERROR_WEIGHTS);
  EXPECT_EQ(open(writeRaw("[1, 2]", 0)), ATTUNE_ERROR_WEIGHTS);
  EXPECT_NE(std::string(attune_last_error()).find("not a JSON object"), std::string::npos);
  EXPECT_EQ(open(writeRaw("{\"a\": {\"shape\": [1], \"data_offsets\": [0, 4]}}", 4)),
            ATTUNE_ERROR_WEIGHTS);
  EXPECT_NE(std::string(attune_last_error()).find("needs dtype, shape and data_offsets"),
            std::string::npos);
}

TEST_F(SafetensorsTest, RejectsUnknownDtype) {
  EXPECT_EQ(open(writeRaw(R"({"a": {"dtype": "Q4", "shape": [1], "data_offsets": [0, 1]}})", 1)),
            ATTUNE_ERROR_WEIGHTS);
  EXPECT_NE(std::string(attune_last_error()).find("unknown dtype 'Q4'"), std::string::npos);
}

TEST_F(SafetensorsTest, RejectsRangeOutsideData) {
  EXPECT_EQ(open(writeRaw(R"({"a": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}})", 8)),
            ATTUNE_ERROR_WEIGHTS);
  EXPECT_NE(std::string(attune_last_error()).find("is outside the 8 data bytes"),
            std::string::npos);
  EXPECT_EQ(open(writeRaw(R"({"a": {"dtype": "F32", "shape": [1], "data_offsets": [8, 4]}})", 8)),
            ATTUNE_ERROR_WEIGHTS);
}

TEST_F(SafetensorsTest, RejectsRangeOfWrongSize) {
  EXPECT_EQ(open(writeRaw(R"({"a": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}})", 8)),
            ATTUNE_ERROR_WEIGHTS);
  EXPECT_NE(std::string(attune_last_error()).find("F32 [3] needs 12 bytes but its range holds 8"),
            std::string::npos);
}

TEST_F(SafetensorsTest, RejectsOverlappingTensors) {
  EXPECT_EQ(open(writeRaw(R"({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                              "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}})",
                          12)),
            ATTUNE_ERROR_WEIGHTS);
  EXPECT_NE(std::string(attune_last_error()).find("overlap"), std::string::npos);
}

TEST_F(SafetensorsTest, SkipsMetadataAndAllowsEmptyTensors) {
  std::string file = writeRaw(R"({"__metadata__": {"format": "pt", "x": "{\"y\": [1]}"},
                                  "e": {"dtype": "F32", "shape": [0, 3], "data_offsets": [0, 0]},
                                  "a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}})",
                              4);
  attune_safetensors *st = nullptr;
  ASSERT_EQ(attune_safetensors_open(file.c_str(), &st), ATTUNE_OK) << attune_last_error();
  EXPECT_EQ(attune_safetensors_count(st), 2u);
  attune_safetensors_close(st);
}

TEST_F(SafetensorsTest, RefusesToHandOutUnsupportedDtypes) {
  std::string file =
      writeRaw(R"({"d": {"dtype": "F64", "shape": [1], "data_offsets": [0, 8]}})", 8);
  attune_safetensors *st = nullptr;
  ASSERT_EQ(attune_safetensors_open(file.c_str(), &st), ATTUNE_OK);
  attune_tensor t;
  EXPECT_EQ(attune_safetensors_find(st, "d", &t), ATTUNE_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(attune_last_error()).find("has dtype F64"), std::string::npos);
  attune_safetensors_close(st);
}

TEST_F(SafetensorsTest, HandsOutHalfPrecisionAsStored) {
  std::string file = writeRaw(R"({"h": {"dtype": "F16", "shape": [2], "data_offsets": [0, 4]},
                                  "b": {"dtype": "BF16", "shape": [2], "data_offsets": [4, 8]}})",
                              8);
  attune_safetensors *st = nullptr;
  ASSERT_EQ(attune_safetensors_open(file.c_str(), &st), ATTUNE_OK) << attune_last_error();
  attune_tensor t;
  ASSERT_EQ(attune_safetensors_find(st, "h", &t), ATTUNE_OK);
  EXPECT_EQ(t.dtype, ATTUNE_F16);
  ASSERT_EQ(attune_safetensors_find(st, "b", &t), ATTUNE_OK);
  EXPECT_EQ(t.dtype, ATTUNE_BF16);
  EXPECT_EQ(attune_dtype_size(ATTUNE_BF16), 2u);
  attune_safetensors_close(st);
}

// Every half-precision value is an f32 value: the conversion is exact, specials included.
TEST(HalfPrecisionTest, ConvertsF16Exactly) {
  EXPECT_EQ(attune_f16_to_f32(0x3c00), 1.0f);
  EXPECT_EQ(attune_f16_to_f32(0xc000), -2.0f);
  EXPECT_EQ(attune_f16_to_f32(0x3555), 0.333251953125f);
  EXPECT_EQ(attune_f16_to_f32(0x7bff), 65504.0f);   // the largest
  EXPECT_EQ(attune_f16_to_f32(0x0400), 0x1p-14f);   // the smallest normal
  EXPECT_EQ(attune_f16_to_f32(0x0001), 0x1p-24f);   // the smallest subnormal
  EXPECT_EQ(attune_f16_to_f32(0x03ff), 0x3ffp-24f); // the largest subnormal
  EXPECT_TRUE(std::signbit(attune_f16_to_f32(0x8000)));
  EXPECT_EQ(attune_f16_to_f32(0x8000), 0.0f);
  EXPECT_EQ(attune_f16_to_f32(0x7c00), INFINITY);
  EXPECT_EQ(attune_f16_to_f32(0xfc00), -INFINITY);
  EXPECT_TRUE(std::isnan(attune_f16_to_f32(0x7e00)));
  EXPECT_TRUE(std::isnan(attune_f16_to_f32(0x7c01))); // a signalling payload stays a NaN
}

TEST(HalfPrecisionTest, ConvertsBf16Exactly) {
  EXPECT_EQ(attune_bf16_to_f32(0x3f80), 1.0f);
  EXPECT_EQ(attune_bf16_to_f32(0xc049), -3.140625f);
  EXPECT_EQ(attune_bf16_to_f32(0x0001), 0x1p-133f);
  EXPECT_EQ(attune_bf16_to_f32(0x7f80), INFINITY);
  EXPECT_TRUE(std::isnan(attune_bf16_to_f32(0x7fc0)));
}

TEST_F(SafetensorsTest, SuggestsClosestNames) {
  std::vector<float> v(1);
  attune_tensor tensors[3] = {{"model.layers.0.weight", ATTUNE_F32, 1, {1}, v.data()},
                              {"model.layers.1.weight", ATTUNE_F32, 1, {1}, v.data()},
                              {"lm_head.weight", ATTUNE_F32, 1, {1}, v.data()}};
  std::string file = path("names.safetensors");
  ASSERT_EQ(attune_safetensors_write(file.c_str(), tensors, 3), ATTUNE_OK);
  attune_safetensors *st = nullptr;
  ASSERT_EQ(attune_safetensors_open(file.c_str(), &st), ATTUNE_OK);
  attune_tensor t;
  EXPECT_EQ(attune_safetensors_find(st, "layers.1.weight", &t), ATTUNE_ERROR_WEIGHTS);
  EXPECT_NE(std::string(attune_last_error())
                .find("no tensor named 'layers.1.weight'; closest: 'model.layers.1.weight'"),
            std::string::npos)
      << attune_last_error();
  attune_safetensors_close(st);
}

TEST_F(SafetensorsTest, FailedWriteLeavesNoFile) {
  std::vector<float> v(1);
  attune_tensor t = {"a", ATTUNE_F32, 1, {1}, v.data()};
  std::string file = path("missing-dir") + "/x/out.safetensors";
  EXPECT_EQ(attune_safetensors_write(file.c_str(), &t, 1), ATTUNE_ERROR_IO);
  EXPECT_EQ(std::fopen(file.c_str(), "rb"), nullptr);
  attune_tensor nameless = {nullptr, ATTUNE_F32, 1, {1}, v.data()};
  EXPECT_EQ(attune_safetensors_write(path("n").c_str(), &nameless, 1),
            ATTUNE_ERROR_INVALID_ARGUMENT);
}

// The header is JSON as the format defines it, nothing more: what follows was accepted once.
TEST_F(SafetensorsTest, RejectsWhatJsonDoesNot) {
  const char *entry = R"("dtype": "F32", "shape": [1], "data_offsets": [0, 4]})";
  // A NUL byte inside a name.
  std::string nul = std::string(R"({"a)") + '\0' + R"(b": {)" + entry + "}";
  EXPECT_EQ(open(writeRaw(nul, 4)), ATTUNE_ERROR_WEIGHTS);
  // Literals JSON does not have, in metadata it skips.
  for (const char *value : {"eeee", "tru", "nul", "--1", "1.", "01x", ".5", "+1", "1e"}) {
    std::string header =
        std::string(R"({"__metadata__": {"x": )") + value + R"(}, "a": {)" + entry + "}";
    EXPECT_EQ(open(writeRaw(header, 4)), ATTUNE_ERROR_WEIGHTS) << value;
  }
  for (const char *value : {"true", "false", "null", "-0.5e+3", "10", "[1, {\"k\": null}]"}) {
    std::string header =
        std::string(R"({"__metadata__": {"x": )") + value + R"(}, "a": {)" + entry + "}";
    EXPECT_EQ(open(writeRaw(header, 4)), ATTUNE_OK) << value << ": " << attune_last_error();
  }
  // \u0000 would cut the name short; a lone surrogate is no character.
  EXPECT_EQ(open(writeRaw(std::string(R"({"a\u0000b": {)") + entry + "}", 4)),
            ATTUNE_ERROR_WEIGHTS);
  EXPECT_EQ(open(writeRaw(std::string(R"({"a\ud83d": {)") + entry + "}", 4)),
            ATTUNE_ERROR_WEIGHTS);
  EXPECT_EQ(open(writeRaw(std::string(R"({"a\ude00": {)") + entry + "}", 4)),
            ATTUNE_ERROR_WEIGHTS);
}

TEST_F(SafetensorsTest, DecodesEveryEscapedCodePoint) {
  // é (2 bytes of UTF-8), 中 (3, U+4E2D: refused once) and 😀 (4, a surrogate pair).
  std::string file = writeRaw(
      R"({"caf\u00e9.\u4e2d.\ud83d\ude00": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}})",
      4);
  attune_safetensors *st = nullptr;
  ASSERT_EQ(attune_safetensors_open(file.c_str(), &st), ATTUNE_OK) << attune_last_error();
  attune_tensor t;
  EXPECT_EQ(attune_safetensors_find(st, "caf\xc3\xa9.\xe4\xb8\xad.\xf0\x9f\x98\x80", &t),
            ATTUNE_OK)
      << attune_last_error();
  attune_safetensors_close(st);
}

TEST_F(SafetensorsTest, RejectsDuplicatesAndTrailingBytes) {
  // Two tensors of one name: either could be read, the other silently ignored.
  EXPECT_EQ(open(writeRaw(R"({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]},
                              "a": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}})",
                          8)),
            ATTUNE_ERROR_WEIGHTS);
  EXPECT_NE(std::string(attune_last_error()).find("tensor 'a' appears twice in the header"),
            std::string::npos)
      << attune_last_error();
  // A key given twice in an entry.
  EXPECT_EQ(open(writeRaw(
                R"({"a": {"dtype": "F32", "shape": [1], "shape": [2], "data_offsets": [0, 4]}})",
                4)),
            ATTUNE_ERROR_WEIGHTS);
  EXPECT_NE(std::string(attune_last_error()).find("'shape' given twice"), std::string::npos);
  // After the closing brace only padding (spaces) may follow.
  const char *one = R"({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}})";
  EXPECT_EQ(open(writeRaw(std::string(one) + "    ", 4)), ATTUNE_OK) << attune_last_error();
  EXPECT_EQ(open(writeRaw(std::string(one) + "x", 4)), ATTUNE_ERROR_WEIGHTS);
  EXPECT_NE(std::string(attune_last_error()).find("after the header's closing brace"),
            std::string::npos);
  EXPECT_EQ(open(writeRaw("{}  {}", 0)), ATTUNE_ERROR_WEIGHTS);
}

TEST_F(SafetensorsTest, RefusesAFifoWithoutWaiting) {
  std::string fifo = path("fifo");
  std::remove(fifo.c_str());
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  EXPECT_EQ(open(fifo), ATTUNE_ERROR_IO); // a blocking open would wait for a writer forever
  EXPECT_NE(std::string(attune_last_error()).find("not a regular file"), std::string::npos);
  std::remove(fifo.c_str());
}

TEST_F(SafetensorsTest, WritesNamesThatNeedEscapes) {
  std::vector<float> v = {1, 2};
  attune_tensor tensors[2] = {{"quote\"d", ATTUNE_F32, 1, {1}, v.data()},
                              {"back\\slash\ttab", ATTUNE_F32, 1, {1}, v.data() + 1}};
  std::string file = path("escapes.safetensors");
  ASSERT_EQ(attune_safetensors_write(file.c_str(), tensors, 2), ATTUNE_OK);
  attune_safetensors *st = nullptr;
  ASSERT_EQ(attune_safetensors_open(file.c_str(), &st), ATTUNE_OK) << attune_last_error();
  attune_tensor t;
  ASSERT_EQ(attune_safetensors_find(st, "quote\"d", &t), ATTUNE_OK);
  EXPECT_EQ(static_cast<float *>(t.data)[0], 1.0f);
  ASSERT_EQ(attune_safetensors_find(st, "back\\slash\ttab", &t), ATTUNE_OK);
  EXPECT_EQ(static_cast<float *>(t.data)[0], 2.0f);
  attune_safetensors_close(st);
}

// A sharded checkpoint: an index naming each tensor's shard, shards beside it in a directory.
class ShardedTest : public SafetensorsTest {
protected:
  std::string directory() {
    std::string dir = path("model");
    mkdir(dir.c_str(), 0755);
    return dir;
  }
  void writeShard(const std::string &dir, const std::string &name,
                  const std::vector<attune_tensor> &tensors) {
    ASSERT_EQ(attune_safetensors_write((dir + "/" + name).c_str(), tensors.data(), tensors.size()),
              ATTUNE_OK)
        << attune_last_error();
  }
  void writeText(const std::string &file, const std::string &text) {
    std::ofstream(file, std::ios::binary) << text;
  }
  float one = 1.0f, two[2] = {2.0f, 3.0f}, four = 4.0f;
  attune_tensor a{"a", ATTUNE_F32, 0, {}, &one}, b{"b", ATTUNE_F32, 1, {2}, two},
      c{"c", ATTUNE_F32, 0, {}, &four};
};

TEST_F(ShardedTest, ReadsShardsAsOneSet) {
  std::string dir = directory();
  writeShard(dir, "s1.safetensors", {c, a});
  writeShard(dir, "s2.safetensors", {b});
  writeText(dir + "/model.safetensors.index.json",
            R"({"metadata": {"total_size": 16, "note": [1, {"x": null}]},
                "weight_map": {"a": "s1.safetensors", "b": "s2.safetensors",
                               "c": "s1.safetensors"}})");
  for (const std::string &opened : {dir, dir + "/model.safetensors.index.json"}) {
    attune_safetensors *st = nullptr;
    ASSERT_EQ(attune_safetensors_open(opened.c_str(), &st), ATTUNE_OK) << attune_last_error();
    ASSERT_EQ(attune_safetensors_count(st), 3u);
    // Shard after shard, each in its header's order.
    const char *order[] = {"c", "a", "b"};
    for (size_t i = 0; i < 3; ++i) {
      attune_tensor got;
      ASSERT_EQ(attune_safetensors_get(st, i, &got), ATTUNE_OK);
      EXPECT_STREQ(got.name, order[i]);
    }
    attune_tensor got;
    ASSERT_EQ(attune_safetensors_find(st, "b", &got), ATTUNE_OK);
    EXPECT_EQ(got.shape[0], 2);
    EXPECT_EQ(static_cast<const float *>(got.data)[1], 3.0f);
    EXPECT_EQ(attune_safetensors_find(st, "d", &got), ATTUNE_ERROR_WEIGHTS);
    attune_safetensors_close(st);
  }
}

TEST_F(ShardedTest, DirectoryPrefersTheSingleFile) {
  std::string dir = directory();
  writeShard(dir, "model.safetensors", {a});
  writeText(dir + "/model.safetensors.index.json", "not read");
  attune_safetensors *st = nullptr;
  ASSERT_EQ(attune_safetensors_open(dir.c_str(), &st), ATTUNE_OK) << attune_last_error();
  EXPECT_EQ(attune_safetensors_count(st), 1u);
  attune_safetensors_close(st);
}

TEST_F(ShardedTest, EmptyIndexIsAnEmptySet) {
  std::string index = path("empty.index.json");
  writeText(index, R"({"weight_map": {}})");
  attune_safetensors *st = nullptr;
  ASSERT_EQ(attune_safetensors_open(index.c_str(), &st), ATTUNE_OK) << attune_last_error();
  EXPECT_EQ(attune_safetensors_count(st), 0u);
  attune_safetensors_close(st);
}

TEST_F(ShardedTest, RefusesIndexesThatDisagreeWithTheirShards) {
  std::string dir = directory();
  writeShard(dir, "s1.safetensors", {a, b});
  writeShard(dir, "s2.safetensors", {b});
  std::string index = dir + "/model.safetensors.index.json";
  struct Case {
    const char *json;
    attune_status status;
    const char *message;
  } cases[] = {
      {R"({"weight_map": {"a": "s1.safetensors", "b": "s2.safetensors"}})", ATTUNE_ERROR_WEIGHTS,
       "tensor 'b' is in two shards, s1.safetensors and s2.safetensors"},
      {R"({"weight_map": {"a": "s1.safetensors", "b": "s3.safetensors"}})", ATTUNE_ERROR_IO,
       "a shard it names cannot be read"},
      {R"({"weight_map": {"a": "/etc/passwd"}})", ATTUNE_ERROR_WEIGHTS,
       "is not a file name inside the index's folder"},
      {R"({"weight_map": {"a": "s1.safetensors"}, "weight_map": {}})", ATTUNE_ERROR_WEIGHTS,
       "gives \"weight_map\" twice"},
      {R"({"weight_map": {"a": "s1.safetensors"}} x)", ATTUNE_ERROR_WEIGHTS,
       "has bytes after its closing brace"},
      {R"({"weight_map": {"a": "s1.safetensors")", ATTUNE_ERROR_WEIGHTS,
       "\"weight_map\" that is not an object"},
      {"", ATTUNE_ERROR_WEIGHTS, "the index is not a JSON object"},
      {"[]", ATTUNE_ERROR_WEIGHTS, "the index is not a JSON object"},
      {"{}", ATTUNE_ERROR_WEIGHTS, "no \"weight_map\""},
  };
  for (const Case &c : cases) {
    writeText(index, c.json);
    EXPECT_EQ(open(dir), c.status) << c.json;
    EXPECT_NE(std::string(attune_last_error()).find(c.message), std::string::npos)
        << c.json << "\n"
        << attune_last_error();
  }
}

TEST_F(ShardedTest, RefusesADirectoryWithoutWeights) {
  std::string dir = directory();
  EXPECT_EQ(open(dir), ATTUNE_ERROR_IO);
  EXPECT_NE(std::string(attune_last_error()).find("a directory with neither model.safetensors"),
            std::string::npos);
}

} // namespace
