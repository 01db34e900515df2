// A machine's measured ceilings: what `apr roofline` measures, caches and
// prints, and what the cost model and the chapter read back.
//
//   absl::StatusOr<MachineProfile> p = LoadCachedProfile();
//   double dram = p->ReadGbps("DRAM", p->threads);        // GB/s, all threads
//   double ridge = p->PeakGops("int8_dot", p->threads) / dram;
#ifndef APR_COMMON_ROOFLINE_MACHINE_PROFILE_H_
#define APR_COMMON_ROOFLINE_MACHINE_PROFILE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/roofline/cache_topology.h"

namespace roofline {

struct BandwidthResult {
  std::string level;   // "L1", "L2", "L3", "DRAM"
  std::string kernel;  // "load", "write", "copy", "triad"
  int threads = 1;
  uint64_t working_set_bytes = 0;  // all threads together
  double best_gbps = 0;            // STREAM reports the best of its repetitions
  double median_gbps = 0;
};

struct ComputeResult {
  std::string kind;  // "fp32_fma", "int8_dot", "fp32_scalar"
  std::string isa;
  int threads = 1;
  double best_gops = 0;
  double median_gops = 0;
};

struct SweepPoint {
  uint64_t bytes = 0;  // working set, one thread, load kernel
  double gbps = 0;
};

// Whether the working-set sweep shows a plateau for a cache the OS reports.
struct LevelCheck {
  std::string level;
  uint64_t size_bytes = 0;
  double inside_gbps = 0;  // median of sweep points that fit in the level
  double beyond_gbps = 0;  // median of points past it
  bool confirmed = false;  // inside clearly faster than beyond
};

struct DispatchResult {
  int threads = 1;
  double median_us = 0;  // one empty fork-join ParallelFor
};

struct MachineProfile {
  std::string cpu;
  std::string vendor;
  int family = 0, model = 0;
  int threads = 1;
  double core_ghz = 0;         // from a dependent add chain
  std::string memory_isa;      // kernels used for bandwidth
  bool quick = false;
  std::string measured_at;     // ISO-8601 UTC
  std::vector<CacheLevel> caches;
  std::vector<BandwidthResult> bandwidth;
  std::vector<ComputeResult> compute;
  std::vector<SweepPoint> sweep;
  std::vector<LevelCheck> level_checks;
  std::vector<DispatchResult> dispatch;

  // Best GB/s of `kernel` at `level` with `threads`; 0 when not measured.
  double Gbps(const std::string& level, const std::string& kernel, int threads) const;
  double ReadGbps(const std::string& level, int threads) const { return Gbps(level, "load", threads); }
  // Best over the ISAs measured for `kind`; 0 when not measured.
  double PeakGops(const std::string& kind, int threads) const;
  std::string PeakIsa(const std::string& kind) const;
  double DispatchUs(int threads) const;
  // Raises the DRAM read ceiling at `threads` to `gbps` when that is higher,
  // returning whether it did. A ceiling is the best bandwidth seen, and a
  // VM's can change by half within seconds, so a figure measured moments ago
  // may beat the cached one; a roof below what ran under it would make every
  // op look faster than possible.
  bool RaiseDramRead(int threads, double gbps);
  // Memory levels measured, fastest first ("L1" ... "DRAM").
  std::vector<std::string> Levels() const;

  // The int8 figure this core should reach: clock x dot-product instructions
  // per cycle x 2 ops per pair. 0 when the microarchitecture is not known.
  double TheoreticalInt8Gops(int threads, std::string* assumption) const;
};

// JSON with the summary fields first (cpu, threads, dram_read_gbps, ...,
// dispatch_us, all at all threads), then the full detail.
std::string ProfileToJson(const MachineProfile& profile);
// Reads what ProfileToJson wrote; the file is input, so every field is checked.
absl::StatusOr<MachineProfile> ProfileFromJson(const std::string& json);

// This project's cache folder: $XDG_CACHE_HOME/apr, else ~/.cache/apr, else /tmp/apr.
std::string AprCacheDir();

// AprCacheDir()/machine-<threads>t.json.
std::string CachedProfilePath(int threads);
absl::StatusOr<MachineProfile> LoadProfileFile(const std::string& path);
absl::Status SaveProfileFile(const MachineProfile& profile, const std::string& path);

}  // namespace roofline

#endif  // APR_COMMON_ROOFLINE_MACHINE_PROFILE_H_
