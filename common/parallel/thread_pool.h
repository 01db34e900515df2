// A fork-join pool of persistent workers that counts what it does per caller.
//
// Every parallel loop names its call site with a tag; the pool counts, per
// tag, dispatches (fork-join rounds), tasks, and the time spent running tasks
// and waiting at the join. Section 13.5 counts FFN dispatches with it, and
// `apr roofline` measures what one empty dispatch costs.
//
//   ThreadPool pool(2);
//   pool.ParallelFor("ffn.gate_up", n_rows / 64, [&](size_t task, size_t thread) {
//     ComputeRows(task * 64, 64);
//   });
//   TagStats s = pool.Stats("ffn.gate_up");   // s.dispatches == 1, s.tasks == n_rows / 64
//
// The calling thread works too: a pool of N threads has N - 1 workers. Tasks
// are claimed one at a time from a shared counter, so each runs exactly once.
// A ParallelFor called from inside a task runs its tasks inline on that thread
// (and is counted as a dispatch of its own tag). Workers spin briefly after a
// dispatch, then sleep, so back-to-back dispatches cost well under a
// microsecond and an idle pool costs no CPU. Worker i is pinned to CPU i
// (modulo the CPUs this process may use) so per-thread caches stay warm.
#ifndef APR_COMMON_PARALLEL_THREAD_POOL_H_
#define APR_COMMON_PARALLEL_THREAD_POOL_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace parallel {

struct TagStats {
  uint64_t dispatches = 0;
  uint64_t tasks = 0;
  double run_seconds = 0;   // summed over threads: time inside tasks
  double wait_seconds = 0;  // time the caller waited at the join for workers
};

// Pins the calling thread to the index-th CPU this process may use (modulo
// their count); pool workers pin themselves to 1, 2, ... so a caller that
// works alongside them pins to 0. Returns false when it could not.
bool PinCurrentThreadToCpu(size_t index);

// Restores the calling thread's affinity when it goes out of scope.
class ScopedAffinity {
 public:
  ScopedAffinity();
  ~ScopedAffinity();
  ScopedAffinity(const ScopedAffinity&) = delete;
  ScopedAffinity& operator=(const ScopedAffinity&) = delete;

 private:
  alignas(8) unsigned char saved_[128];  // a cpu_set_t
  bool valid_;
};

class ThreadPool {
 public:
  using Task = std::function<void(size_t task, size_t thread)>;

  // `num_threads` >= 1 counts the calling thread.
  explicit ThreadPool(size_t num_threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  size_t num_threads() const { return workers_.size() + 1; }

  // Runs fn(task, thread) for task in [0, num_tasks) across the pool and
  // returns when all have finished. `tag` must outlive the pool (a literal).
  void ParallelFor(const char* tag, size_t num_tasks, const Task& fn);

  // Runs fn(thread) exactly once on each of the pool's threads (thread 0 is
  // the caller): for work bound to a thread's own data, such as a bandwidth
  // test over a per-thread buffer. Counted like a dispatch of num_threads tasks.
  void RunOnEachThread(const char* tag, const std::function<void(size_t thread)>& fn);

  TagStats Stats(const std::string& tag) const;
  std::map<std::string, TagStats> AllStats() const;
  void ResetStats();

 private:
  void WorkerLoop(size_t thread);
  void RunTasks(size_t thread, double* run_seconds);
  void Dispatch(const char* tag, size_t num_tasks, const Task& fn, bool one_per_thread);

  std::vector<std::thread> workers_;

  // The current job, published by bumping `epoch_`.
  const Task* job_ = nullptr;
  size_t job_tasks_ = 0;
  bool job_one_per_thread_ = false;
  std::atomic<size_t> next_task_{0};
  std::atomic<size_t> busy_workers_{0};
  std::atomic<uint64_t> epoch_{0};
  std::atomic<bool> stop_{false};
  std::atomic<int64_t> worker_run_ns_{0};
  std::mutex dispatch_mutex_;  // one dispatch at a time from outside the pool

  mutable std::mutex stats_mutex_;
  std::map<std::string, TagStats> stats_;
};

}  // namespace parallel

#endif  // APR_COMMON_PARALLEL_THREAD_POOL_H_
