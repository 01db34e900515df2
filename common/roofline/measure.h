// Measures a MachineProfile: bandwidth per memory level and kernel, compute
// peaks per instruction set, a working-set sweep that confirms the cache
// levels, and the thread pool's dispatch cost. Each for 1 thread and all.
//
//   MeasureOptions options;
//   options.progress = [](const std::string& what) { ... };
//   absl::StatusOr<MachineProfile> p = MeasureMachine(options);
#ifndef APR_COMMON_ROOFLINE_MEASURE_H_
#define APR_COMMON_ROOFLINE_MEASURE_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/roofline/machine_profile.h"

namespace roofline {

struct MeasureOptions {
  int threads = 0;      // 0: every CPU this process may use
  bool quick = false;   // small working sets, few repetitions (for tests)
  std::string sysfs_cache_dir = kSysfsCacheDir;
  std::function<void(const std::string&)> progress;  // called before each step
};

absl::StatusOr<MachineProfile> MeasureMachine(const MeasureOptions& options);

// The cached profile for this CPU and thread count when there is one (and
// `remeasure` is false); otherwise measures and caches it. Quick runs are
// never cached. `*from_cache` says which happened.
absl::StatusOr<MachineProfile> LoadOrMeasure(const MeasureOptions& options, bool remeasure,
                                             bool* from_cache = nullptr);

// DRAM read bandwidth now (load kernel, best of a few passes over a working
// set far beyond the caches), for ratios taken in the same run as what they
// compare. About a second; `quick` (tests, and runs under a sanitizer, whose
// timings are not enforced): a smaller set and fewer passes.
absl::StatusOr<double> MeasureDramReadGbps(int threads, bool quick = false,
                                           const std::string& sysfs_cache_dir = kSysfsCacheDir);

// Compares the sweep's plateaus with the levels the OS reports.
std::vector<LevelCheck> CheckLevels(const std::vector<CacheLevel>& caches,
                                    const std::vector<SweepPoint>& sweep);

// Working set used to measure `level` with `threads` threads (all together).
uint64_t LevelWorkingSet(const CacheLevel& level, int threads);
uint64_t DramWorkingSet(const std::vector<CacheLevel>& caches, bool quick);

}  // namespace roofline

#endif  // APR_COMMON_ROOFLINE_MEASURE_H_
