// Kernel-friendly layouts for Q4_K and Q6_K, made once at load time.
//
// The GGUF layouts keep each sub-block's weights together, so a SIMD dot
// product must apply a different scale every 16 or 32 weights. The repacked
// rows interleave the sub-blocks instead: in each 32-byte vector, 4-byte
// lane i holds 4 consecutive weights of sub-block i. A vpdpbusd then sums
// each sub-block in its own lane, and the scales are applied once per block
// as a vector multiply. A repacked row holds first every block's quants, then
// every block's scales, and starts on a 64-byte boundary, so no 32-byte load
// of quants splits a cache line. Same bytes per block as GGUF (144, 210).
//
//   Q4_K row of nb blocks:
//     quants[128 * nb]: per block vectors P_0..P_3; V_k = P_k & 0xF and
//       V_{k+4} = P_k >> 4, where byte 4i+b of V_k is weight 4k+b of sub-block i
//     meta[16 * nb]: per block scales[12], d, dmin as in GGUF
//   Q6_K row of nb blocks:
//     quants[192 * nb]: per block, for each half h, two vectors L_{h,0..1}
//       (low 4 bits of V_{h,m} | V_{h,m+2} << 4, where byte 4i+b of V_{h,k} is
//       weight 4k+b of group 8h+i), then per half one vector of the high 2
//       bits of V_{h,0..3} at bits 0, 2, 4, 6 (ql[128] then qh[64])
//     meta[18 * nb]: per block scales[16], d as in GGUF
//
// Activations pair with them as Q8_KI blocks: the same 8-bit values laid
// out to match (lane i = sub-block or group i), with the scale and the
// per-sub-block sums (times the scale) as floats.
#ifndef APR_COMMON_QUANT_REPACK_H_
#define APR_COMMON_QUANT_REPACK_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "common/quant/blocks.h"

namespace quant {

// 64-byte aligned, values first, so every 32-byte load of them stays inside
// one cache line.
struct alignas(64) BlockQ8_KI {
  int8_t qs[kQKK];
  float d;
  float sums[16];  // Q4_K: d x sum of each 32 (8 used); Q6_K: d x sum of each 16
};
static_assert(sizeof(BlockQ8_KI) == 384);

inline constexpr int kQ4KMetaBytes = 16;
inline constexpr int kQ6KMetaBytes = 18;

// One row of nb GGUF blocks into `dst` (144 * nb or 210 * nb bytes).
void RepackQ4_KRow(const BlockQ4_K* src, int64_t nb, uint8_t* dst);
void RepackQ6_KRow(const BlockQ6_K* src, int64_t nb, uint8_t* dst);

// Activations in the interleaved order of each repacked type.
void QuantizeQ8_KI32(const float* x, BlockQ8_KI* y, int64_t n);  // for repacked Q4_K
void QuantizeQ8_KI16(const float* x, BlockQ8_KI* y, int64_t n);  // for repacked Q6_K

}  // namespace quant

#endif  // APR_COMMON_QUANT_REPACK_H_
