// Unit tests of the runtime's kernel profile, with a hand-written entry standing in for
// generated code: it brackets two "kernels" with the hooks attune-instrument-kernels inserts.
#include "Descriptors.h"
#include "PlaceholderWeights.h"
#include "attune/runtime.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <thread>
#include <vector>

extern "C" int64_t attune_kernel_start(void);
extern "C" void attune_kernel_stop(int64_t start, int64_t id, int64_t flops, int64_t bytes);

namespace {

const char *const kManifest =
    "attune-manifest 1\n"
    "model profiled\n"
    "input x f32 4\n"
    "output y f32 4\n"
    "kernel matmul k4 n4 | bias, gelu_tanh | model.tfm:3:5\n"
    "kernel layer_norm |  | <prelude>:11:10 in model.tfm:4:9\n"
    "kernel matmul k4 n4 | bias, gelu_tanh | model.tfm:3:5\n";

/// Kernel 0 and 2 (alike: one line of the table) do 100 FLOPs over 64 bytes; kernel 1 does 8
/// over 32. Records whether the hooks said the run was profiled.
thread_local bool sawProfiledRun = false;
void entry(int32_t, void **arguments) {
  auto *x = static_cast<Descriptor1D *>(arguments[0]);
  auto *y = static_cast<Descriptor1D *>(arguments[1]);
  for (int64_t id : {0, 1, 2}) {
    int64_t start = attune_kernel_start();
    sawProfiledRun = start != 0;
    for (int i = 0; i < 4; ++i)
      y->aligned[i] = x->aligned[i] * 2;
    if (start)
      attune_kernel_stop(start, id, id == 1 ? 8 : 100, id == 1 ? 32 : 64);
  }
}

class ProfileTest : public ::testing::Test {
protected:
  void SetUp() override {
    weights = ::testing::TempDir() + "attune_profile_weights.safetensors";
    ASSERT_EQ(writePlaceholderWeights(weights), ATTUNE_OK);
    ASSERT_EQ(attune_model_open(kManifest, entry, weights.c_str(), &model), ATTUNE_OK)
        << attune_last_error();
  }
  void TearDown() override { attune_model_close(model); }

  void run() {
    std::vector<float> x(4, 1.0f), y(4, 0.0f);
    attune_tensor in = {"x", ATTUNE_F32, 1, {4}, x.data()};
    attune_tensor out = {"y", ATTUNE_F32, 1, {4}, y.data()};
    ASSERT_EQ(attune_model_run(model, &in, 1, &out, 1), ATTUNE_OK) << attune_last_error();
  }

  std::string weights;
  attune_model *model = nullptr;
};

TEST_F(ProfileTest, ReadsTheKernelTable) {
  ASSERT_EQ(attune_model_num_kernels(model), 3u);
  attune_kernel_profile k;
  ASSERT_EQ(attune_model_kernel_profile(model, 1, &k), ATTUNE_OK);
  EXPECT_STREQ(k.name, "layer_norm");
  EXPECT_STREQ(k.fused, "");
  EXPECT_STREQ(k.location, "<prelude>:11:10 in model.tfm:4:9");
  ASSERT_EQ(attune_model_kernel_profile(model, 0, &k), ATTUNE_OK);
  EXPECT_STREQ(k.fused, "bias, gelu_tanh");
  EXPECT_EQ(attune_model_kernel_profile(model, 3, &k), ATTUNE_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(attune_model_kernel_profile(nullptr, 0, &k), ATTUNE_ERROR_INVALID_ARGUMENT);
}

TEST_F(ProfileTest, CountsNothingUntilTurnedOn) {
  run();
  EXPECT_FALSE(sawProfiledRun);
  attune_kernel_profile k;
  ASSERT_EQ(attune_model_kernel_profile(model, 0, &k), ATTUNE_OK);
  EXPECT_EQ(k.calls, 0);
  // Printing needs profiling on: an error, not an empty table.
  EXPECT_EQ(attune_model_print_profile(model, stdout), ATTUNE_ERROR_INVALID_ARGUMENT);
}

TEST_F(ProfileTest, CountsEveryKernelOfEveryRun) {
  ASSERT_EQ(attune_model_set_profiling(model, 1), ATTUNE_OK);
  run();
  run();
  EXPECT_TRUE(sawProfiledRun);
  attune_kernel_profile k;
  ASSERT_EQ(attune_model_kernel_profile(model, 0, &k), ATTUNE_OK);
  EXPECT_EQ(k.calls, 2);
  EXPECT_EQ(k.flops, 200);
  EXPECT_EQ(k.bytes, 128);
  EXPECT_GT(k.seconds, 0);
  ASSERT_EQ(attune_model_kernel_profile(model, 1, &k), ATTUNE_OK);
  EXPECT_EQ(k.calls, 2);
  EXPECT_EQ(k.flops, 16);
  // Turning it on again starts over; off stops counting.
  ASSERT_EQ(attune_model_set_profiling(model, 1), ATTUNE_OK);
  ASSERT_EQ(attune_model_kernel_profile(model, 0, &k), ATTUNE_OK);
  EXPECT_EQ(k.calls, 0);
  ASSERT_EQ(attune_model_set_profiling(model, 0), ATTUNE_OK);
  run();
  EXPECT_FALSE(sawProfiledRun);
}

TEST_F(ProfileTest, CountsRunsOfConcurrentSessionsExactly) {
  ASSERT_EQ(attune_model_set_profiling(model, 1), ATTUNE_OK);
  constexpr int kThreads = 4, kRuns = 500;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&] {
      attune_session *session = nullptr;
      ASSERT_EQ(attune_session_create(model, &session), ATTUNE_OK);
      std::vector<float> x(4, 1.0f), y(4, 0.0f);
      attune_tensor in = {"x", ATTUNE_F32, 1, {4}, x.data()};
      attune_tensor out = {"y", ATTUNE_F32, 1, {4}, y.data()};
      for (int r = 0; r < kRuns; ++r)
        ASSERT_EQ(attune_session_run(session, nullptr, &in, 1, &out, 1), ATTUNE_OK);
      attune_session_destroy(session);
    });
  for (std::thread &thread : threads)
    thread.join();
  attune_kernel_profile k;
  ASSERT_EQ(attune_model_kernel_profile(model, 1, &k), ATTUNE_OK);
  EXPECT_EQ(k.calls, kThreads * kRuns);
  EXPECT_EQ(k.flops, 8.0 * kThreads * kRuns);
  EXPECT_EQ(k.bytes, 32.0 * kThreads * kRuns);
  ASSERT_EQ(attune_model_kernel_profile(model, 2, &k), ATTUNE_OK);
  EXPECT_EQ(k.calls, kThreads * kRuns);
}

TEST_F(ProfileTest, PrintsAlikeKernelsAsOneLine) {
  ASSERT_EQ(setenv("ATTUNE_PEAK_GFLOPS", "100", 1), 0);
  ASSERT_EQ(setenv("ATTUNE_BANDWIDTH_GBS", "10", 1), 0);
  ASSERT_EQ(attune_model_set_profiling(model, 1), ATTUNE_OK);
  run();
  char *text = nullptr;
  size_t size = 0;
  FILE *out = open_memstream(&text, &size);
  ASSERT_NE(out, nullptr);
  ASSERT_EQ(attune_model_print_profile(model, out), ATTUNE_OK) << attune_last_error();
  fclose(out);
  std::string table(text, size);
  free(text);
  unsetenv("ATTUNE_PEAK_GFLOPS");
  unsetenv("ATTUNE_BANDWIDTH_GBS");
  EXPECT_NE(table.find("attune profile of profiled: 1 run on"), std::string::npos) << table;
  EXPECT_NE(table.find("100.0 GFLOP/s FMA peak, 10.0 GB/s memory (from ATTUNE_PEAK_GFLOPS"),
            std::string::npos)
      << table;
  // Kernels 0 and 2 are one line with two calls per run; kernel 1 its own line.
  size_t matmul = table.find("matmul k4 n4 (bias, gelu_tanh) at model.tfm:3:5");
  ASSERT_NE(matmul, std::string::npos) << table;
  EXPECT_EQ(table.find("matmul k4 n4", matmul + 1), std::string::npos) << table;
  size_t lineStart = table.rfind('\n', matmul) + 1;
  EXPECT_NE(table.substr(lineStart, matmul - lineStart).find(" 2 "), std::string::npos) << table;
  EXPECT_NE(table.find("layer_norm at <prelude>:11:10 in model.tfm:4:9"), std::string::npos)
      << table;
  EXPECT_NE(table.find("all kernels"), std::string::npos) << table;
}

TEST(ProfileManifestTest, RejectsAMalformedKernelLine) {
  std::string weights = ::testing::TempDir() + "attune_profile_weights2.safetensors";
  ASSERT_EQ(writePlaceholderWeights(weights), ATTUNE_OK);
  attune_model *model = nullptr;
  EXPECT_EQ(attune_model_open("attune-manifest 1\nmodel m\ninput x f32 4\nkernel matmul only\n",
                              entry, weights.c_str(), &model),
            ATTUNE_ERROR_LIBRARY);
  EXPECT_EQ(model, nullptr);
  EXPECT_NE(std::string(attune_last_error()).find("kernel needs NAME | FUSED | LOCATION"),
            std::string::npos)
      << attune_last_error();
}

} // namespace
