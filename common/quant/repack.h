// Kernel-friendly layouts for Q4_K and Q6_K, made once at load time.
//
// The GGUF layouts keep each sub-block's weights together, so a SIMD dot
// product must apply a different scale every 16 or 32 weights. The repacked
// blocks interleave the sub-blocks instead: in each 32-byte vector, 4-byte
// lane i holds 4 consecutive weights of sub-block i. A vpdpbusd then sums
// each sub-block in its own lane, and the scales are applied once per block
// as a vector multiply. Same bytes per block as the GGUF format (144 and
// 210), so decode streams no more memory.
//
//   Q4_K repacked (256 weights, 8 sub-blocks of 32):
//     qs[128]: vectors P_0..P_3; V_k = P_k & 0xF and V_{k+4} = P_k >> 4, where
//              byte 4i+b of V_k is weight 4k+b of sub-block i
//     scales[12], d, dmin: as in GGUF
//   Q6_K repacked (two halves of 8 groups of 16):
//     ql[128]: per half h two vectors L_{h,0}, L_{h,1}: low 4 bits of
//              V_{h,m} | V_{h,m+2} << 4, where byte 4i+b of V_{h,k} is weight
//              4k+b of group 8h+i
//     qh[64]:  per half one vector: high 2 bits of V_{h,0..3} at bits 0,2,4,6
//     scales[16], d: as in GGUF
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

// Rows of GGUF Q4_K / Q6_K blocks to the repacked layout, in place of `dst`
// (same size). n is the row length; rows are independent.
void RepackQ4_K(const BlockQ4_K* src, BlockQ4_K* dst, int64_t blocks);
void RepackQ6_K(const BlockQ6_K* src, BlockQ6_K* dst, int64_t blocks);

// Activations in the interleaved order of each repacked type.
void QuantizeQ8_KI32(const float* x, BlockQ8_KI* y, int64_t n);  // for repacked Q4_K
void QuantizeQ8_KI16(const float* x, BlockQ8_KI* y, int64_t n);  // for repacked Q6_K

}  // namespace quant

#endif  // APR_COMMON_QUANT_REPACK_H_
