// Kernel-friendly layouts for the k-quants, made once at load time.
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
//     meta[Q4KMetaRegion(nb)]: per block the 8 sub-block scales and 8 mins,
//       one byte each (GGUF packs them in 12 bytes of 6 bits), then d, dmin
//     quants[128 * nb]: per block vectors P_0..P_3; V_k = P_k & 0xF and
//       V_{k+4} = P_k >> 4, where byte 4i+b of V_k is weight 4k+b of sub-block i
//   Q5_K row of nb blocks: Q4_K's, with 32 more bytes of quants a block:
//     meta as Q4_K's (the same 6-bit scales and mins, d, dmin)
//     quants[160 * nb]: per block P_0..P_3 of the low 4 bits as Q4_K's, then
//       H, whose byte j holds in bit k the fifth bit of V_k's byte j
//   IQ4_XS row of nb blocks: Q4_K's layout, its nibbles indexing IQ4_NL's
//     levels; meta: per block the 8 signed scales, 8 unused bytes, d
//   Q6_K row of nb blocks:
//     meta[Q6KMetaRegion(nb)]: per block scales[16], d as in GGUF
//     quants[192 * nb]: per block L_{0,0}, L_{1,0}, L_{0,1}, L_{1,1}, where
//       L_{h,m} holds the low 4 bits of V_{h,m} | V_{h,m+2} << 4 (byte 4i+b
//       of V_{h,k} is weight 4k+b of group 8h+i), then per half one vector of
//       the high 2 bits of V_{h,0..3} at bits 0, 2, 4, 6 (ql[128] then
//       qh[64]). Each 64 bytes hold the same step of both halves, so a
//       512-bit vector's lanes are the block's 16 groups.
//   Q3_K row of nb blocks, in Q6_K's order (lanes are groups of 16):
//     meta[Q6KMetaRegion(nb)]: per block its 16 scales (-32..31), d
//     quants[96 * nb]: per block, for each half h one vector L_h whose bits
//       2k, 2k+1 are the low 2 bits of V_{h,k}, then one vector H whose
//       bit 4h + k is the third bit of V_{h,k}; a code is 0..7, its weight
//       d * scale * (code - 4)
//   Q2_K row of nb blocks, as Q3_K's without H:
//     meta[Q2KMetaRegion(nb)]: per block 16 scales, 16 mins (0..15), d, dmin
//     quants[64 * nb]: L_0, L_1
//
// Activations pair with them as Q8_KI blocks: the same 8-bit values laid
// out to match (lane i = sub-block or group i; for groups of 16, vector k of
// half 0 then vector k of half 1, k = 0..3), with the scale and, for
// Q4_K and Q5_K, the per-sub-block sums times the scale, for Q6_K, Q3_K and
// Q2_K -32 times each group's sum (Q6_K's offset; Q3_K's is an eighth of it,
// Q2_K's mins multiply it). For Q4_K, Q5_K and IQ4_XS (Q8_KI32) a row's
// blocks also go in pairs, so that 512-bit kernels sum two blocks in one
// vector (below).
#ifndef APR_COMMON_QUANT_REPACK_H_
#define APR_COMMON_QUANT_REPACK_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "common/gguf/tensor_type.h"
#include "common/quant/blocks.h"

namespace quant {

// 64-byte aligned, values first, so every 32-byte load of them stays inside
// one cache line.
struct alignas(64) BlockQ8_KI {
  int8_t qs[kQKK];
  union {
    struct {
      float pair[16];  // see Q8_KI32's pairs below
      float sums[8];   // d x the sum of each 32, for its mins
    } q4;                     // for Q4_K
    int32_t q6_offsets[16];   // for Q6_K: -32 x the sum of each 16, its weights' offset of 32,
                              // exact, where the kernels start each group's integer sum
  };
  float d;
};
static_assert(sizeof(BlockQ8_KI) == 384);

// Q8_KI32 (for repacked Q4_K and Q5_K) takes a row's blocks in pairs (2p, 2p+1), the
// last block alone when their count is odd. A pair's 32-byte vectors V_0..V_7
// alternate between its two blocks: V_u of block 2p, then V_u of block 2p+1,
// 512 bytes across the two blocks' qs. A 64-byte load then holds both blocks'
// vector u, so a 512-bit kernel's lanes 0-7 sum block 2p's sub-blocks and
// lanes 8-15 block 2p+1's, and each float step serves two blocks. Block 2p's
// `pair` is its d 8 times, then block 2p+1's d 8 times; block 2p+1's `pair`
// is both blocks' `sums`, in that order. A lone block keeps Q8_KI's order
// and a zero `pair`.
//
// Whether block b of a row of nb is in a pair; where its vector u (0-7) is:
// Q8_KI32Base + Q8_KI32Offset, the offset a constant once both are known.
inline constexpr bool Q8_KI32Paired(int64_t nb, int64_t b) { return (b | 1) < nb; }
inline const int8_t* Q8_KI32Base(const BlockQ8_KI* row, int64_t b, bool paired) {
  return paired ? row[b & ~int64_t{1}].qs + 32 * (b & 1) : row[b].qs;
}
inline constexpr int Q8_KI32Offset(bool paired, int u) {
  return !paired ? 32 * u : u < 4 ? 64 * u : static_cast<int>(sizeof(BlockQ8_KI)) + 64 * (u - 4);
}
// Lays out nb blocks quantized in Q8_KI's order (group 32) as pairs.
void PairQ8_KI32(BlockQ8_KI* row, int64_t nb);

inline constexpr int kQ4KMetaBytes = 20;  // Q5_K's too
inline constexpr int kQ4KQuantBytes = 128, kQ5KQuantBytes = 160;  // a block's
inline constexpr int kQ6KMetaBytes = 18;  // Q3_K's too
inline constexpr int kQ2KMetaBytes = 36;
inline constexpr int kQ2KQuantBytes = 64, kQ3KQuantBytes = 96, kQ6KQuantBytes = 192;  // a block's
inline constexpr int64_t Q4KMetaRegion(int64_t nb) { return (kQ4KMetaBytes * nb + 63) / 64 * 64; }
inline constexpr int64_t Q6KMetaRegion(int64_t nb) { return (kQ6KMetaBytes * nb + 63) / 64 * 64; }
inline constexpr int64_t Q2KMetaRegion(int64_t nb) { return (kQ2KMetaBytes * nb + 63) / 64 * 64; }
// Bytes of a repacked row of nb blocks of `type` (a multiple of 64); 0 for a
// type without a row layout.
inline constexpr int64_t RepackedRowBytes(gguf::GgmlType type, int64_t nb) {
  const auto row = [nb](int64_t meta_region, int quant_bytes) {
    return meta_region + (quant_bytes * nb + 63) / 64 * 64;
  };
  switch (type) {
    case gguf::GgmlType::kQ4_K:
    case gguf::GgmlType::kIQ4_XS: return row(Q4KMetaRegion(nb), kQ4KQuantBytes);
    case gguf::GgmlType::kQ5_K: return row(Q4KMetaRegion(nb), kQ5KQuantBytes);
    case gguf::GgmlType::kQ6_K: return row(Q6KMetaRegion(nb), kQ6KQuantBytes);
    case gguf::GgmlType::kQ3_K: return row(Q6KMetaRegion(nb), kQ3KQuantBytes);
    case gguf::GgmlType::kQ2_K: return row(Q2KMetaRegion(nb), kQ2KQuantBytes);
    default: return 0;
  }
}

// Q8_0, Q4_0 and Q5_0 in groups of 8 rows ("R8"). In each 32-byte vector, 4-byte
// lane i holds 4 consecutive weights of row i, so a vpdpbusd against 4
// activation bytes broadcast to every lane advances all 8 rows, and each
// block's 8 row scales apply as one 8-lane multiply. A group holds first
// every block's 8 row scales (f16, padded to 64 bytes), then the quants:
//
//   Q8_0: per block V_0..V_7, byte 4i+e of V_k = weight 4k+e of row i plus
//     128 (so unsigned: vpdpbusd's unsigned operand; AVX2 flips it back)
//   Q4_0: per block P_0..P_3, byte 4i+e of P_k = GGUF qs byte 4k+e of row i
//     (low nibble: weight 4k+e, high: weight 16+4k+e, each plus 8)
//   Q5_0: per block P_0..P_3 as Q4_0's (the low 4 bits), then H, whose byte
//     4i+e holds in bit k the fifth bit of the weight vector k's byte 4i+e
//     takes (weight 4k+e for k < 4, 16+4(k-4)+e after); each plus 16
//   Q4_1, Q5_1: as Q4_0, Q5_0 (with no offset: the codes are the weights'),
//     each block's 8 row scales followed by its 8 row minimums m (f16), 32
//     bytes a block; a weight is d * code + m
//
// The kernels subtract the offset (128, 8 or 16) times each activation block's
// sum, or add m times it. Rows past the matrix's end are zero. A matrix in
// groups has Stride() = group bytes / 8, so a row range that starts at a
// multiple of 8 starts on a group.
inline constexpr int kQ8_0R8QuantBytes = 256, kQ4_0R8QuantBytes = 128, kQ5_0R8QuantBytes = 160;  // per block of a group
// The quant bytes of one block of a group of `type`; 0 for a type without groups.
inline constexpr int R8QuantBytes(gguf::GgmlType type) {
  return type == gguf::GgmlType::kQ8_0                                      ? kQ8_0R8QuantBytes
         : type == gguf::GgmlType::kQ4_0 || type == gguf::GgmlType::kQ4_1 ? kQ4_0R8QuantBytes
         : type == gguf::GgmlType::kQ5_0 || type == gguf::GgmlType::kQ5_1 ? kQ5_0R8QuantBytes
         // IQ4_NL's nibbles lie as Q4_0's; the kernels look their levels up.
         : type == gguf::GgmlType::kIQ4_NL ? kQ4_0R8QuantBytes
                                           : 0;
}
// Metadata bytes of one block of a group: 8 scales, and for Q4_1 and Q5_1 8 minimums.
inline constexpr int R8ScaleBytes(gguf::GgmlType type) {
  return type == gguf::GgmlType::kQ4_1 || type == gguf::GgmlType::kQ5_1 ? 32 : 16;
}
inline constexpr int64_t R8MetaRegion(int64_t nb, int scale_bytes) { return (scale_bytes * nb + 63) / 64 * 64; }
inline constexpr int64_t RepackedR8GroupBytes(int64_t nb, gguf::GgmlType type) {
  return R8MetaRegion(nb, R8ScaleBytes(type)) + R8QuantBytes(type) * nb;
}
// `count` (1 to 8) GGUF rows of nb blocks of `type` (one with groups),
// `src_stride` bytes apart, into one group.
void RepackR8Group(gguf::GgmlType type, const uint8_t* src, size_t src_stride, int count, int64_t nb,
                   uint8_t* dst);

// Activations for R8 groups: Q8_0 values (the same as for the GGUF layout)
// with the scale as a float and the sum of the 32 values.
struct BlockQ8_0S {
  float d;
  int32_t sum;
  int8_t qs[kQK];
};
static_assert(sizeof(BlockQ8_0S) == 40);
void QuantizeQ8_0S(const float* x, BlockQ8_0S* y, int64_t n);

// One GGUF row of nb blocks of `type` (one with a row layout) into `dst`
// (RepackedRowBytes(type, nb) bytes).
void RepackRow(gguf::GgmlType type, const uint8_t* src, int64_t nb, uint8_t* dst);

// Activations in the interleaved order of each repacked type.
void QuantizeQ8_KI32(const float* x, BlockQ8_KI* y, int64_t n);  // for repacked Q4_K, Q5_K, IQ4_XS
void QuantizeQ8_KI16(const float* x, BlockQ8_KI* y, int64_t n);  // for repacked Q6_K, Q3_K, Q2_K
// A block's 256 values, in order, to Q8_KI's order for groups of `group`
// (32 or 16): lane i of each 32-byte vector takes 4 values of group i.
void InterleaveQ8_KI(const int8_t* plain, int group, int8_t* qs);

}  // namespace quant

#endif  // APR_COMMON_QUANT_REPACK_H_
