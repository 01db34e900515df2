#include "common/roofline/cache_topology.h"

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace roofline {
namespace {

bool ReadLine(const std::filesystem::path& path, std::string* out) {
  std::ifstream in(path);
  if (!in || !std::getline(in, *out)) return false;
  *out = std::string(absl::StripAsciiWhitespace(*out));
  return true;
}

}  // namespace

absl::StatusOr<uint64_t> ParseCacheSize(const std::string& text) {
  std::string digits = text;
  uint64_t unit = 1;
  if (!digits.empty()) {
    switch (digits.back()) {
      case 'K': unit = 1ull << 10; digits.pop_back(); break;
      case 'M': unit = 1ull << 20; digits.pop_back(); break;
      case 'G': unit = 1ull << 30; digits.pop_back(); break;
      default: break;
    }
  }
  uint64_t value = 0;
  if (!absl::SimpleAtoi(digits, &value) || value == 0 || value > (1ull << 40) / unit) {
    return absl::InvalidArgumentError(absl::StrCat("cache size '", text, "' is not a size"));
  }
  return value * unit;
}

absl::StatusOr<int> CountCpuList(const std::string& text) {
  int count = 0;
  for (absl::string_view part : absl::StrSplit(text, ',', absl::SkipEmpty())) {
    std::vector<std::string> range = absl::StrSplit(part, '-');
    int lo = 0, hi = 0;
    if (range.size() == 1 && absl::SimpleAtoi(range[0], &lo)) {
      hi = lo;
    } else if (range.size() != 2 || !absl::SimpleAtoi(range[0], &lo) ||
               !absl::SimpleAtoi(range[1], &hi) || hi < lo || lo < 0) {
      return absl::InvalidArgumentError(absl::StrCat("cpu list '", text, "' is malformed"));
    }
    count += hi - lo + 1;
  }
  if (count == 0) return absl::InvalidArgumentError("empty cpu list");
  return count;
}

absl::StatusOr<std::vector<CacheLevel>> ReadCacheLevels(const std::string& dir) {
  std::vector<CacheLevel> levels;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(dir, error)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("index", 0) != 0) continue;
    std::string type, level_text, size_text, shared_text;
    if (!ReadLine(entry.path() / "type", &type) || type == "Instruction") continue;
    if (!ReadLine(entry.path() / "level", &level_text) ||
        !ReadLine(entry.path() / "size", &size_text)) {
      continue;
    }
    CacheLevel level;
    auto size = ParseCacheSize(size_text);
    if (!absl::SimpleAtoi(level_text, &level.level) || level.level < 1 || !size.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(entry.path().string(), ": level '", level_text, "' size '", size_text, "'"));
    }
    level.size_bytes = *size;
    if (ReadLine(entry.path() / "shared_cpu_list", &shared_text)) {
      auto shared = CountCpuList(shared_text);
      if (shared.ok()) level.shared_by_cpus = *shared;
    }
    levels.push_back(level);
  }
  if (error) return absl::NotFoundError(absl::StrCat(dir, ": ", error.message()));
  if (levels.empty()) return absl::NotFoundError(absl::StrCat(dir, ": no data caches listed"));
  std::sort(levels.begin(), levels.end(),
            [](const CacheLevel& a, const CacheLevel& b) { return a.level < b.level; });
  return levels;
}

}  // namespace roofline
