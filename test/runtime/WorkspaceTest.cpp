// Unit tests of the memory plan's runtime side (runtime/src/run_memory.c, model.c): a call
// gets a workspace of the bytes the library's size function computes from its dims, before
// any of the call's code runs; the size is queryable by dim name; a session's workspace grows
// only when a call needs more, and a reserve gets it up front; a workspace that cannot be had
// fails the call with a status and runs nothing. A hand-written entry stands in for generated
// code: y = 2·x through a temporary in the workspace (entry 0), and its size function
// (entry 1, NAME_entry's `entries + 0`): batch · seq · 4 bytes.
#include "Descriptors.h"
#include "PlaceholderWeights.h"
#include "attune/runtime.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

namespace {

const char *const kManifest = "attune-manifest 1\n"
                              "model doubler\n"
                              "dim batch 4\n"
                              "dim seq 8\n"
                              "entry forward\n"
                              "input x f32 batch seq\n"
                              "output y f32 batch seq\n"
                              "workspace batch seq\n";

int entryCalls = 0;
int64_t extraBytes = 0; // added by the size function: a workspace no machine has

void doublerEntry(int32_t entry, void **arguments) {
  if (entry == 1) { // the size function: dims [batch, seq] -> bytes
    auto *dims = static_cast<Buffer1D<int64_t> *>(arguments[0]);
    auto *bytes = static_cast<Buffer1D<int64_t> *>(arguments[1]);
    ASSERT_EQ(dims->sizes[0], 2);
    bytes->aligned[0] = dims->aligned[0] * dims->aligned[1] * 4 + extraBytes;
    return;
  }
  ASSERT_EQ(entry, 0);
  ++entryCalls;
  auto *x = static_cast<Descriptor2D *>(arguments[0]);
  auto *y = static_cast<Descriptor2D *>(arguments[1]);
  auto *workspace = static_cast<Buffer1D<char> *>(arguments[2]);
  int64_t count = x->sizes[0] * x->sizes[1];
  ASSERT_GE(workspace->sizes[0], count * 4);
  ASSERT_EQ(reinterpret_cast<uintptr_t>(workspace->aligned) % 64, 0u);
  auto *temporary = reinterpret_cast<float *>(workspace->aligned);
  for (int64_t i = 0; i < count; ++i)
    temporary[i] = x->aligned[i] * 2;
  std::memcpy(y->aligned, temporary, count * sizeof(float));
}

class WorkspaceTest : public ::testing::Test {
protected:
  void SetUp() override {
    weights = ::testing::TempDir() + "attune_workspace_weights.safetensors";
    ASSERT_EQ(writePlaceholderWeights(weights), ATTUNE_OK);
    ASSERT_EQ(attune_model_open(kManifest, doublerEntry, weights.c_str(), &model), ATTUNE_OK)
        << attune_last_error();
    entryCalls = 0;
    extraBytes = 0;
  }
  void TearDown() override { attune_model_close(model); }

  /// Runs [batch, seq] ones on `session` (or the model's own memory) and checks y = 2.
  attune_status run(attune_session *session, int64_t batch, int64_t seq) {
    std::vector<float> x(batch * seq, 1.0f), y(batch * seq, 0.0f);
    attune_tensor in = {"x", ATTUNE_F32, 2, {batch, seq}, x.data()};
    attune_tensor out = {"y", ATTUNE_F32, 2, {batch, seq}, y.data()};
    attune_status status = session ? attune_session_run(session, nullptr, &in, 1, &out, 1)
                                   : attune_model_run(model, &in, 1, &out, 1);
    if (status == ATTUNE_OK)
      for (float v : y)
        EXPECT_EQ(v, 2.0f);
    return status;
  }

  std::string weights;
  attune_model *model = nullptr;
};

TEST_F(WorkspaceTest, SizeIsTheLibrarysFunctionOfTheDims) {
  size_t bytes = 0;
  attune_dim dims[] = {{"batch", 3}, {"seq", 5}};
  ASSERT_EQ(attune_model_workspace_bytes(model, nullptr, dims, 2, &bytes), ATTUNE_OK);
  EXPECT_EQ(bytes, 3u * 5 * 4);
  // A dim not given is at its bound; no dims: the most any call needs.
  ASSERT_EQ(attune_model_workspace_bytes(model, "forward", dims, 1, &bytes), ATTUNE_OK);
  EXPECT_EQ(bytes, 3u * 8 * 4);
  ASSERT_EQ(attune_model_workspace_bytes(model, nullptr, nullptr, 0, &bytes), ATTUNE_OK);
  EXPECT_EQ(bytes, 4u * 8 * 4);

  attune_dim unknown = {"heads", 2};
  EXPECT_EQ(attune_model_workspace_bytes(model, nullptr, &unknown, 1, &bytes),
            ATTUNE_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(attune_last_error()).find("no dimension named 'heads'"),
            std::string::npos);
  attune_dim tooLong = {"seq", 9};
  EXPECT_EQ(attune_model_workspace_bytes(model, nullptr, &tooLong, 1, &bytes), ATTUNE_ERROR_SHAPE);
  EXPECT_NE(std::string(attune_last_error()).find("[1, 8]"), std::string::npos);
  EXPECT_EQ(attune_model_workspace_bytes(model, "decode", nullptr, 0, &bytes),
            ATTUNE_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(attune_model_workspace_bytes(nullptr, nullptr, nullptr, 0, &bytes),
            ATTUNE_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(attune_model_workspace_bytes(model, nullptr, nullptr, 1, &bytes),
            ATTUNE_ERROR_INVALID_ARGUMENT);
}

TEST_F(WorkspaceTest, SessionGrowsOnlyWhenACallNeedsMore) {
  attune_session *session = nullptr;
  ASSERT_EQ(attune_session_create(model, &session), ATTUNE_OK);
  size_t peak = 0, held = 0;
  ASSERT_EQ(run(session, 1, 2), ATTUNE_OK);
  ASSERT_EQ(attune_session_arena_bytes(session, &peak, &held), ATTUNE_OK);
  EXPECT_EQ(peak, 8u);
  EXPECT_EQ(held, 64u); // rounded to the alignment
  ASSERT_EQ(run(session, 2, 8), ATTUNE_OK);
  ASSERT_EQ(attune_session_arena_bytes(session, &peak, &held), ATTUNE_OK);
  EXPECT_EQ(peak, 64u);
  EXPECT_EQ(held, 64u);
  ASSERT_EQ(run(session, 3, 8), ATTUNE_OK);
  ASSERT_EQ(attune_session_arena_bytes(session, &peak, &held), ATTUNE_OK);
  EXPECT_EQ(peak, 96u);
  EXPECT_EQ(held, 128u);
  // Reserved for the bounds up front: no call grows it.
  ASSERT_EQ(attune_session_reserve(session, nullptr, nullptr, 0), ATTUNE_OK);
  ASSERT_EQ(attune_session_arena_bytes(session, &peak, &held), ATTUNE_OK);
  EXPECT_EQ(held, 128u);
  ASSERT_EQ(run(session, 4, 8), ATTUNE_OK);
  ASSERT_EQ(attune_session_arena_bytes(session, &peak, &held), ATTUNE_OK);
  EXPECT_EQ(held, 128u);
  EXPECT_EQ(attune_session_reserve(nullptr, nullptr, nullptr, 0), ATTUNE_ERROR_INVALID_ARGUMENT);
  attune_dim tooBig = {"batch", 5};
  EXPECT_EQ(attune_session_reserve(session, nullptr, &tooBig, 1), ATTUNE_ERROR_SHAPE);
  attune_session_destroy(session);
}

TEST_F(WorkspaceTest, MemoryThatCannotBeHadFailsTheCallBeforeItRuns) {
  attune_session *session = nullptr;
  ASSERT_EQ(attune_session_create(model, &session), ATTUNE_OK);
  extraBytes = int64_t(1) << 62;
  EXPECT_EQ(run(session, 2, 4), ATTUNE_ERROR_OUT_OF_MEMORY);
  EXPECT_NE(std::string(attune_last_error()).find("nothing ran"), std::string::npos);
  EXPECT_EQ(run(nullptr, 2, 4), ATTUNE_ERROR_OUT_OF_MEMORY);
  EXPECT_EQ(attune_session_reserve(session, nullptr, nullptr, 0), ATTUNE_ERROR_OUT_OF_MEMORY);
  EXPECT_EQ(entryCalls, 0);
  // The session is as it was, and runs once the need is back to what a machine has.
  extraBytes = 0;
  EXPECT_EQ(run(session, 2, 4), ATTUNE_OK);
  EXPECT_EQ(entryCalls, 1);
  attune_session_destroy(session);
}

TEST_F(WorkspaceTest, ModelRunsInItsOwnWorkspace) {
  ASSERT_EQ(run(nullptr, 4, 8), ATTUNE_OK);
  size_t peak = 0, held = 0;
  ASSERT_EQ(attune_model_arena_bytes(model, &peak, &held), ATTUNE_OK);
  EXPECT_EQ(peak, 128u);
  EXPECT_EQ(held, 128u);
}

TEST(WorkspaceManifestTest, BadWorkspaceLinesAreLibraryErrors) {
  attune_model *model = nullptr;
  EXPECT_EQ(attune_model_open("attune-manifest 1\nmodel m\nworkspace\n", doublerEntry, "w", &model),
            ATTUNE_ERROR_LIBRARY);
  EXPECT_EQ(attune_model_open("attune-manifest 1\nmodel m\ndim seq 4\nentry forward\n"
                              "input x f32 seq\nworkspace heads\n",
                              doublerEntry, "w", &model),
            ATTUNE_ERROR_LIBRARY);
  EXPECT_NE(std::string(attune_last_error()).find("unknown symbolic dimension"), std::string::npos);
  EXPECT_EQ(model, nullptr);
}

} // namespace
