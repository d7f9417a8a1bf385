// Unit tests of sessions (runtime/src/session.c): sessions of one model run at once from
// different threads, each with its own arena and results identical to running alone; a
// session keeps its kernels to its thread count; a session refuses a call that overlaps one
// in flight; null arguments are refused. A
// hand-written entry function stands in for generated code: y[b, i] = x[b, i] · (b + 1) + w[i],
// through a temporary from the allocator, its tasks on the thread pool.
#include "Descriptors.h"
#include "attune/runtime.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

extern "C" void *_mlir_memref_to_llvm_alloc(size_t size);
extern "C" void _mlir_memref_to_llvm_free(void *pointer);
extern "C" void attune_parallel_for(void (*fn)(void *, int64_t, int64_t), void *ctx,
                                    int64_t begin, int64_t end);

namespace {

constexpr int64_t kWidth = 64;

const char *const kManifest = "attune-manifest 1\n"
                              "model scaler\n"
                              "dim batch 16\n"
                              "input x f32 batch 64\n"
                              "weight w f32 64\n"
                              "output y f32 batch 64\n";

struct Rows {
  const Descriptor2D *x;
  const Descriptor1D *w;
  float *out;
};

/// The threads that ran scaleRows' tasks since the last clear.
std::mutex taskThreadsLock;
std::set<std::thread::id> taskThreads;

void scaleRows(void *ctx, int64_t begin, int64_t end) {
  {
    std::lock_guard<std::mutex> guard(taskThreadsLock);
    taskThreads.insert(std::this_thread::get_id());
  }
  // Slow enough that the pool's threads join a 16-task range.
  std::this_thread::sleep_for(std::chrono::microseconds(300));
  auto *rows = static_cast<Rows *>(ctx);
  for (int64_t b = begin; b < end; ++b)
    for (int64_t i = 0; i < kWidth; ++i)
      rows->out[b * kWidth + i] =
          rows->x->aligned[b * kWidth + i] * static_cast<float>(b + 1) + rows->w->aligned[i];
}

/// Set by a test: the session the entry calls back into, and what that call returned.
attune_session *reentered = nullptr;
attune_status reentryStatus = ATTUNE_OK;

void scalerEntry(int32_t, void **arguments) {
  auto *x = static_cast<Descriptor2D *>(arguments[0]);
  auto *w = static_cast<Descriptor1D *>(arguments[1]);
  auto *y = static_cast<Descriptor2D *>(arguments[2]);
  int64_t batch = x->sizes[0];
  auto *temp = static_cast<float *>(_mlir_memref_to_llvm_alloc(batch * kWidth * sizeof(float)));
  Rows rows{x, w, temp};
  attune_parallel_for(scaleRows, &rows, 0, batch);
  for (int64_t k = 0; k < batch * kWidth; ++k)
    y->aligned[k] = temp[k];
  _mlir_memref_to_llvm_free(temp);
  if (reentered) {
    std::vector<float> in(kWidth), out(kWidth);
    attune_tensor xt = {"x", ATTUNE_F32, 2, {1, kWidth}, in.data()};
    attune_tensor yt = {"y", ATTUNE_F32, 2, {1, kWidth}, out.data()};
    reentryStatus = attune_session_run(reentered, nullptr, &xt, 1, &yt, 1);
  }
}

class SessionTest : public ::testing::Test {
protected:
  void SetUp() override {
    weights = ::testing::TempDir() + "attune_session_weights.safetensors";
    std::vector<float> w(kWidth);
    for (int64_t i = 0; i < kWidth; ++i)
      w[i] = static_cast<float>(i) * 0.5f;
    attune_tensor t = {"w", ATTUNE_F32, 1, {kWidth}, w.data()};
    ASSERT_EQ(attune_safetensors_write(weights.c_str(), &t, 1), ATTUNE_OK);
    ASSERT_EQ(attune_model_open(kManifest, scalerEntry, weights.c_str(), &model), ATTUNE_OK)
        << attune_last_error();
  }
  void TearDown() override {
    attune_model_close(model);
    ASSERT_EQ(attune_set_num_threads(1), ATTUNE_OK);
  }

  static std::vector<float> input(int64_t batch, int seed) {
    std::vector<float> x(batch * kWidth);
    for (size_t k = 0; k < x.size(); ++k)
      x[k] = static_cast<float>((static_cast<int64_t>(k) * 7 + seed * 13) % 101) / 8.0f;
    return x;
  }

  static attune_status run(attune_session *session, std::vector<float> &x,
                           std::vector<float> &y) {
    int64_t batch = static_cast<int64_t>(x.size()) / kWidth;
    y.assign(x.size(), -1.0f);
    attune_tensor in = {"x", ATTUNE_F32, 2, {batch, kWidth}, x.data()};
    attune_tensor out = {"y", ATTUNE_F32, 2, {batch, kWidth}, y.data()};
    return attune_session_run(session, nullptr, &in, 1, &out, 1);
  }

  std::string weights;
  attune_model *model = nullptr;
};

TEST_F(SessionTest, SessionsRunAtOnceWithResultsOfRunningAlone) {
  ASSERT_EQ(attune_set_num_threads(4), ATTUNE_OK);
  constexpr int kSessions = 8, kRuns = 40;
  // Each (session, run) alone, through the model's own memory, first.
  std::vector<std::vector<std::vector<float>>> expected(kSessions);
  for (int s = 0; s < kSessions; ++s)
    for (int r = 0; r < kRuns; ++r) {
      std::vector<float> x = input(1 + (s + r) % 16, s * kRuns + r), y(x.size());
      attune_tensor in = {"x", ATTUNE_F32, 2, {static_cast<int64_t>(x.size()) / kWidth, kWidth},
                          x.data()};
      attune_tensor out = {"y", ATTUNE_F32, 2, {in.shape[0], kWidth}, y.data()};
      ASSERT_EQ(attune_model_run(model, &in, 1, &out, 1), ATTUNE_OK) << attune_last_error();
      expected[s].push_back(y);
    }
  std::vector<attune_session *> sessions(kSessions);
  for (attune_session *&session : sessions)
    ASSERT_EQ(attune_session_create(model, &session), ATTUNE_OK);
  std::atomic<int> mismatches{0}, failures{0};
  std::vector<std::thread> threads;
  for (int s = 0; s < kSessions; ++s)
    threads.emplace_back([&, s] {
      for (int r = 0; r < kRuns; ++r) {
        std::vector<float> x = input(1 + (s + r) % 16, s * kRuns + r), y;
        if (run(sessions[s], x, y) != ATTUNE_OK)
          ++failures;
        else if (y != expected[s][r])
          ++mismatches;
      }
    });
  for (std::thread &thread : threads)
    thread.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(mismatches.load(), 0);
  // Each session's intermediates came from its own arena: the largest batch it ran
  // (16 rows of 64 floats) at most, whatever the others ran at the same time.
  for (attune_session *session : sessions) {
    size_t peak = 0, reserved = 0;
    ASSERT_EQ(attune_session_arena_bytes(session, &peak, &reserved), ATTUNE_OK);
    EXPECT_GT(peak, 0u);
    EXPECT_LE(peak, 16u * kWidth * sizeof(float));
    EXPECT_GE(reserved, peak);
    attune_session_destroy(session);
  }
}

TEST_F(SessionTest, RefusesACallOverlappingOneInFlight) {
  attune_session *session = nullptr;
  ASSERT_EQ(attune_session_create(model, &session), ATTUNE_OK);
  std::vector<float> x = input(2, 1), y;
  reentered = session;
  reentryStatus = ATTUNE_OK;
  EXPECT_EQ(run(session, x, y), ATTUNE_OK);
  reentered = nullptr;
  EXPECT_EQ(reentryStatus, ATTUNE_ERROR_INVALID_ARGUMENT);
  // The session is usable again once the call in flight is done.
  EXPECT_EQ(run(session, x, y), ATTUNE_OK) << attune_last_error();
  attune_session_destroy(session);
}

TEST_F(SessionTest, KeepsItsKernelsToItsThreadCount) {
  ASSERT_EQ(attune_set_num_threads(4), ATTUNE_OK);
  attune_session *session = nullptr;
  ASSERT_EQ(attune_session_create(model, &session), ATTUNE_OK);
  std::vector<float> x = input(16, 3), all, y;
  ASSERT_EQ(run(session, x, all), ATTUNE_OK);
  for (int threads : {1, 2, 3}) {
    ASSERT_EQ(attune_session_set_num_threads(session, threads), ATTUNE_OK);
    for (int round = 0; round < 5; ++round) {
      {
        std::lock_guard<std::mutex> guard(taskThreadsLock);
        taskThreads.clear();
      }
      ASSERT_EQ(run(session, x, y), ATTUNE_OK);
      EXPECT_EQ(y, all) << threads << " threads";
      std::lock_guard<std::mutex> guard(taskThreadsLock);
      EXPECT_LE(taskThreads.size(), static_cast<size_t>(threads)) << threads << " threads";
      if (threads == 1)
        EXPECT_TRUE(taskThreads.count(std::this_thread::get_id())) << "the caller runs them";
    }
  }
  EXPECT_EQ(attune_session_set_num_threads(session, -1), ATTUNE_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(attune_session_set_num_threads(nullptr, 2), ATTUNE_ERROR_INVALID_ARGUMENT);
  attune_session_destroy(session);
}

TEST_F(SessionTest, RejectsNullArgumentsAndBadShapes) {
  attune_session *session = nullptr;
  EXPECT_EQ(attune_session_create(nullptr, &session), ATTUNE_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(session, nullptr);
  EXPECT_EQ(attune_session_create(model, nullptr), ATTUNE_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(attune_session_run(nullptr, nullptr, nullptr, 0, nullptr, 0),
            ATTUNE_ERROR_INVALID_ARGUMENT);
  size_t peak, reserved;
  EXPECT_EQ(attune_session_arena_bytes(nullptr, &peak, &reserved),
            ATTUNE_ERROR_INVALID_ARGUMENT);
  ASSERT_EQ(attune_session_create(model, &session), ATTUNE_OK);
  std::vector<float> x = input(17, 0), y;
  EXPECT_EQ(run(session, x, y), ATTUNE_ERROR_SHAPE) << "batch 17 is above the bound 16";
  EXPECT_EQ(attune_session_arena_bytes(session, nullptr, &reserved),
            ATTUNE_ERROR_INVALID_ARGUMENT);
  attune_session_destroy(session);
  attune_session_destroy(nullptr);
}

} // namespace
