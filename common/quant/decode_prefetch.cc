#include "common/quant/decode_prefetch.h"

#include <algorithm>

#include "common/cpu/cpu_features.h"

namespace quant {

namespace internal {
std::atomic<int64_t> decode_prefetch_bytes{kDefaultDecodePrefetchBytes};
// Set before main, in a file built for any x86-64: the kernels that read it
// are built for wider instruction sets and run only where the CPU has them.
const bool decode_prefetch_into_l1_and_l2 = cpu::GetCpuFeatures().vendor == "GenuineIntel";
}  // namespace internal

void SetDecodePrefetchBytes(int64_t bytes) {
  bytes = std::clamp(bytes, kMinDecodePrefetchBytes, kMaxDecodePrefetchBytes) / 64 * 64;
  internal::decode_prefetch_bytes.store(bytes, std::memory_order_relaxed);
}

}  // namespace quant
