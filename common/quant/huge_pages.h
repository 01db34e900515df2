// How much of a range of this process's memory the kernel backs with
// transparent huge pages, read from /proc/self/smaps: a buffer advised as
// huge pages may still get 4 KiB ones (fragmented memory, THP off), which
// slows the streams that read it (weight_buffer.h).
#ifndef APR_COMMON_QUANT_HUGE_PAGES_H_
#define APR_COMMON_QUANT_HUGE_PAGES_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace quant {

struct MemorySpan {
  const void* data = nullptr;
  size_t bytes = 0;
};

// Bytes of the spans on huge pages, given smaps' text. A mapping reports its
// huge pages as one total, so a span that covers part of a mapping is
// credited its share of that total.
absl::StatusOr<size_t> HugePageBytesIn(absl::string_view smaps, const std::vector<MemorySpan>& spans);

// The same from this process's /proc/self/smaps; an error where there is none.
absl::StatusOr<size_t> HugePageBytes(const std::vector<MemorySpan>& spans);

// HugePageBytes over the spans' total bytes (0 for no bytes).
absl::StatusOr<double> HugePageShare(const std::vector<MemorySpan>& spans);

}  // namespace quant

#endif  // APR_COMMON_QUANT_HUGE_PAGES_H_
