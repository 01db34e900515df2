#include "common/roofline/measure.h"

#include <sys/mman.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <memory>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/types/span.h"
#include "common/cpu/cpu_features.h"
#include "common/parallel/thread_pool.h"
#include "common/roofline/roofline_kernels.h"
#include "common/stats/median.h"

namespace roofline {
namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

volatile float g_sink;

// Page-aligned memory, huge pages requested for large buffers (fewer TLB
// misses, as likwid-bench and STREAM get from the kernel's default THP).
struct Buffer {
  float* data = nullptr;
  size_t bytes = 0;
  explicit Buffer(size_t n_bytes) : bytes(n_bytes) {
    const size_t align = bytes >= (8u << 20) ? (2u << 20) : 4096;
    bytes = (bytes + align - 1) / align * align;
    data = static_cast<float*>(std::aligned_alloc(align, bytes));
    if (data && bytes >= (8u << 20)) madvise(data, bytes, MADV_HUGEPAGE);
  }
  ~Buffer() { std::free(data); }
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
};

struct Sampling {
  int samples;
  double target_seconds;  // per sample
};

Sampling SamplingFor(bool quick) { return quick ? Sampling{3, 0.002} : Sampling{7, 0.010}; }

// Runs `kernel` over per-thread arrays of `n` floats; returns GB/s samples.
std::vector<double> TimeMemoryKernel(parallel::ThreadPool& pool, const MemoryKernelSet& k,
                                     MemoryKernel kernel, std::vector<std::unique_ptr<Buffer>>& bufs,
                                     size_t n, const Sampling& sampling) {
  const int threads = static_cast<int>(pool.num_threads());
  const double pass_bytes = double(StreamBytes(kernel, n));
  size_t passes = 1;
  auto run = [&](size_t thread) {
    float* a = bufs[thread]->data;
    float* b = a + n;
    float* c = b + n;
    float sum = 0;
    for (size_t p = 0; p < passes; ++p) {
      switch (kernel) {
        case MemoryKernel::kLoad: sum += k.load(a, n); break;
        case MemoryKernel::kWrite: k.write(a, n, float(p)); break;
        case MemoryKernel::kCopy: k.copy(a, b, n); break;
        case MemoryKernel::kTriad: k.triad(a, b, c, 0.5f, n); break;
      }
    }
    g_sink = sum;
  };
  pool.RunOnEachThread("roofline.bandwidth", run);  // warm-up: pages, caches
  // Grow the passes until one sample takes a good part of the target time, so
  // the fork-join around it (and a sleeping worker's wake-up) stays negligible.
  for (double t = 0; passes < (size_t(1) << 30);) {
    const Clock::time_point calibrate = Clock::now();
    pool.RunOnEachThread("roofline.bandwidth", run);
    t = Seconds(calibrate);
    if (t >= sampling.target_seconds / 4) {
      passes = std::max<size_t>(1, static_cast<size_t>(passes * sampling.target_seconds / t));
      break;
    }
    passes *= 4;
  }
  std::vector<double> gbps;
  for (int s = 0; s < sampling.samples; ++s) {
    const Clock::time_point start = Clock::now();
    pool.RunOnEachThread("roofline.bandwidth", run);
    gbps.push_back(threads * passes * pass_bytes / Seconds(start) / 1e9);
  }
  return gbps;
}

// Allocates and first-touches (on the thread that will use it) one buffer
// per thread of `bytes_per_thread`.
std::vector<std::unique_ptr<Buffer>> ThreadBuffers(parallel::ThreadPool& pool,
                                                   size_t bytes_per_thread) {
  std::vector<std::unique_ptr<Buffer>> bufs(pool.num_threads());
  pool.RunOnEachThread("roofline.alloc", [&](size_t thread) {
    bufs[thread] = std::make_unique<Buffer>(bytes_per_thread);
    if (bufs[thread]->data) {
      float* d = bufs[thread]->data;
      const size_t n = bufs[thread]->bytes / sizeof(float);
      for (size_t i = 0; i < n; ++i) d[i] = 1.0f + (i & 7) * 0.125f;
    }
  });
  return bufs;
}

absl::Status MeasureLevel(parallel::ThreadPool& pool, const std::string& level,
                          uint64_t working_set, const Sampling& sampling,
                          absl::Span<const MemoryKernel> kernels, std::vector<BandwidthResult>* out) {
  const int threads = static_cast<int>(pool.num_threads());
  const size_t per_thread = working_set / threads;
  auto bufs = ThreadBuffers(pool, per_thread);
  for (const auto& b : bufs) {
    if (!b->data) {
      return absl::ResourceExhaustedError(
          absl::StrCat("cannot allocate ", per_thread, " bytes to measure ", level));
    }
  }
  const MemoryKernelSet& k = BestMemoryKernels();
  for (MemoryKernel kernel : kernels) {
    // Each kernel's arrays fill the same working set.
    const size_t n = per_thread / (sizeof(float) * StreamArrays(kernel)) / 64 * 64;
    if (n == 0) continue;
    std::vector<double> gbps = TimeMemoryKernel(pool, k, kernel, bufs, n, sampling);
    out->push_back({level, MemoryKernelName(kernel), threads,
                    uint64_t(n) * sizeof(float) * StreamArrays(kernel) * threads,
                    *std::max_element(gbps.begin(), gbps.end()), stats::Median(gbps)});
  }
  return absl::OkStatus();
}

std::vector<ComputeResult> MeasureCompute(parallel::ThreadPool& pool, const Sampling& sampling) {
  const int threads = static_cast<int>(pool.num_threads());
  std::vector<ComputeResult> results;
  for (const ComputeLoop& loop : AvailableComputeLoops()) {
    // Calibrate iterations to the target time on one thread.
    uint64_t iterations = 1000;
    while (true) {
      const Clock::time_point start = Clock::now();
      g_sink = loop.run(iterations);
      const double t = Seconds(start);
      if (t >= sampling.target_seconds * 0.5 || iterations > (1ull << 40)) {
        iterations = std::max<uint64_t>(1000, iterations * (sampling.target_seconds / std::max(t, 1e-9)));
        break;
      }
      iterations *= 4;
    }
    auto run = [&](size_t) { g_sink = loop.run(iterations); };
    pool.RunOnEachThread("roofline.compute", run);  // warm-up: clocks settle
    std::vector<double> gops;
    for (int s = 0; s < sampling.samples; ++s) {
      const Clock::time_point start = Clock::now();
      pool.RunOnEachThread("roofline.compute", run);
      gops.push_back(threads * iterations * loop.ops_per_iteration / Seconds(start) / 1e9);
    }
    results.push_back({loop.kind, loop.isa, threads, *std::max_element(gops.begin(), gops.end()),
                       stats::Median(gops)});
  }
  return results;
}

double MeasureDispatchUs(int threads, bool quick) {
  parallel::ThreadPool pool(threads);
  const int per_batch = quick ? 500 : 5000;
  auto empty = [](size_t, size_t) {};
  for (int i = 0; i < per_batch; ++i) pool.ParallelFor("roofline.dispatch", threads, empty);
  std::vector<double> us;
  for (int batch = 0; batch < 7; ++batch) {
    const Clock::time_point start = Clock::now();
    for (int i = 0; i < per_batch; ++i) pool.ParallelFor("roofline.dispatch", threads, empty);
    us.push_back(Seconds(start) / per_batch * 1e6);
  }
  return stats::Median(us);
}

std::vector<SweepPoint> Sweep(const std::vector<CacheLevel>& caches, bool quick) {
  parallel::ThreadPool pool(1);
  const Sampling sampling{3, quick ? 0.001 : 0.004};
  const uint64_t largest = caches.empty() ? (32u << 20) : caches.back().size_bytes;
  const uint64_t top = std::min<uint64_t>(largest * 4, quick ? (64u << 20) : (512u << 20));
  std::vector<SweepPoint> points;
  for (uint64_t bytes = 4096; bytes <= top; bytes *= quick ? 4 : 2) {
    auto bufs = ThreadBuffers(pool, bytes);
    if (!bufs[0]->data) break;
    const size_t n = bytes / sizeof(float) / 64 * 64;
    std::vector<double> gbps =
        TimeMemoryKernel(pool, BestMemoryKernels(), MemoryKernel::kLoad, bufs, n, sampling);
    points.push_back({bytes, *std::max_element(gbps.begin(), gbps.end())});
  }
  return points;
}

std::string NowUtc() {
  std::time_t now = std::time(nullptr);
  char text[32];
  std::strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
  return text;
}

}  // namespace

uint64_t LevelWorkingSet(const CacheLevel& level, int threads) {
  // Half the cache: room for the code, the stack and the other arrays.
  // A private cache is used by each thread; a shared one by all together.
  const uint64_t half = level.size_bytes / 2;
  return level.shared_by_cpus <= 1 ? half * threads : half;
}

uint64_t DramWorkingSet(const std::vector<CacheLevel>& caches, bool quick) {
  const uint64_t last = caches.empty() ? (32u << 20) : caches.back().size_bytes;
  const uint64_t floor = quick ? (64u << 20) : (1024u << 20);
  return std::max<uint64_t>(floor, last * (quick ? 4 : 8));
}

std::vector<LevelCheck> CheckLevels(const std::vector<CacheLevel>& caches,
                                    const std::vector<SweepPoint>& sweep) {
  std::vector<LevelCheck> checks;
  for (size_t i = 0; i < caches.size(); ++i) {
    const uint64_t size = caches[i].size_bytes;
    const uint64_t below = i == 0 ? 0 : caches[i - 1].size_bytes * 2;
    const uint64_t above = i + 1 < caches.size() ? caches[i + 1].size_bytes / 2 : UINT64_MAX;
    std::vector<double> inside, beyond;
    for (const SweepPoint& p : sweep) {
      if (p.bytes > below && p.bytes <= size / 2) inside.push_back(p.gbps);
      if (p.bytes >= size * 2 && p.bytes <= above) beyond.push_back(p.gbps);
    }
    LevelCheck check{caches[i].Name(), size, stats::Median(inside), stats::Median(beyond), false};
    check.confirmed = !inside.empty() && !beyond.empty() && check.inside_gbps > 1.1 * check.beyond_gbps;
    checks.push_back(check);
  }
  return checks;
}

absl::StatusOr<MachineProfile> MeasureMachine(const MeasureOptions& options) {
  auto progress = [&](const std::string& what) {
    if (options.progress) options.progress(what);
  };
  MachineProfile p;
  const cpu::CpuFeatures& f = cpu::GetCpuFeatures();
  p.cpu = f.model_name;
  p.vendor = f.vendor;
  p.family = f.family;
  p.model = f.model;
  p.threads = options.threads > 0 ? options.threads : cpu::AvailableCpus();
  p.quick = options.quick;
  p.memory_isa = BestMemoryKernels().isa;
  p.measured_at = NowUtc();
  auto caches = ReadCacheLevels(options.sysfs_cache_dir);
  if (!caches.ok()) return caches.status();
  p.caches = *caches;
  const Sampling sampling = SamplingFor(options.quick);
  // The caller works beside the pool's workers (pinned to CPUs 1, 2, ...):
  // keep it on CPU 0 so two threads never share one CPU.
  parallel::ScopedAffinity restore_affinity;
  parallel::PinCurrentThreadToCpu(0);

  progress("core clock");
  p.core_ghz = MeasureCoreHz() / 1e9;

  std::vector<int> thread_counts = {1};
  if (p.threads > 1) thread_counts.push_back(p.threads);
  for (int threads : thread_counts) {
    parallel::ThreadPool pool(threads);
    for (const CacheLevel& level : p.caches) {
      progress(absl::StrFormat("%s bandwidth, %d thread(s)", level.Name(), threads));
      if (auto s = MeasureLevel(pool, level.Name(), LevelWorkingSet(level, threads), sampling,
                                kAllMemoryKernels, &p.bandwidth);
          !s.ok()) {
        return s;
      }
    }
    progress(absl::StrFormat("DRAM bandwidth, %d thread(s)", threads));
    if (auto s = MeasureLevel(pool, "DRAM", DramWorkingSet(p.caches, options.quick), sampling,
                              kAllMemoryKernels, &p.bandwidth);
        !s.ok()) {
      return s;
    }
    progress(absl::StrFormat("compute peaks, %d thread(s)", threads));
    for (const ComputeResult& r : MeasureCompute(pool, sampling)) p.compute.push_back(r);
  }
  progress("working-set sweep");
  p.sweep = Sweep(p.caches, options.quick);
  p.level_checks = CheckLevels(p.caches, p.sweep);
  progress("dispatch cost");
  for (int threads = 1; threads <= p.threads; ++threads) {
    p.dispatch.push_back({threads, MeasureDispatchUs(threads, options.quick)});
  }
  return p;
}

absl::StatusOr<double> MeasureDramReadGbps(int threads, bool quick, const std::string& sysfs_cache_dir) {
  auto caches = ReadCacheLevels(sysfs_cache_dir);
  const std::vector<CacheLevel> levels = caches.ok() ? *caches : std::vector<CacheLevel>{};
  parallel::ThreadPool pool(threads);
  parallel::ScopedAffinity restore_affinity;
  parallel::PinCurrentThreadToCpu(0);
  std::vector<BandwidthResult> results;
  const uint64_t set = std::max<uint64_t>(quick ? 0 : 512u << 20, DramWorkingSet(levels, /*quick=*/true));
  // Only the load kernel: write, copy and triad would triple the time.
  if (auto s = MeasureLevel(pool, "DRAM", set, SamplingFor(quick), {MemoryKernel::kLoad}, &results); !s.ok()) {
    return s;
  }
  if (results.empty()) return absl::InternalError("no DRAM load measurement");
  return results.front().best_gbps;
}

absl::StatusOr<MachineProfile> LoadOrMeasure(const MeasureOptions& options, bool remeasure,
                                             bool* from_cache) {
  const int threads = options.threads > 0 ? options.threads : cpu::AvailableCpus();
  const std::string path = CachedProfilePath(threads);
  if (from_cache) *from_cache = false;
  if (!remeasure && !options.quick) {
    auto cached = LoadProfileFile(path);
    // A profile written before a compute loop was added lacks its peak.
    auto holds_every_loop = [](const MachineProfile& p) {
      for (const ComputeLoop& loop : AvailableComputeLoops()) {
        if (p.PeakGops(loop.kind, p.threads) <= 0) return false;
      }
      return true;
    };
    if (cached.ok() && cached->cpu == cpu::GetCpuFeatures().model_name &&
        cached->threads == threads && !cached->quick && holds_every_loop(*cached)) {
      if (from_cache) *from_cache = true;
      return cached;
    }
  }
  MeasureOptions with_threads = options;
  with_threads.threads = threads;
  auto measured = MeasureMachine(with_threads);
  if (measured.ok() && !options.quick) {
    // A cache that cannot be written only costs a later re-measurement.
    (void)SaveProfileFile(*measured, path);
  }
  return measured;
}

}  // namespace roofline
