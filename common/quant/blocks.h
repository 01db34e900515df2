// The byte layouts of ggml's block formats (public facts of the GGUF format;
// the code is ours). Each block stores block_size weights; fp16 fields are
// raw IEEE half bits.
//
//   Q8_0  value = d * qs[i]
//   Q4_0  value = d * (nibble - 8); byte j holds weights j (low) and j+16 (high)
//   Q5_0  value = d * (nibble | fifth bit << 4) - 16 d; fifth bits in qh (LE u32),
//         bit j for weight j, bit j+16 for weight j+16
//   Q4_K  256 weights in 8 sub-blocks of 32, each with a 6-bit scale and min
//         packed in scales[12]: value = d*sc*nibble - dmin*m. qs holds, for each
//         64 weights, 32 bytes: low nibbles the first 32, high nibbles the next 32
//   Q5_K  Q4_K with a fifth bit per weight in qh[32]: for 64-weight chunk c,
//         bit 2c of qh[l] belongs to weight l (low nibbles), bit 2c+1 to 32+l
//   Q6_K  256 weights in 16 sub-blocks of 16 with int8 scales: value =
//         d * sc * (q - 32), q 6 bits: 4 in ql, 2 in qh
//   Q4_1  value = d * nibble + m, nibbles as Q4_0's (an offset m, not a centre)
//   Q5_1  value = d * (nibble | fifth bit << 4) + m, fifth bits as Q5_0's
//   IQ4_NL value = d * kIQ4NLValues[nibble], nibbles as Q4_0's: a non-linear
//         grid of 16 levels, denser near zero
//   Q2_K  256 weights in 16 sub-blocks of 16, each with a 4-bit scale (low
//         nibble) and min (high) in scales[16]: value = d*sc*q - dmin*m, q 2 bits.
//         For 128-weight half h and 32-weight row j in it, weight l (0..31)
//         is bits 2j..2j+1 of qs[32h + l]: Q2KCode
//   Q3_K  Q2_K's 2-bit order, a third bit of weight i in bit i/32 of
//         hmask[i%32], value = d * sc * (q - 4), 16 signed 6-bit scales
//         packed in 12 bytes (Q3KScale)
//   IQ4_XS 256 weights in 8 sub-blocks of 32 with IQ4_NL's levels and
//         nibble order; a signed 6-bit scale each: low 4 bits in scales_l,
//         high 2 in scales_h (IQ4XSScale)
//   Q8_K  activations for the k-quants: float d, 256 int8, and the sum of each
//         16 quants (bsums), so dot products can fold in mins and offsets
#ifndef APR_COMMON_QUANT_BLOCKS_H_
#define APR_COMMON_QUANT_BLOCKS_H_

#include <cstdint>

namespace quant {

inline constexpr int kQK = 32;    // block of the 32-weight formats
inline constexpr int kQKK = 256;  // super-block of the k-quants

struct BlockQ8_0 {
  uint16_t d;
  int8_t qs[kQK];
};
struct BlockQ4_0 {
  uint16_t d;
  uint8_t qs[kQK / 2];
};
struct BlockQ5_0 {
  uint16_t d;
  uint8_t qh[4];
  uint8_t qs[kQK / 2];
};
struct BlockQ4_1 {
  uint16_t d;
  uint16_t m;
  uint8_t qs[kQK / 2];
};
struct BlockQ5_1 {
  uint16_t d;
  uint16_t m;
  uint8_t qh[4];
  uint8_t qs[kQK / 2];
};
struct BlockIQ4_NL {
  uint16_t d;
  uint8_t qs[kQK / 2];
};
// IQ4_NL's 16 levels (as int8, so the kernels multiply them as bytes).
inline constexpr int8_t kIQ4NLValues[16] = {-127, -104, -83, -65, -49, -35, -22, -10,
                                            1,    13,   25,  38,  53,  69,  89,  113};
struct BlockQ4_K {
  uint16_t d;
  uint16_t dmin;
  uint8_t scales[12];
  uint8_t qs[kQKK / 2];
};
struct BlockQ5_K {
  uint16_t d;
  uint16_t dmin;
  uint8_t scales[12];
  uint8_t qh[kQKK / 8];
  uint8_t qs[kQKK / 2];
};
struct BlockQ6_K {
  uint8_t ql[kQKK / 2];
  uint8_t qh[kQKK / 4];
  int8_t scales[kQKK / 16];
  uint16_t d;
};
struct BlockQ2_K {
  uint8_t scales[kQKK / 16];
  uint8_t qs[kQKK / 4];
  uint16_t d;
  uint16_t dmin;
};
struct BlockQ3_K {
  uint8_t hmask[kQKK / 8];
  uint8_t qs[kQKK / 4];
  uint8_t scales[12];
  uint16_t d;
};
struct BlockIQ4_XS {
  uint16_t d;
  uint16_t scales_h;
  uint8_t scales_l[kQKK / 64];
  uint8_t qs[kQKK / 2];
};
struct BlockQ8_K {
  float d;
  int8_t qs[kQKK];
  int16_t bsums[kQKK / 16];
};

static_assert(sizeof(BlockQ8_0) == 34);
static_assert(sizeof(BlockQ4_0) == 18);
static_assert(sizeof(BlockQ5_0) == 22);
static_assert(sizeof(BlockQ4_1) == 20);
static_assert(sizeof(BlockQ5_1) == 24);
static_assert(sizeof(BlockIQ4_NL) == 18);
static_assert(sizeof(BlockQ4_K) == 144);
static_assert(sizeof(BlockQ5_K) == 176);
static_assert(sizeof(BlockQ6_K) == 210);
static_assert(sizeof(BlockQ2_K) == 84);
static_assert(sizeof(BlockQ3_K) == 110);
static_assert(sizeof(BlockIQ4_XS) == 136);
static_assert(sizeof(BlockQ8_K) == 292);

// Nibble j (0..31) of a 32-weight block's 16 bytes: low nibbles for j < 16,
// high ones after (Q4_0, Q4_1, IQ4_NL, and the low bits of Q5_0 and Q5_1).
inline int Q4Code(const uint8_t* qs, int j) { return j < kQK / 2 ? qs[j] & 0x0F : qs[j - kQK / 2] >> 4; }

// Weight j (0..31) of a Q5_0 or Q5_1 block, 0..31: nibble j with bit j of qh
// (little-endian) as bit 4.
inline int Q5Code(const uint8_t* qh, const uint8_t* qs, int j) {
  const uint32_t bits = qh[0] | uint32_t(qh[1]) << 8 | uint32_t(qh[2]) << 16 | uint32_t(qh[3]) << 24;
  return Q4Code(qs, j) | static_cast<int>(((bits >> j) & 1) << 4);
}

// Weight l (0..31) of the low (hi = false) or high half of 64-weight chunk c
// of a Q4_K or Q5_K block: its nibble, and for Q5_K bit 2c (+ hi) of qh[l].
inline int KQuantCode(const BlockQ4_K& x, int c, int l, bool hi) {
  return hi ? x.qs[32 * c + l] >> 4 : x.qs[32 * c + l] & 0x0F;
}
inline int KQuantCode(const BlockQ5_K& x, int c, int l, bool hi) {
  const int nibble = hi ? x.qs[32 * c + l] >> 4 : x.qs[32 * c + l] & 0x0F;
  return nibble | (((x.qh[l] >> (2 * c + hi)) & 1) << 4);
}

// Q4_K's j-th 6-bit scale and min (j in 0..7) from its 12 packed bytes.
inline void Q4KScaleMin(int j, const uint8_t* q, uint8_t* scale, uint8_t* min) {
  if (j < 4) {
    *scale = q[j] & 63;
    *min = q[j + 4] & 63;
  } else {
    *scale = (q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4);
    *min = (q[j + 4] >> 4) | ((q[j] >> 6) << 4);
  }
}

// The 2 low bits of weight i (0..255) of a Q2_K or Q3_K block, and their
// setter (into zeroed bits).
inline int Q2KCode(const uint8_t* qs, int i) { return (qs[32 * (i / 128) + i % 32] >> (2 * (i % 128 / 32))) & 3; }
inline void OrQ2KCode(uint8_t* qs, int i, int code) {
  qs[32 * (i / 128) + i % 32] |= static_cast<uint8_t>((code & 3) << (2 * (i % 128 / 32)));
}
// Weight i of a Q3_K block, 0..7 (its value is d * scale * (code - 4)).
inline int Q3KCode(const BlockQ3_K& x, int i) { return Q2KCode(x.qs, i) | ((x.hmask[i % 32] >> (i / 32)) & 1) << 2; }
// Q3_K's k-th scale (k in 0..15), -32..31: 4 low bits in byte k (k < 8) or
// the high nibble of byte k - 8, 2 high bits in byte 8 + k % 4 at bit 2 (k / 4).
inline int Q3KScale(const uint8_t* scales, int k) {
  const int low = k < 8 ? scales[k] & 0xF : scales[k - 8] >> 4;
  const int high = (scales[8 + k % 4] >> (2 * (k / 4))) & 3;
  return (low | high << 4) - 32;
}
// IQ4_XS's scale of sub-block ib (0..7), -32..31.
inline int IQ4XSScale(const BlockIQ4_XS& x, int ib) {
  return (((x.scales_l[ib / 2] >> (4 * (ib % 2))) & 0xF) | ((x.scales_h >> (2 * ib)) & 3) << 4) - 32;
}

}  // namespace quant

#endif  // APR_COMMON_QUANT_BLOCKS_H_
