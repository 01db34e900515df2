#include "common/parallel/thread_pool.h"

#include <sched.h>

#include <chrono>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace parallel {
namespace {

using Clock = std::chrono::steady_clock;

thread_local bool tls_inside_pool_task = false;

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

inline void CpuRelax() {
#if defined(__x86_64__)
  _mm_pause();
#endif
}

// How long a worker spins for the next dispatch before it sleeps.
constexpr auto kSpinBeforeSleep = std::chrono::microseconds(200);

// The CPUs this process may use, as they were before anything was pinned.
const cpu_set_t& ProcessCpus() {
  static const cpu_set_t cpus = [] {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof(set), &set) != 0) CPU_ZERO(&set);
    return set;
  }();
  return cpus;
}

}  // namespace

bool PinCurrentThreadToCpu(size_t index) {
  const cpu_set_t& allowed = ProcessCpus();
  const int count = CPU_COUNT(&allowed);
  if (count <= 1) return false;
  int wanted = static_cast<int>(index % count);
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (CPU_ISSET(cpu, &allowed) && wanted-- == 0) {
      cpu_set_t one;
      CPU_ZERO(&one);
      CPU_SET(cpu, &one);
      return sched_setaffinity(0, sizeof(one), &one) == 0;
    }
  }
  return false;
}

static_assert(sizeof(cpu_set_t) <= 128, "ScopedAffinity's buffer is too small");

ScopedAffinity::ScopedAffinity()
    : valid_(sched_getaffinity(0, sizeof(cpu_set_t), reinterpret_cast<cpu_set_t*>(saved_)) == 0) {}

ScopedAffinity::~ScopedAffinity() {
  if (valid_) sched_setaffinity(0, sizeof(cpu_set_t), reinterpret_cast<cpu_set_t*>(saved_));
}

ThreadPool::ThreadPool(size_t num_threads) {
  (void)ProcessCpus();  // snapshot before any worker pins itself
  const size_t workers = num_threads > 1 ? num_threads - 1 : 0;
  workers_.reserve(workers);
  for (size_t i = 0; i < workers; ++i) {
    workers_.emplace_back([this, i] { WorkerLoop(i + 1); });
  }
}

ThreadPool::~ThreadPool() {
  stop_.store(true);
  epoch_.fetch_add(1);
  epoch_.notify_all();
  for (std::thread& t : workers_) t.join();
}

void ThreadPool::RunTasks(size_t thread, double* run_seconds) {
  const Clock::time_point start = Clock::now();
  const bool was_inside = tls_inside_pool_task;
  tls_inside_pool_task = true;
  if (job_one_per_thread_) {
    (*job_)(thread, thread);
  } else {
    for (size_t task = next_task_.fetch_add(1); task < job_tasks_;
         task = next_task_.fetch_add(1)) {
      (*job_)(task, thread);
    }
  }
  tls_inside_pool_task = was_inside;
  *run_seconds = SecondsSince(start);
}

void ThreadPool::WorkerLoop(size_t thread) {
  PinCurrentThreadToCpu(thread);
  uint64_t seen = 0;
  while (true) {
    // Spin, then sleep until the epoch moves.
    const Clock::time_point spin_start = Clock::now();
    uint64_t epoch;
    while ((epoch = epoch_.load(std::memory_order_acquire)) == seen) {
      if (Clock::now() - spin_start > kSpinBeforeSleep) {
        epoch_.wait(seen, std::memory_order_acquire);
      } else {
        CpuRelax();
      }
    }
    seen = epoch;
    if (stop_.load()) return;
    double run = 0;
    RunTasks(thread, &run);
    worker_run_ns_.fetch_add(static_cast<int64_t>(run * 1e9));
    busy_workers_.fetch_sub(1, std::memory_order_release);
  }
}

void ThreadPool::ParallelFor(const char* tag, size_t num_tasks, const Task& fn) {
  Dispatch(tag, num_tasks, fn, /*one_per_thread=*/false);
}

void ThreadPool::RunOnEachThread(const char* tag, const std::function<void(size_t)>& fn) {
  Dispatch(tag, num_threads(), [&fn](size_t, size_t thread) { fn(thread); },
           /*one_per_thread=*/true);
}

void ThreadPool::Dispatch(const char* tag, size_t num_tasks, const Task& fn,
                          bool one_per_thread) {
  if (num_tasks == 0) return;
  double run = 0, wait = 0;
  if (tls_inside_pool_task || workers_.empty() || (num_tasks == 1 && !one_per_thread)) {
    // Inline: nested calls, a one-thread pool, or nothing to share.
    const Clock::time_point start = Clock::now();
    for (size_t task = 0; task < num_tasks; ++task) fn(task, one_per_thread ? task : 0);
    run = SecondsSince(start);
  } else {
    std::lock_guard<std::mutex> lock(dispatch_mutex_);
    job_ = &fn;
    job_tasks_ = num_tasks;
    job_one_per_thread_ = one_per_thread;
    next_task_.store(0, std::memory_order_relaxed);
    worker_run_ns_.store(0, std::memory_order_relaxed);
    busy_workers_.store(workers_.size(), std::memory_order_relaxed);
    epoch_.fetch_add(1, std::memory_order_release);
    epoch_.notify_all();
    RunTasks(0, &run);
    const Clock::time_point join_start = Clock::now();
    while (busy_workers_.load(std::memory_order_acquire) != 0) CpuRelax();
    wait = SecondsSince(join_start);
    run += worker_run_ns_.load() * 1e-9;
    job_ = nullptr;
  }
  std::lock_guard<std::mutex> lock(stats_mutex_);
  TagStats& s = stats_[tag];
  s.dispatches += 1;
  s.tasks += num_tasks;
  s.run_seconds += run;
  s.wait_seconds += wait;
}

TagStats ThreadPool::Stats(const std::string& tag) const {
  std::lock_guard<std::mutex> lock(stats_mutex_);
  auto it = stats_.find(tag);
  return it == stats_.end() ? TagStats{} : it->second;
}

std::map<std::string, TagStats> ThreadPool::AllStats() const {
  std::lock_guard<std::mutex> lock(stats_mutex_);
  return stats_;
}

void ThreadPool::ResetStats() {
  std::lock_guard<std::mutex> lock(stats_mutex_);
  stats_.clear();
}

}  // namespace parallel
