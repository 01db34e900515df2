// How far ahead of its reads decode's matrix-vector kernels ask for weight
// lines (software prefetch), in bytes. The best distance is a property of
// the machine, not the format: on an Intel Xeon with AMX it was 2 KiB
// (decode 1.35x as fast as at 4 KiB, 2026-12-06), on a Sapphire Rapids class
// Xeon 4 KiB, on AMD Zen 3-5 anything from 2 to 8 KiB alike while the
// read is slow, 8 KiB the fastest on Zen 5 while it is fast. So it is
// measured per process (decode_prefetch_tuning.h) and set here; the kernels
// read it once a pass over a row.
#ifndef APR_COMMON_QUANT_DECODE_PREFETCH_H_
#define APR_COMMON_QUANT_DECODE_PREFETCH_H_

#include <atomic>
#include <cstdint>

namespace quant {

inline constexpr int64_t kDefaultDecodePrefetchBytes = 4096;
inline constexpr int64_t kMinDecodePrefetchBytes = 512, kMaxDecodePrefetchBytes = 16384;

namespace internal {
extern std::atomic<int64_t> decode_prefetch_bytes;
extern const bool decode_prefetch_into_l1_and_l2;
}  // namespace internal

inline int64_t DecodePrefetchBytes() { return internal::decode_prefetch_bytes.load(std::memory_order_relaxed); }

// Whether decode prefetches into L1 and L2 (Intel's cores) rather than into
// L2 for long rows and around L1 for short ones (AMD's): measured per
// vendor, dot_kernels_x86_repacked.inc. A plain load, no first-call guard,
// so that no call sits in the kernels' block loops.
inline bool DecodePrefetchIntoL1AndL2() { return internal::decode_prefetch_into_l1_and_l2; }

// `bytes` rounded down to a whole number of cache lines and clamped to
// [kMinDecodePrefetchBytes, kMaxDecodePrefetchBytes]. Safe while kernels run
// (they read one value or the other per pass over a row).
void SetDecodePrefetchBytes(int64_t bytes);

}  // namespace quant

#endif  // APR_COMMON_QUANT_DECODE_PREFETCH_H_
