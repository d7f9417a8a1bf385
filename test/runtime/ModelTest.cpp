// Unit tests of opening and running a compiled model through the runtime, with a hand-written
// entry function standing in for generated code: y[b, i] = x[b, i] + w[i].
#include "Descriptors.h"
#include "attune/runtime.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

// MLIR's generic allocation functions, which the runtime provides to generated code.
extern "C" void *_mlir_memref_to_llvm_alloc(size_t size);
extern "C" void _mlir_memref_to_llvm_free(void *pointer);

namespace {

const char *const kManifest = "attune-manifest 1\n"
                              "model adder\n"
                              "dim batch 4\n"
                              "input x f32 batch 3\n"
                              "weight w f32 3\n"
                              "output y f32 batch 3\n";

void adderEntry(int32_t entry, void **arguments) {
  ASSERT_EQ(entry, 0);
  auto *x = static_cast<Descriptor2D *>(arguments[0]);
  auto *w = static_cast<Descriptor1D *>(arguments[1]);
  auto *y = static_cast<Descriptor2D *>(arguments[2]);
  // Like generated code, go through a temporary from the allocator.
  size_t bytes = x->sizes[0] * 3 * sizeof(float);
  auto *sum = static_cast<float *>(_mlir_memref_to_llvm_alloc(bytes));
  auto *unused = _mlir_memref_to_llvm_alloc(1000);
  _mlir_memref_to_llvm_free(unused);
  for (int64_t b = 0; b < x->sizes[0]; ++b)
    for (int64_t i = 0; i < x->sizes[1]; ++i)
      sum[b * 3 + i] = x->aligned[b * x->strides[0] + i] + w->aligned[i];
  for (int64_t k = 0; k < x->sizes[0] * 3; ++k)
    y->aligned[k] = sum[k];
  _mlir_memref_to_llvm_free(sum);
}

class ModelTest : public ::testing::Test {
protected:
  void SetUp() override {
    weights = ::testing::TempDir() + "attune_model_weights.safetensors";
    std::vector<float> w = {10, 20, 30};
    attune_tensor t = {"w", ATTUNE_F32, 1, {3}, w.data()};
    ASSERT_EQ(attune_safetensors_write(weights.c_str(), &t, 1), ATTUNE_OK);
    ASSERT_EQ(attune_model_open(kManifest, adderEntry, weights.c_str(), &model), ATTUNE_OK)
        << attune_last_error();
  }
  void TearDown() override { attune_model_close(model); }

  attune_status run(int64_t batch, int64_t width, std::vector<float> &y, const char *name = "x") {
    x.assign(batch * width, 1.0f);
    y.assign(batch * 3, 0.0f);
    attune_tensor in = {name, ATTUNE_F32, 2, {batch, width}, x.data()};
    attune_tensor out = {"y", ATTUNE_F32, 2, {batch, 3}, y.data()};
    return attune_model_run(model, &in, 1, &out, 1);
  }

  std::string weights;
  attune_model *model = nullptr;
  std::vector<float> x;
};

TEST_F(ModelTest, RunsTheEntryWithBoundShapes) {
  std::vector<float> y;
  ASSERT_EQ(run(2, 3, y), ATTUNE_OK) << attune_last_error();
  EXPECT_EQ(y, (std::vector<float>{11, 21, 31, 11, 21, 31}));
}

TEST_F(ModelTest, IntermediatesComeFromAReusedArena) {
  std::vector<float> y;
  size_t peak = 0, reserved = 0;
  ASSERT_EQ(attune_model_arena_bytes(model, &peak, &reserved), ATTUNE_OK);
  EXPECT_EQ(peak, 0u);
  ASSERT_EQ(run(4, 3, y), ATTUNE_OK);
  ASSERT_EQ(attune_model_arena_bytes(model, &peak, &reserved), ATTUNE_OK);
  // 4*3 floats (48 -> 64 bytes) and 1000 (-> 1024) bytes live at once.
  EXPECT_EQ(peak, 64u + 1024u);
  EXPECT_GE(reserved, peak);
  size_t firstReserved = reserved;
  for (int i = 0; i < 3; ++i)
    ASSERT_EQ(run(i + 1, 3, y), ATTUNE_OK);
  ASSERT_EQ(attune_model_arena_bytes(model, &peak, &reserved), ATTUNE_OK);
  EXPECT_EQ(reserved, firstReserved) << "later runs must reuse the arena";
  EXPECT_EQ(y, (std::vector<float>{11, 21, 31, 11, 21, 31, 11, 21, 31}));
}

TEST_F(ModelTest, DescribesItsInterface) {
  EXPECT_EQ(attune_model_num_inputs(model), 1u);
  EXPECT_EQ(attune_model_num_outputs(model), 1u);
  attune_tensor info;
  ASSERT_EQ(attune_model_input(model, 0, &info), ATTUNE_OK);
  EXPECT_STREQ(info.name, "x");
  EXPECT_EQ(info.shape[0], -1);
  EXPECT_EQ(info.shape[1], 3);
  EXPECT_EQ(attune_model_output(model, 1, &info), ATTUNE_ERROR_INVALID_ARGUMENT);
  int64_t bound = 0;
  ASSERT_EQ(attune_model_dim_bound(model, "batch", &bound), ATTUNE_OK);
  EXPECT_EQ(bound, 4);
  EXPECT_EQ(attune_model_dim_bound(model, "seq", &bound), ATTUNE_ERROR_INVALID_ARGUMENT);

  std::vector<float> data(6);
  attune_tensor in = {"x", ATTUNE_F32, 2, {2, 3}, data.data()};
  attune_tensor out = {"y", ATTUNE_F32, 0, {}, nullptr};
  ASSERT_EQ(attune_model_output_shapes(model, &in, 1, &out, 1), ATTUNE_OK);
  EXPECT_EQ(out.rank, 2);
  EXPECT_EQ(out.shape[0], 2);
  EXPECT_EQ(out.shape[1], 3);
}

TEST_F(ModelTest, RejectsBatchAboveBound) {
  std::vector<float> y;
  EXPECT_EQ(run(5, 3, y), ATTUNE_ERROR_SHAPE);
  EXPECT_NE(std::string(attune_last_error()).find("dim 0 (batch) is 5; it must be in [1, 4]"),
            std::string::npos);
}

TEST_F(ModelTest, RejectsWrongStaticDim) {
  std::vector<float> y;
  EXPECT_EQ(run(2, 4, y), ATTUNE_ERROR_SHAPE);
  EXPECT_NE(std::string(attune_last_error()).find("input 'x' must have shape [2, 3], got [2, 4]"),
            std::string::npos);
}

TEST_F(ModelTest, RejectsUnknownAndMissingInputs) {
  std::vector<float> y;
  EXPECT_EQ(run(2, 3, y, "z"), ATTUNE_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(attune_last_error()).find("has no input named 'z'"), std::string::npos);
  attune_tensor out = {"y", ATTUNE_F32, 2, {2, 3}, y.data()};
  EXPECT_EQ(attune_model_run(model, nullptr, 0, &out, 1), ATTUNE_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(attune_last_error()).find("input 'x' is missing"), std::string::npos);
}

TEST_F(ModelTest, RejectsNullPointers) {
  EXPECT_EQ(attune_model_run(nullptr, nullptr, 0, nullptr, 0), ATTUNE_ERROR_INVALID_ARGUMENT);
  std::vector<float> y(6);
  attune_tensor in = {"x", ATTUNE_F32, 2, {2, 3}, nullptr};
  attune_tensor out = {"y", ATTUNE_F32, 2, {2, 3}, y.data()};
  EXPECT_EQ(attune_model_run(model, &in, 1, &out, 1), ATTUNE_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(attune_last_error()).find("null data pointer"), std::string::npos);
  EXPECT_EQ(attune_model_run(model, nullptr, 1, &out, 1), ATTUNE_ERROR_INVALID_ARGUMENT);
  attune_model *other = nullptr;
  EXPECT_EQ(attune_model_open(nullptr, adderEntry, weights.c_str(), &other),
            ATTUNE_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(attune_model_open(kManifest, nullptr, weights.c_str(), &other),
            ATTUNE_ERROR_INVALID_ARGUMENT);
}

// Two entry points sharing the weight: "add" (entry 0) and "scale" (entry 1).
const char *const kTwoEntries = "attune-manifest 1\n"
                                "model two\n"
                                "dim batch 2\n"
                                "entry add\n"
                                "input x f32 batch 3\n"
                                "weight w f32 3\n"
                                "output y f32 batch 3\n"
                                "entry scale\n"
                                "input x f32 batch 3\n"
                                "weight w f32 3\n"
                                "output z f32 batch 3\n";

void twoEntries(int32_t entry, void **arguments) {
  auto *x = static_cast<Descriptor2D *>(arguments[0]);
  auto *w = static_cast<Descriptor1D *>(arguments[1]);
  auto *y = static_cast<Descriptor2D *>(arguments[2]);
  for (int64_t k = 0; k < x->sizes[0] * 3; ++k)
    y->aligned[k] = entry == 0 ? x->aligned[k] + w->aligned[k % 3] : x->aligned[k] * w->aligned[k % 3];
}

TEST(ModelEntriesTest, RunsEachEntryPointByName) {
  std::string file = ::testing::TempDir() + "attune_model_two.safetensors";
  std::vector<float> w = {1, 2, 3};
  attune_tensor t = {"w", ATTUNE_F32, 1, {3}, w.data()};
  ASSERT_EQ(attune_safetensors_write(file.c_str(), &t, 1), ATTUNE_OK);
  attune_model *model = nullptr;
  ASSERT_EQ(attune_model_open(kTwoEntries, twoEntries, file.c_str(), &model), ATTUNE_OK)
      << attune_last_error();
  ASSERT_EQ(attune_model_num_entries(model), 2u);
  EXPECT_STREQ(attune_model_entry_name(model, 1), "scale");
  EXPECT_EQ(attune_model_entry_name(model, 2), nullptr);

  std::vector<float> x = {1, 1, 1}, y(3);
  attune_tensor in = {"x", ATTUNE_F32, 2, {1, 3}, x.data()};
  attune_tensor outY = {"y", ATTUNE_F32, 2, {1, 3}, y.data()};
  attune_tensor outZ = {"z", ATTUNE_F32, 2, {1, 3}, y.data()};
  // No "forward": the default is the first entry point.
  ASSERT_EQ(attune_model_run(model, &in, 1, &outY, 1), ATTUNE_OK) << attune_last_error();
  EXPECT_EQ(y, (std::vector<float>{2, 3, 4}));
  ASSERT_EQ(attune_model_run_entry(model, "scale", &in, 1, &outZ, 1), ATTUNE_OK);
  EXPECT_EQ(y, (std::vector<float>{1, 2, 3}));
  EXPECT_EQ(attune_model_run_entry(model, "scale", &in, 1, &outY, 1),
            ATTUNE_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(attune_last_error()).find("entry point scale of model two has no output "
                                                  "named 'y'"),
            std::string::npos);
  EXPECT_EQ(attune_model_run_entry(model, "decode", &in, 1, &outY, 1),
            ATTUNE_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(attune_last_error()).find("has no entry point 'decode' (it has: add, scale)"),
            std::string::npos);
  EXPECT_EQ(attune_model_entry_num_outputs(model, "scale"), 1u);
  attune_model_close(model);
}

TEST(ModelOpenTest, RejectsMismatchedWeights) {
  std::string file = ::testing::TempDir() + "attune_model_wrong.safetensors";
  std::vector<float> w = {1, 2};
  attune_tensor t = {"w", ATTUNE_F32, 1, {2}, w.data()};
  ASSERT_EQ(attune_safetensors_write(file.c_str(), &t, 1), ATTUNE_OK);
  attune_model *model = nullptr;
  EXPECT_EQ(attune_model_open(kManifest, adderEntry, file.c_str(), &model), ATTUNE_ERROR_WEIGHTS);
  EXPECT_EQ(model, nullptr);
  EXPECT_NE(std::string(attune_last_error()).find("is f32 [2], the model needs [3]"),
            std::string::npos);
}

TEST(ModelOpenTest, RejectsBadManifest) {
  attune_model *model = nullptr;
  EXPECT_EQ(attune_model_open("not a manifest\n", adderEntry, "w", &model), ATTUNE_ERROR_LIBRARY);
  EXPECT_EQ(attune_model_open("attune-manifest 1\nmodel m\ninput x f32 seq\n", adderEntry, "w",
                              &model),
            ATTUNE_ERROR_LIBRARY);
  EXPECT_NE(std::string(attune_last_error()).find("unknown symbolic dimension"),
            std::string::npos);
}

// Token ids: an input declared `values 0 5` (the rows of the table it selects) is checked
// before the compiled code runs, which would clamp an id outside it to the table.
const char *const kIds = "attune-manifest 1\n"
                         "model ids\n"
                         "dim batch 2\n"
                         "dim seq 4\n"
                         "input ids i32 batch seq values 0 5\n"
                         "input wide i64 batch seq values 0 5\n"
                         "output y f32 batch seq\n";
int idsRuns = 0;
void idsEntry(int32_t, void **) { ++idsRuns; }

TEST(ModelValuesTest, RejectsIdsOutsideTheirTable) {
  std::string file = ::testing::TempDir() + "attune_model_ids.safetensors";
  ASSERT_EQ(attune_safetensors_write(file.c_str(), nullptr, 0), ATTUNE_OK);
  attune_model *model = nullptr;
  ASSERT_EQ(attune_model_open(kIds, idsEntry, file.c_str(), &model), ATTUNE_OK)
      << attune_last_error();
  std::vector<int32_t> ids = {0, 1, 2, 4, 3, 4, 0, 1};
  std::vector<int64_t> wide = {4, 3, 2, 1, 0, 0, 0, 0};
  std::vector<float> y(8);
  attune_tensor in[2] = {{"ids", ATTUNE_I32, 2, {2, 4}, ids.data()},
                         {"wide", ATTUNE_I64, 2, {2, 4}, wide.data()}};
  attune_tensor out = {"y", ATTUNE_F32, 2, {2, 4}, y.data()};
  ASSERT_EQ(attune_model_run(model, in, 2, &out, 1), ATTUNE_OK) << attune_last_error();
  EXPECT_EQ(idsRuns, 1);

  ids[6] = 5; // [1, 2]: one past the table
  EXPECT_EQ(attune_model_run(model, in, 2, &out, 1), ATTUNE_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(attune_last_error())
                .find("input 'ids' holds 5 at [1, 2]; its values must be in [0, 5)"),
            std::string::npos)
      << attune_last_error();
  ids[6] = -1;
  EXPECT_EQ(attune_model_run(model, in, 2, &out, 1), ATTUNE_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(attune_last_error()).find("holds -1 at [1, 2]"), std::string::npos);
  ids[6] = 0;
  wide[3] = int64_t(1) << 32; // would be 0 cut to 32 bits
  EXPECT_EQ(attune_model_run(model, in, 2, &out, 1), ATTUNE_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(attune_last_error()).find("input 'wide' holds 4294967296 at [0, 3]"),
            std::string::npos);
  EXPECT_EQ(idsRuns, 1) << "the compiled code must not run on ids outside the table";
  attune_model_close(model);
}

TEST(ModelValuesTest, RejectsMalformedValues) {
  attune_model *model = nullptr;
  for (const char *line : {"weight w i32 3 values 0 5\n", "input x f32 3 values 0 5\n",
                           "input x i32 3 values 5 5\n", "input x i32 3 values 0\n"}) {
    std::string manifest = std::string("attune-manifest 1\nmodel m\n") + line;
    EXPECT_EQ(attune_model_open(manifest.c_str(), idsEntry, "w", &model), ATTUNE_ERROR_LIBRARY)
        << line;
    EXPECT_NE(std::string(attune_last_error()).find("values need an integer input and LO < HI"),
              std::string::npos)
        << line;
  }
}

// Packed weights: each entry point checks its panels' descriptor and contents, W = [[0, 1, 2],
// [3, 4, 5]] in panels of 2 columns: panels[p][k][j] = W[k][2p + j], zero past column 2.
struct Descriptor3D {
  float *allocated, *aligned;
  int64_t offset, sizes[3], strides[3];
};
const char *const kPacked = "attune-manifest 1\n"
                            "model packed\n"
                            "entry kn\n"
                            "weight w f32 2 3 panels 2 kn\n"
                            "output y f32 12\n"
                            "entry nk\n"
                            "weight wt f32 3 2 panels 2 nk\n"
                            "output y f32 12\n"
                            "entry again\n"
                            "weight w f32 2 3 panels 2 kn\n"
                            "output y f32 12\n";
const float *packedSeen[3];

void packedEntries(int32_t entry, void **arguments) {
  auto *panels = static_cast<Descriptor3D *>(arguments[0]);
  auto *y = static_cast<Descriptor1D *>(arguments[1]);
  packedSeen[entry] = panels->aligned;
  EXPECT_EQ(panels->sizes[0], 2);
  EXPECT_EQ(panels->sizes[1], 2);
  EXPECT_EQ(panels->sizes[2], 2);
  EXPECT_EQ(panels->strides[0], 4);
  EXPECT_EQ(panels->strides[1], 2);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(panels->aligned) % 64, 0u);
  for (int i = 0; i < 8; ++i)
    y->aligned[i] = panels->aligned[i];
}

TEST(ModelPackedTest, PacksBothLayoutsOncePerLayout) {
  std::string file = ::testing::TempDir() + "attune_model_packed.safetensors";
  std::vector<float> w = {0, 1, 2, 3, 4, 5}, wt = {0, 3, 1, 4, 2, 5};
  attune_tensor t[] = {{"w", ATTUNE_F32, 2, {2, 3}, w.data()},
                       {"wt", ATTUNE_F32, 2, {3, 2}, wt.data()}};
  ASSERT_EQ(attune_safetensors_write(file.c_str(), t, 2), ATTUNE_OK);
  attune_model *model = nullptr;
  ASSERT_EQ(attune_model_open(kPacked, packedEntries, file.c_str(), &model), ATTUNE_OK)
      << attune_last_error();
  const std::vector<float> expected = {0, 1, 3, 4, 2, 0, 5, 0};
  for (const char *entry : {"kn", "nk", "again"}) {
    std::vector<float> y(12, -1);
    attune_tensor out = {"y", ATTUNE_F32, 1, {12}, y.data()};
    ASSERT_EQ(attune_model_run_entry(model, entry, nullptr, 0, &out, 1), ATTUNE_OK)
        << attune_last_error();
    EXPECT_EQ(std::vector<float>(y.begin(), y.begin() + 8), expected) << entry;
  }
  // Two entry points with the same weight and layout share one copy of the panels.
  EXPECT_EQ(packedSeen[0], packedSeen[2]);
  EXPECT_NE(packedSeen[0], packedSeen[1]);
  attune_model_close(model);
}

TEST(ModelPackedTest, RejectsBadPanels) {
  attune_model *model = nullptr;
  for (const char *line :
       {"weight w f32 6 panels 2 kn\n", "weight w f32 2 3 panels 0 kn\n",
        "weight w f32 2 3 panels 2 mk\n", "weight w f32 2 3 panels\n",
        "input w f32 2 3 panels 2 kn\n", "weight w f32 2 3 panels 2 kn f16\n",
        "weight w f32 2 3 scales 2 kn i8\n", "weight w f32 6 scales 2 kn\n",
        // k pairs need an even K: [K, N] = [3, 2], [N, K] = [2, 3].
        "weight w f32 3 2 panels 2 kn bf16x2\n", "weight w f32 2 3 panels 2 nk bf16x2\n"}) {
    std::string manifest = std::string("attune-manifest 1\nmodel m\n") + line;
    EXPECT_EQ(attune_model_open(manifest.c_str(), adderEntry, "w", &model), ATTUNE_ERROR_LIBRARY)
        << line;
    EXPECT_NE(std::string(attune_last_error()).find("panels need a 2-D weight"),
              std::string::npos)
        << line;
  }
}

} // namespace
