#include "common/quant/decode_prefetch.h"

#include <algorithm>

namespace quant {

namespace internal {
std::atomic<int64_t> decode_prefetch_bytes{kDefaultDecodePrefetchBytes};
}  // namespace internal

void SetDecodePrefetchBytes(int64_t bytes) {
  bytes = std::clamp(bytes, kMinDecodePrefetchBytes, kMaxDecodePrefetchBytes) / 64 * 64;
  internal::decode_prefetch_bytes.store(bytes, std::memory_order_relaxed);
}

}  // namespace quant
