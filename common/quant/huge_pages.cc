#include "common/quant/huge_pages.h"

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace quant {
namespace {

// "7f00a0000000-7f00a4000000 rw-p ..." -> the range; false for other lines.
bool ParseMappingLine(absl::string_view line, uintptr_t* begin, uintptr_t* end) {
  const size_t dash = line.find('-'), space = line.find(' ');
  if (dash == absl::string_view::npos || space == absl::string_view::npos || dash > space) return false;
  return absl::SimpleHexAtoi(line.substr(0, dash), begin) &&
         absl::SimpleHexAtoi(line.substr(dash + 1, space - dash - 1), end) && *end > *begin;
}

}  // namespace

absl::StatusOr<size_t> HugePageBytesIn(absl::string_view smaps, const std::vector<MemorySpan>& spans) {
  uintptr_t begin = 0, end = 0;
  bool in_mapping = false;
  double total = 0;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(smaps, '\n')) {
    ++line_number;
    uintptr_t b, e;
    if (ParseMappingLine(line, &b, &e)) {
      begin = b, end = e, in_mapping = true;
      continue;
    }
    if (!absl::ConsumePrefix(&line, "AnonHugePages:")) continue;
    if (!in_mapping) return absl::InvalidArgumentError(absl::StrCat("smaps line ", line_number, ": no mapping above"));
    line = absl::StripAsciiWhitespace(line);
    if (!absl::ConsumeSuffix(&line, " kB")) {
      return absl::InvalidArgumentError(absl::StrCat("smaps line ", line_number, ": AnonHugePages not in kB"));
    }
    uint64_t kb = 0;
    if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(line), &kb)) {
      return absl::InvalidArgumentError(absl::StrCat("smaps line ", line_number, ": AnonHugePages not a number"));
    }
    for (const MemorySpan& s : spans) {
      const uintptr_t sb = reinterpret_cast<uintptr_t>(s.data), se = sb + s.bytes;
      const uintptr_t lo = std::max(sb, begin), hi = std::min(se, end);
      if (hi > lo) total += double(kb) * 1024.0 * double(hi - lo) / double(end - begin);
    }
  }
  return static_cast<size_t>(total);
}

absl::StatusOr<size_t> HugePageBytes(const std::vector<MemorySpan>& spans) {
  std::ifstream in("/proc/self/smaps");
  if (!in) return absl::UnavailableError("/proc/self/smaps: cannot read it (not Linux?)");
  std::stringstream text;
  text << in.rdbuf();
  return HugePageBytesIn(text.str(), spans);
}

absl::StatusOr<double> HugePageShare(const std::vector<MemorySpan>& spans) {
  size_t total = 0;
  for (const MemorySpan& s : spans) total += s.bytes;
  auto huge = HugePageBytes(spans);
  if (!huge.ok()) return huge.status();
  return total > 0 ? double(*huge) / double(total) : 0.0;
}

}  // namespace quant
