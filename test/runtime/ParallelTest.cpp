// Tests the runtime's thread pool (runtime/src/parallel.c): every task of a range runs exactly
// once whatever the thread count, ranges run from inside a task and from several application
// threads at once complete and share the pool's free threads, and thread counts are validated
// and take effect while the pool is busy.
extern "C" {
#include "internal.h"
}

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

namespace {

struct Counts {
  std::vector<std::atomic<int>> hits;
  explicit Counts(size_t n) : hits(n) {}
};

void countTasks(void *ctx, int64_t begin, int64_t end) {
  auto *counts = static_cast<Counts *>(ctx);
  for (int64_t t = begin; t < end; ++t)
    counts->hits[t].fetch_add(1);
}

void expectEachOnce(const Counts &counts, int64_t begin, int64_t end) {
  for (int64_t t = 0; t < static_cast<int64_t>(counts.hits.size()); ++t)
    EXPECT_EQ(counts.hits[t].load(), t >= begin && t < end ? 1 : 0) << "task " << t;
}

class ParallelTest : public ::testing::Test {
protected:
  void TearDown() override { ASSERT_EQ(attune_set_num_threads(1), ATTUNE_OK); }
};

TEST_F(ParallelTest, EveryTaskRunsOnceForAnyThreadCount) {
  for (int threads : {1, 2, 3, 8}) {
    ASSERT_EQ(attune_set_num_threads(threads), ATTUNE_OK);
    EXPECT_EQ(attune_get_num_threads(), threads);
    for (int round = 0; round < 20; ++round) {
      Counts counts(1000);
      attune_parallel_for(countTasks, &counts, 3, 997);
      expectEachOnce(counts, 3, 997);
    }
  }
}

TEST_F(ParallelTest, EmptyAndSingleRanges) {
  ASSERT_EQ(attune_set_num_threads(4), ATTUNE_OK);
  Counts counts(4);
  attune_parallel_for(countTasks, &counts, 2, 2);
  expectEachOnce(counts, 2, 2);
  attune_parallel_for(countTasks, &counts, 1, 2);
  expectEachOnce(counts, 1, 2);
}

struct Nested {
  Counts inner{64 * 16};
};

void runInner(void *ctx, int64_t begin, int64_t end) {
  auto *nested = static_cast<Nested *>(ctx);
  for (int64_t t = begin; t < end; ++t) {
    // A range started from inside a task runs on that thread, to completion.
    struct Slice {
      Counts *counts;
      int64_t base;
    } slice{&nested->inner, t * 16};
    attune_parallel_for(
        [](void *c, int64_t b, int64_t e) {
          auto *s = static_cast<Slice *>(c);
          for (int64_t i = b; i < e; ++i)
            s->counts->hits[s->base + i].fetch_add(1);
        },
        &slice, 0, 16);
  }
}

TEST_F(ParallelTest, NestedRangesComplete) {
  ASSERT_EQ(attune_set_num_threads(3), ATTUNE_OK);
  Nested nested;
  attune_parallel_for(runInner, &nested, 0, 64);
  expectEachOnce(nested.inner, 0, 64 * 16);
}

TEST_F(ParallelTest, ConcurrentCallersComplete) {
  ASSERT_EQ(attune_set_num_threads(2), ATTUNE_OK);
  std::vector<Counts> counts;
  counts.reserve(4);
  for (int i = 0; i < 4; ++i)
    counts.emplace_back(500);
  std::vector<std::thread> callers;
  for (int i = 0; i < 4; ++i)
    callers.emplace_back([&, i] {
      for (int round = 0; round < 10; ++round)
        attune_parallel_for(countTasks, &counts[i], 0, 50 * (round + 1));
    });
  for (std::thread &caller : callers)
    caller.join();
  for (int i = 0; i < 4; ++i)
    for (int64_t t = 0; t < 500; ++t)
      EXPECT_EQ(counts[i].hits[t].load(), 10 - t / 50) << "caller " << i << " task " << t;
}

/// A job whose first task holds its caller until a second caller's job is done, and the
/// thread ids that ran the second job's tasks.
struct Overlap {
  std::atomic<bool> secondDone{false};
  std::mutex lock;
  std::set<std::thread::id> secondThreads;
  /// Until then, each of the second job's tasks waits for a second thread to join it (so a
  /// loaded machine's slow wake-ups do not fail the test; a pool that never shares gives up
  /// at the deadline).
  std::chrono::steady_clock::time_point deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(5);
};

void holdUntilSecondDone(void *ctx, int64_t begin, int64_t) {
  auto *overlap = static_cast<Overlap *>(ctx);
  if (begin != 0)
    return;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!overlap->secondDone.load() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::microseconds(100));
}

void recordThread(void *ctx, int64_t, int64_t) {
  auto *overlap = static_cast<Overlap *>(ctx);
  for (bool first = true;; first = false) {
    {
      std::lock_guard<std::mutex> guard(overlap->lock);
      if (first)
        overlap->secondThreads.insert(std::this_thread::get_id());
      if (overlap->secondThreads.size() >= 2)
        return;
    }
    if (std::chrono::steady_clock::now() >= overlap->deadline)
      return;
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
}

TEST_F(ParallelTest, SecondCallerGetsFreeThreadsWhileAJobIsInFlight) {
  // 4 threads: the first caller's thread sits in its job's first task, the rest of that job
  // is done at once, so the pool's workers are free while it is still in flight. The second
  // caller's 40 tasks must be shared with them, not run on its own thread alone.
  ASSERT_EQ(attune_set_num_threads(4), ATTUNE_OK);
  Overlap overlap;
  std::thread first([&] { attune_parallel_for(holdUntilSecondDone, &overlap, 0, 8); });
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  attune_parallel_for(recordThread, &overlap, 0, 40);
  overlap.secondDone = true;
  first.join();
  EXPECT_GE(overlap.secondThreads.size(), 2u)
      << "the second caller ran its tasks alone while the first job was in flight";
}

TEST_F(ParallelTest, ThreadCountChangesWhileCallersKeepThePoolBusy) {
  ASSERT_EQ(attune_set_num_threads(2), ATTUNE_OK);
  std::atomic<bool> stop{false};
  std::vector<std::thread> callers;
  for (int i = 0; i < 3; ++i)
    callers.emplace_back([&] {
      Counts counts(64);
      while (!stop.load())
        attune_parallel_for(countTasks, &counts, 0, 64);
    });
  for (int threads : {3, 1, 4, 2}) {
    ASSERT_EQ(attune_set_num_threads(threads), ATTUNE_OK);
    Counts counts(300);
    attune_parallel_for(countTasks, &counts, 0, 300);
    expectEachOnce(counts, 0, 300);
  }
  stop = true;
  for (std::thread &caller : callers)
    caller.join();
}

TEST_F(ParallelTest, RejectsBadThreadCounts) {
  ASSERT_EQ(attune_set_num_threads(2), ATTUNE_OK);
  EXPECT_EQ(attune_set_num_threads(0), ATTUNE_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(attune_last_error()).find("expected 1 to 256"), std::string::npos);
  EXPECT_EQ(attune_set_num_threads(-3), ATTUNE_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(attune_set_num_threads(100000), ATTUNE_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(attune_get_num_threads(), 2);
}

} // namespace
