#include "common/parallel/thread_pool.h"

#include <atomic>
#include <vector>

#include "gtest/gtest.h"

namespace parallel {
namespace {

TEST(ThreadPool, EveryTaskRunsExactlyOnce) {
  for (size_t threads : {1, 2, 3, 5}) {
    ThreadPool pool(threads);
    for (size_t n : {1, 2, 7, 64, 1000}) {
      std::vector<std::atomic<int>> runs(n);
      pool.ParallelFor("test.once", n, [&](size_t task, size_t thread) {
        EXPECT_LT(thread, pool.num_threads());
        runs[task].fetch_add(1);
      });
      for (size_t i = 0; i < n; ++i) ASSERT_EQ(runs[i].load(), 1) << "task " << i << " of " << n;
    }
  }
}

TEST(ThreadPool, CountsDispatchesAndTasksPerTag) {
  ThreadPool pool(2);
  for (int i = 0; i < 5; ++i) pool.ParallelFor("a", 3, [](size_t, size_t) {});
  pool.ParallelFor("b", 10, [](size_t, size_t) {});
  EXPECT_EQ(pool.Stats("a").dispatches, 5u);
  EXPECT_EQ(pool.Stats("a").tasks, 15u);
  EXPECT_EQ(pool.Stats("b").dispatches, 1u);
  EXPECT_EQ(pool.Stats("b").tasks, 10u);
  EXPECT_EQ(pool.Stats("never").dispatches, 0u);
  EXPECT_EQ(pool.AllStats().size(), 2u);
  pool.ResetStats();
  EXPECT_EQ(pool.Stats("a").dispatches, 0u);
}

TEST(ThreadPool, ZeroTasksIsNotADispatch) {
  ThreadPool pool(2);
  bool ran = false;
  pool.ParallelFor("zero", 0, [&](size_t, size_t) { ran = true; });
  EXPECT_FALSE(ran);
  EXPECT_EQ(pool.Stats("zero").dispatches, 0u);
}

TEST(ThreadPool, NestedCallsRunInlineAndAreCounted) {
  ThreadPool pool(2);
  std::atomic<int> inner_runs{0};
  pool.ParallelFor("outer", 4, [&](size_t, size_t) {
    pool.ParallelFor("inner", 3, [&](size_t, size_t) { inner_runs.fetch_add(1); });
  });
  EXPECT_EQ(inner_runs.load(), 12);
  EXPECT_EQ(pool.Stats("outer").dispatches, 1u);
  EXPECT_EQ(pool.Stats("inner").dispatches, 4u);
  EXPECT_EQ(pool.Stats("inner").tasks, 12u);
}

TEST(ThreadPool, WorkersReallyShareTheWork) {
  ThreadPool pool(2);
  std::atomic<int> seen_by_worker{0};
  // Each task waits until both threads have joined in, so one thread cannot
  // run them all; bounded so a broken pool fails instead of hanging.
  std::atomic<int> arrived{0};
  pool.ParallelFor("test.share", 2, [&](size_t, size_t thread) {
    arrived.fetch_add(1);
    for (int spin = 0; spin < 200000000 && arrived.load() < 2; ++spin) {
    }
    if (thread != 0) seen_by_worker.fetch_add(1);
  });
  EXPECT_EQ(arrived.load(), 2);
  EXPECT_EQ(seen_by_worker.load(), 1);
}

TEST(ThreadPool, RunOnEachThreadVisitsEveryThreadOnce) {
  for (size_t threads : {1, 2, 4}) {
    ThreadPool pool(threads);
    std::vector<std::atomic<int>> visits(threads);
    pool.RunOnEachThread("test.each", [&](size_t thread) { visits[thread].fetch_add(1); });
    for (size_t i = 0; i < threads; ++i) EXPECT_EQ(visits[i].load(), 1) << i;
    EXPECT_EQ(pool.Stats("test.each").dispatches, 1u);
    EXPECT_EQ(pool.Stats("test.each").tasks, threads);
  }
}

TEST(ThreadPool, SurvivesManyDispatchesAndSleeps) {
  ThreadPool pool(3);
  std::atomic<long> sum{0};
  for (int round = 0; round < 2000; ++round) {
    pool.ParallelFor("test.many", 4, [&](size_t task, size_t) { sum.fetch_add(task); });
  }
  EXPECT_EQ(sum.load(), 2000 * 6);
  std::this_thread::sleep_for(std::chrono::milliseconds(5));  // workers go to sleep
  pool.ParallelFor("test.many", 4, [&](size_t task, size_t) { sum.fetch_add(task); });
  EXPECT_EQ(sum.load(), 2001 * 6);
}

}  // namespace
}  // namespace parallel
