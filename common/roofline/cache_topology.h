// The data caches the OS reports, read from sysfs.
//
//   auto levels = ReadCacheLevels("/sys/devices/system/cpu/cpu0/cache");
//   // {L1 32 KiB private, L2 1 MiB private, L3 32 MiB shared by 2 CPUs}
#ifndef APR_COMMON_ROOFLINE_CACHE_TOPOLOGY_H_
#define APR_COMMON_ROOFLINE_CACHE_TOPOLOGY_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace roofline {

struct CacheLevel {
  int level = 0;             // 1, 2, 3...
  uint64_t size_bytes = 0;   // one instance
  int shared_by_cpus = 1;    // CPUs sharing one instance
  std::string Name() const { return "L" + std::to_string(level); }
};

inline constexpr char kSysfsCacheDir[] = "/sys/devices/system/cpu/cpu0/cache";

// Data and unified caches under `dir` (index0, index1, ...), sorted by level.
// An error when the folder has no usable entry.
absl::StatusOr<std::vector<CacheLevel>> ReadCacheLevels(const std::string& dir);

// Parses sysfs's "32K", "1024K", "32M" forms.
absl::StatusOr<uint64_t> ParseCacheSize(const std::string& text);

// Counts CPUs in a list such as "0-3,8,10-11".
absl::StatusOr<int> CountCpuList(const std::string& text);

}  // namespace roofline

#endif  // APR_COMMON_ROOFLINE_CACHE_TOPOLOGY_H_
