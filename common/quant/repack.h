// Kernel-friendly layouts for Q4_K and Q6_K, made once at load time.
//
// The GGUF layouts keep each sub-block's weights together, so a SIMD dot
// product must apply a different scale every 16 or 32 weights. The repacked
// rows interleave the sub-blocks instead: in each 32-byte vector, 4-byte
// lane i holds 4 consecutive weights of sub-block i. A vpdpbusd then sums
// each sub-block in its own lane, and the scales are applied once per block
// as a vector multiply. A repacked row holds first every block's scales
// (padded to a multiple of 64 bytes), then every block's quants, and starts on
// a 64-byte boundary, so no 32-byte load of quants splits a cache line. With
// the scales first, a row is read front to back: while a long row's quants
// stream, prefetching ahead reaches the next row's scales before they are
// needed.
//
//   Q4_K row of nb blocks:
//     meta[Q4KMetaRegion(nb)]: per block scales[12], d, dmin as in GGUF
//     quants[128 * nb]: per block vectors P_0..P_3; V_k = P_k & 0xF and
//       V_{k+4} = P_k >> 4, where byte 4i+b of V_k is weight 4k+b of sub-block i
//   Q6_K row of nb blocks:
//     meta[Q6KMetaRegion(nb)]: per block scales[16], d as in GGUF
//     quants[192 * nb]: per block, for each half h, two vectors L_{h,0..1}
//       (low 4 bits of V_{h,m} | V_{h,m+2} << 4, where byte 4i+b of V_{h,k} is
//       weight 4k+b of group 8h+i), then per half one vector of the high 2
//       bits of V_{h,0..3} at bits 0, 2, 4, 6 (ql[128] then qh[64])
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
inline constexpr int64_t Q4KMetaRegion(int64_t nb) { return (kQ4KMetaBytes * nb + 63) / 64 * 64; }
inline constexpr int64_t Q6KMetaRegion(int64_t nb) { return (kQ6KMetaBytes * nb + 63) / 64 * 64; }
// Bytes of a repacked row of nb blocks (a multiple of 64).
inline constexpr int64_t RepackedQ4_KRowBytes(int64_t nb) { return Q4KMetaRegion(nb) + (128 * nb + 63) / 64 * 64; }
inline constexpr int64_t RepackedQ6_KRowBytes(int64_t nb) { return Q6KMetaRegion(nb) + (192 * nb + 63) / 64 * 64; }

// One row of nb GGUF blocks into `dst` (RepackedQ4_KRowBytes(nb) or
// RepackedQ6_KRowBytes(nb) bytes).
void RepackQ4_KRow(const BlockQ4_K* src, int64_t nb, uint8_t* dst);
void RepackQ6_KRow(const BlockQ6_K* src, int64_t nb, uint8_t* dst);

// Activations in the interleaved order of each repacked type.
void QuantizeQ8_KI32(const float* x, BlockQ8_KI* y, int64_t n);  // for repacked Q4_K
void QuantizeQ8_KI16(const float* x, BlockQ8_KI* y, int64_t n);  // for repacked Q6_K

}  // namespace quant

#endif  // APR_COMMON_QUANT_REPACK_H_
