#include "common/model/memory_budget.h"

#include <algorithm>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace model {

absl::StatusOr<uint64_t> MemAvailableBytes(absl::string_view meminfo) {
  for (absl::string_view line : absl::StrSplit(meminfo, '\n')) {
    if (!absl::ConsumePrefix(&line, "MemAvailable:")) continue;
    line = absl::StripAsciiWhitespace(line);
    if (!absl::ConsumeSuffix(&line, "kB")) break;
    uint64_t kib = 0;
    if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(line), &kib)) break;
    return kib * 1024;
  }
  return absl::NotFoundError("no 'MemAvailable: N kB' line in /proc/meminfo");
}

uint64_t CopyBudgetFrom(uint64_t available) {
  const uint64_t reserve = std::max<uint64_t>(uint64_t{1} << 30, available / 8);
  return available > reserve ? available - reserve : 0;
}

uint64_t CopyBudgetBytes() {
  std::ifstream in("/proc/meminfo");
  std::stringstream text;
  text << in.rdbuf();
  auto available = MemAvailableBytes(text.str());
  return available.ok() ? CopyBudgetFrom(*available) : std::numeric_limits<uint64_t>::max();
}

}  // namespace model
