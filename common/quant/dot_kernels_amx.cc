// Prefill of the repacked k-quants and IQ4_XS on AMX, the tile matrix unit of Intel's Xeons
// from Sapphire Rapids on; entered only where the CPU has AMX-INT8 and the OS
// lets this process use it. Fewer tokens than a tile go to the AVX-512 kernel.
//
// A tdpbsud multiplies 16 tokens x 64 activation bytes by 64 x 16 rows'
// weight bytes into 16 x 16 int32 sums. Q4_K's sub-block scales (6 bits)
// are folded into the weights, split in two parts of 3 bits so that each
// product stays a byte (UnpackBlock), which leaves one integer sum per
// block, token and row, and the float work (block scales and the mins) once
// per block instead of once per sub-block. Q5_K, Q3_K and Q2_K fold theirs
// the same way; Q6_K and IQ4_XS split each weight's product with its scale
// in two bytes instead (each format's unpacking says how). Each call puts
// the activations in the order the tiles read them; each 16-row group's
// weights are unpacked a block at a time into L1, where every pass of 32
// tokens reads them.
//
// Integer sums are exact, as in the other kernels; only the order in which
// the float scales are applied and summed differs.
// GCC 12's 512-bit intrinsics pass _mm512_undefined_*() as the unused merge
// operand, which -Wmaybe-uninitialized and -Wuninitialized report as a use of an
// uninitialized value.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#include <immintrin.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "common/cpu/amx_tiles.h"
#include "common/quant/blocks.h"
#include "common/quant/dot_kernels.h"
#include "common/quant/fp16.h"
#include "common/quant/repack.h"
#include "common/quant/transpose_avx.h"

namespace quant {
namespace amx {
namespace {

constexpr int kTile = 16;           // tokens and rows of a result tile
static_assert(internal::kAmxMinTokens == kTile);
constexpr int kPass = 2 * kTile;    // tokens a pass over a row group's weights
constexpr int kPassBlockBytes = kPass * kQKK;  // a pass's activations for one block
constexpr int64_t kL2ActivationBytes = 1 << 20;

constexpr int kSubBlock = 32;       // Q4_K's sub-block: one tile product deep
constexpr int kSubBlocks = 8;       // a block's

// The activations of a call as the tiles read them, each sub-block's 32
// values together: per pass of 32 tokens, block and step j, 32 rows of 64
// bytes (a token's sub-blocks 2j and 2j+1), so that every tile is 1 KiB in a
// row; tokens padded to whole passes with whatever an earlier call left
// there (their products are computed and never read). With each block's
// scale and its sub-blocks' integer sums, for the mins.
struct PlainActivations {
  int64_t padded = 0;          // tokens, a multiple of kPass
  std::vector<int8_t> qs;      // [nb][passes][4 steps][32 tokens][64]
  std::vector<float> d;        // [nb][padded]
  std::vector<int16_t> sums;   // [nb][padded][8 sub-blocks or 16 groups]
  int64_t PassOffset(int64_t b, int64_t pass) const { return (b * (padded / kPass) + pass) * kPassBlockBytes; }
  const int8_t* Pass(int64_t b, int64_t pass) const { return qs.data() + PassOffset(b, pass); }
};

// Sub-blocks' sums from their sums of pairs (pairs[i]: 16 of sub-block i),
// as 8 int16: 32 values of at most 128 in magnitude stay far below 2^15.
__m128i SubBlockSums(const __m256i pairs[8]) {
  __m256i s[4];
  for (int k = 0; k < 4; ++k) s[k] = _mm256_hadd_epi16(pairs[2 * k], pairs[2 * k + 1]);
  // s[k] lanes: per 128-bit half, 4 partial sums of 2k then 4 of 2k+1.
  const __m256i u = _mm256_hadd_epi16(_mm256_hadd_epi16(s[0], s[1]), _mm256_hadd_epi16(s[2], s[3]));
  // u: per half, the half's sums of sub-blocks 0-7 in order.
  return _mm_add_epi16(_mm256_castsi256_si128(u), _mm256_extracti128_si256(u, 1));
}

void PlainFromQ8_KI32(const uint8_t* act, size_t act_row_bytes, int64_t tokens, int64_t n, PlainActivations* p) {
  const int64_t nb = n / kQKK, padded = (tokens + kPass - 1) / kPass * kPass;
  p->padded = padded;
  p->qs.resize(padded * n);
  p->d.resize(padded * nb);
  p->sums.resize(padded * nb * kSubBlocks);
  for (int64_t t = 0; t < tokens; ++t) {
    const BlockQ8_KI* row = reinterpret_cast<const BlockQ8_KI*>(act + t * act_row_bytes);
    for (int64_t b = 0; b < nb; ++b) {
      const bool paired = Q8_KI32Paired(nb, b);
      const int8_t* base = Q8_KI32Base(row, b, paired);
      __m256i v[8];
      for (int u = 0; u < 8; ++u) {
        v[u] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(base + Q8_KI32Offset(paired, u)));
      }
      Transpose8x8(v);  // v[i]: sub-block i, values 4u..4u+3 at dword u
      // Sub-blocks 2j and 2j+1 are the 64 bytes of token t's row in step j's tile.
      int8_t* out = p->qs.data() + p->PassOffset(b, t / kPass) + (t % kPass) * 64;
      __m256i pairs[8];  // sub-block i's sums of pairs of values
      for (int i = 0; i < 8; ++i) {
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + (i / 2) * kPass * 64 + (i % 2) * kSubBlock), v[i]);
        pairs[i] = _mm256_maddubs_epi16(_mm256_set1_epi8(1), v[i]);
      }
      p->d[b * padded + t] = row[b].d;
      _mm_storeu_si128(reinterpret_cast<__m128i*>(p->sums.data() + (b * padded + t) * kSubBlocks), SubBlockSums(pairs));
    }
  }
}

// Q8_KI16 (for Q3_K and Q2_K) as the tiles read it: its order is already a
// tile's, step j the 64 bytes 64j.. of a block (groups 0-7's values 4j..4j+3,
// then groups 8-15's), as repack.h lays out the weights. With kSums, each
// group's integer sum, from the activations' -32 x that sum (Q2_K's mins).
template <bool kSums>
void PlainFromQ8_KI16(const uint8_t* act, size_t act_row_bytes, int64_t tokens, int64_t n, PlainActivations* p) {
  const int64_t nb = n / kQKK, padded = (tokens + kPass - 1) / kPass * kPass;
  p->padded = padded;
  p->qs.resize(padded * n);
  p->d.resize(padded * nb);
  if (kSums) p->sums.resize(padded * nb * 16);
  for (int64_t t = 0; t < tokens; ++t) {
    const BlockQ8_KI* row = reinterpret_cast<const BlockQ8_KI*>(act + t * act_row_bytes);
    for (int64_t b = 0; b < nb; ++b) {
      int8_t* out = p->qs.data() + p->PassOffset(b, t / kPass) + (t % kPass) * 64;
      for (int j = 0; j < 4; ++j) {
        _mm512_storeu_si512(out + j * kPass * 64, _mm512_loadu_si512(row[b].qs + 64 * j));
      }
      p->d[b * padded + t] = row[b].d;
      if (kSums) {
        const __m512i sums = _mm512_srai_epi32(_mm512_sub_epi32(_mm512_setzero_si512(),
                                                                _mm512_loadu_si512(row[b].q6_offsets)), 5);
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(p->sums.data() + (b * padded + t) * 16),
                            _mm512_cvtepi32_epi16(sums));
      }
    }
  }
}

// One dword at the same offset of each of 16 rows `row_bytes` apart, zero
// for the rows past `count`.
class RowGather {
 public:
  RowGather(size_t row_bytes, int count)
      : valid_(static_cast<__mmask16>((1u << count) - 1)),
        offsets_(_mm512_mullo_epi32(_mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0),
                                    _mm512_set1_epi32(static_cast<int>(row_bytes)))) {}
  __m512i operator()(const uint8_t* p) const {
    return _mm512_mask_i32gather_epi32(_mm512_setzero_si512(), valid_, offsets_, p, 1);
  }

 private:
  __mmask16 valid_;
  __m512i offsets_;
};

// A group of up to 16 rows, unpacked for the tiles. A Q4_K weight is
// d x scale_i x q - dmin x min_i, with q < 16 and scale_i < 64 (sub-block i):
// split scale_i = 8 hi + lo, and q x lo and q x hi are each below 106, bytes
// a tile multiplies. So per block and 64-deep step j (sub-blocks 2j, 2j+1)
// two weight tiles, q x lo and q x hi: 16 rows of 64 bytes, row k holding
// for each of the 16 rows its 4 weights 4k..4k+3 of the step, and one
// block's integer sum of scale_i x q x activation is C_lo + 8 C_hi, exact.
// With each row's d and dmin (zero past the group's end) and its min_i as
// int16 pairs (dword p: min_2p, min_2p+1), to multiply by the activations'
// sub-block sums: their integer sum of min_i x sum_i, also exact.
constexpr int kStepBytes = 1024;                      // a weight tile
constexpr int kBlockTileBytes = 2 * 4 * kStepBytes;  // lo and hi, 4 steps
struct UnpackedBlock {
  alignas(64) uint8_t tiles[kBlockTileBytes];  // [4 steps][lo, hi][1024]
  alignas(64) float d[kTile];
  alignas(64) float dmin[kTile];
  alignas(64) int32_t min_pairs[8][kTile];  // Q4_K, Q5_K: 4; Q2_K: 8
};

// Block b of a group of `count` rows. Q5_K (kFifthBit) as Q4_K, its quants'
// fifth bit from the plane H after the nibbles (repack.h): q < 32, and q x lo,
// q x hi still below 218.
template <bool kFifthBit>
void UnpackBlock(const uint8_t* w, size_t row_bytes, int count, int64_t nb, int64_t b, UnpackedBlock* u) {
  const RowGather gather(row_bytes, count);
  const __m512i nibble = _mm512_set1_epi8(0x0f), byte = _mm512_set1_epi32(0xff), low3 = _mm512_set1_epi32(7);
  // Meta bytes 0-7: scale_i, 8-15: min_i, then f16 d and dmin (repack.h).
  const uint8_t* m = w + kQ4KMetaBytes * b;
  const __m512i scales[2] = {gather(m), gather(m + 4)}, mins[2] = {gather(m + 8), gather(m + 12)};
  const __m512i dd = gather(m + 16);
  _mm512_store_ps(u->d, _mm512_cvtph_ps(_mm512_cvtepi32_epi16(dd)));
  _mm512_store_ps(u->dmin, _mm512_cvtph_ps(_mm512_cvtepi32_epi16(_mm512_srli_epi32(dd, 16))));
  for (int p = 0; p < kSubBlocks / 2; ++p) {
    const int shift = 16 * (p % 2);  // min_2p's byte in each dword of mins[p / 2]
    const __m512i even = _mm512_and_si512(_mm512_srli_epi32(mins[p / 2], shift), byte);
    const __m512i odd = _mm512_and_si512(_mm512_srli_epi32(mins[p / 2], shift + 8), byte);
    _mm512_store_si512(u->min_pairs[p], _mm512_or_si512(even, _mm512_slli_epi32(odd, 16)));
  }
  __m512i lo[kSubBlocks], hi[kSubBlocks];  // per 16-bit lane, the row's scale parts
  for (int i = 0; i < kSubBlocks; ++i) {
    const __m512i s = _mm512_and_si512(_mm512_srli_epi32(scales[i / 4], 8 * (i % 4)), byte);
    const __m512i l = _mm512_and_si512(s, low3), h = _mm512_srli_epi32(s, 3);
    lo[i] = _mm512_or_si512(l, _mm512_slli_epi32(l, 16));
    hi[i] = _mm512_or_si512(h, _mm512_slli_epi32(h, 16));
  }
  // Byte 4i+e of V_k (row r) is weight 4k+e of sub-block i: dword i of
  // P_k gathered from the 16 rows is row k of sub-block i's half of a
  // step's tile (low nibbles), and row k+4 (high). q x part in 16-bit
  // lanes: each byte's product stays below 256, so none carries.
  constexpr int kQuantBytes = kFifthBit ? kQ5KQuantBytes : kQ4KQuantBytes;
  const uint8_t* quants = w + Q4KMetaRegion(nb) + kQuantBytes * b;
  uint8_t* tiles = u->tiles;
  const __m512i bit4 = _mm512_set1_epi8(0x10);
  for (int k = 0; k < 4; ++k) {
    for (int i = 0; i < kSubBlocks; ++i) {
      const __m512i p = gather(quants + 32 * k + 4 * i);
      __m512i q[2] = {_mm512_and_si512(p, nibble), _mm512_and_si512(_mm512_srli_epi16(p, 4), nibble)};
      if constexpr (kFifthBit) {
        // Bit k (V_k) and bit k + 4 (V_{k+4}) of each byte of H to bit 4:
        // 16-bit shifts, whatever crosses bytes lands outside bit 4.
        const __m512i h = gather(quants + kQ4KQuantBytes + 4 * i);
        q[0] = _mm512_or_si512(q[0], _mm512_and_si512(_mm512_slli_epi16(_mm512_srli_epi16(h, k), 4), bit4));
        q[1] = _mm512_or_si512(q[1], _mm512_and_si512(_mm512_srli_epi16(h, k), bit4));
      }
      uint8_t* step = tiles + (i / 2) * 2 * kStepBytes + (i % 2) * (kStepBytes / 2);
      for (int half = 0; half < 2; ++half) {
        const int row = k + 4 * half;
        _mm512_storeu_si512(step + 64 * row, _mm512_mullo_epi16(q[half], lo[i]));
        _mm512_storeu_si512(step + kStepBytes + 64 * row, _mm512_mullo_epi16(q[half], hi[i]));
      }
    }
  }
}

// Q3_K and Q2_K (groups of 16, repack.h): step j's tile row g holds
// group g's codes 4j..4j+3 of each of the 16 rows, from the dword 4i of
// L_h (g = 8h + i; its bits 2j, 2j+1) and, for Q3_K, of H (bit 4h + j).
// Q2_K: code x scale <= 3 x 15, one unsigned tile; the mins as Q4_K's, 16
// of them. Q3_K: weight (code - 4) x scale with a signed 6-bit scale,
// split scale = 8 hi + lo (lo 0..7, hi -4..3): (code - 4) x lo and
// (code - 4) x hi are signed bytes, two tiles, C_lo + 8 C_hi exact; each
// is formed from code x an unsigned part (16-bit multiplies that never
// carry) minus byte constants.
template <bool kThirdBit>
void UnpackQ2_3KBlock(const uint8_t* w, size_t row_bytes, int count, int64_t nb, int64_t b, UnpackedBlock* u) {
  const RowGather gather(row_bytes, count);
  const __m512i byte = _mm512_set1_epi32(0xff);
  auto in_both_halves = [](__m512i x) { return _mm512_or_si512(x, _mm512_slli_epi32(x, 16)); };
  auto in_every_byte = [](__m512i x) { return _mm512_mullo_epi32(x, _mm512_set1_epi32(0x01010101)); };
  constexpr int kMetaBytes = kThirdBit ? kQ6KMetaBytes : kQ2KMetaBytes;
  const uint8_t* m = w + kMetaBytes * b;
  __m512i scales[4];
  for (int q = 0; q < 4; ++q) scales[q] = gather(m + 4 * q);
  const __m512i dd = gather(m + (kThirdBit ? 16 : 32));
  _mm512_store_ps(u->d, _mm512_cvtph_ps(_mm512_cvtepi32_epi16(dd)));
  if constexpr (kThirdBit) {
    _mm512_store_ps(u->dmin, _mm512_setzero_ps());
  } else {
    _mm512_store_ps(u->dmin, _mm512_cvtph_ps(_mm512_cvtepi32_epi16(_mm512_srli_epi32(dd, 16))));
    for (int q = 0; q < 4; ++q) {
      const __m512i mins = gather(m + 16 + 4 * q);
      for (int half = 0; half < 2; ++half) {
        const __m512i even = _mm512_and_si512(_mm512_srli_epi32(mins, 16 * half), byte);
        const __m512i odd = _mm512_and_si512(_mm512_srli_epi32(mins, 16 * half + 8), byte);
        _mm512_store_si512(u->min_pairs[2 * q + half], _mm512_or_si512(even, _mm512_slli_epi32(odd, 16)));
      }
    }
  }
  const uint8_t* quants = w + (kThirdBit ? Q6KMetaRegion(nb) : Q2KMetaRegion(nb)) +
                          (kThirdBit ? kQ3KQuantBytes : kQ2KQuantBytes) * b;
  const __m512i low2 = _mm512_set1_epi8(3), bit2 = _mm512_set1_epi8(4);
  for (int g = 0; g < 16; ++g) {
    const int h = g / 8, i = g % 8;
    const __m512i l = gather(quants + 32 * h + 4 * i);
    const __m512i scale_byte = _mm512_slli_epi32(scales[g / 4], 24 - 8 * (g % 4));  // in bits 24-31
    if constexpr (kThirdBit) {
      const __m512i third = gather(quants + 64 + 4 * i);
      const __m512i s = _mm512_srai_epi32(scale_byte, 24);
      const __m512i lo = _mm512_and_si512(s, _mm512_set1_epi32(7)), hi = _mm512_srai_epi32(s, 3);
      const __m512i lo16 = in_both_halves(lo), hi16 = in_both_halves(_mm512_add_epi32(hi, _mm512_set1_epi32(4)));
      const __m512i lo4 = in_every_byte(_mm512_slli_epi32(lo, 2));
      const __m512i hi4 = in_every_byte(_mm512_and_si512(_mm512_slli_epi32(hi, 2), byte));
      for (int j = 0; j < 4; ++j) {
        const int bit = 4 * h + j;  // to bit 2
        const __m512i t = bit < 2 ? _mm512_slli_epi16(third, 2 - bit) : _mm512_srli_epi16(third, bit - 2);
        const __m512i code = _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi16(l, 2 * j), low2),
                                             _mm512_and_si512(t, bit2));
        uint8_t* row = u->tiles + 2 * kStepBytes * j + 64 * g;
        _mm512_storeu_si512(row, _mm512_sub_epi8(_mm512_mullo_epi16(code, lo16), lo4));
        const __m512i code_hi = _mm512_sub_epi8(_mm512_mullo_epi16(code, hi16), _mm512_slli_epi16(code, 2));
        _mm512_storeu_si512(row + kStepBytes, _mm512_sub_epi8(code_hi, hi4));
      }
    } else {
      const __m512i scale16 = in_both_halves(_mm512_srli_epi32(scale_byte, 24));
      for (int j = 0; j < 4; ++j) {
        const __m512i code = _mm512_and_si512(_mm512_srli_epi16(l, 2 * j), low2);
        _mm512_storeu_si512(u->tiles + 2 * kStepBytes * j + 64 * g, _mm512_mullo_epi16(code, scale16));
      }
    }
  }
}

// Q6_K and IQ4_XS: a weight is value x scale with a signed scale that no
// split keeps in a byte with two tiles (Q6_K: q - 32 in [-32, 31], scales
// of 8 bits; IQ4_XS: levels in [-127, 113], scales of 6), so the product w
// itself (|w| <= 4096) is split: w = 64 hi + lo, lo in [-32, 31], hi in
// [-64, 64], two signed tiles and C_lo + 64 C_hi exact. w is formed in
// 16-bit lanes, even and odd bytes apart, and put back as bytes. x: signed
// values; s16: each dword's scale in both its 16-bit halves.
inline __attribute__((always_inline)) void SplitProducts(__m512i x, __m512i s16, uint8_t* lo_row, uint8_t* hi_row) {
  const __m512i even = _mm512_set1_epi16(0x00FF), c32 = _mm512_set1_epi16(32), c63 = _mm512_set1_epi16(63);
  __m512i lo[2], hi[2];
  for (int odd = 0; odd < 2; ++odd) {
    const __m512i v = odd ? _mm512_srai_epi16(x, 8) : _mm512_srai_epi16(_mm512_slli_epi16(x, 8), 8);
    const __m512i w = _mm512_mullo_epi16(v, s16);
    lo[odd] = _mm512_sub_epi16(_mm512_and_si512(_mm512_add_epi16(w, c32), c63), c32);
    hi[odd] = _mm512_srai_epi16(_mm512_sub_epi16(w, lo[odd]), 6);
  }
  _mm512_storeu_si512(lo_row, _mm512_or_si512(_mm512_and_si512(lo[0], even), _mm512_slli_epi16(lo[1], 8)));
  _mm512_storeu_si512(hi_row, _mm512_or_si512(_mm512_and_si512(hi[0], even), _mm512_slli_epi16(hi[1], 8)));
}

// A signed byte of each dword (byte k of x) as 16-bit lanes.
inline __attribute__((always_inline)) __m512i SignedByteInBothHalves(__m512i x, int k) {
  const __m512i s = _mm512_srai_epi32(_mm512_slli_epi32(x, 24 - 8 * k), 24);
  return _mm512_or_si512(_mm512_and_si512(s, _mm512_set1_epi32(0xFFFF)), _mm512_slli_epi32(s, 16));
}

// Q6_K, in Q3_K's order (repack.h).
void UnpackQ6_KBlock(const uint8_t* w, size_t row_bytes, int count, int64_t nb, int64_t b, UnpackedBlock* u) {
  const RowGather gather(row_bytes, count);
  const uint8_t* m = w + kQ6KMetaBytes * b;
  __m512i scales[4];
  for (int q = 0; q < 4; ++q) scales[q] = gather(m + 4 * q);
  _mm512_store_ps(u->d, _mm512_cvtph_ps(_mm512_cvtepi32_epi16(gather(m + 16))));
  _mm512_store_ps(u->dmin, _mm512_setzero_ps());
  const uint8_t* quants = w + Q6KMetaRegion(nb) + kQ6KQuantBytes * b;
  const __m512i low4 = _mm512_set1_epi8(0x0F), bits45 = _mm512_set1_epi8(0x30), c32 = _mm512_set1_epi8(32);
  for (int g = 0; g < 16; ++g) {
    const int h = g / 8, i = g % 8;
    const __m512i sc16 = SignedByteInBothHalves(scales[g / 4], g % 4);
    // L_{h,0} at 32h, L_{h,1} at 64 + 32h (low 4 bits of steps 0, 1 low, 2, 3
    // high), the high 2 bits of step j at bits 2j of H_h at 128 + 32h.
    const __m512i l[2] = {gather(quants + 32 * h + 4 * i), gather(quants + 64 + 32 * h + 4 * i)};
    const __m512i hq = gather(quants + 128 + 32 * h + 4 * i);
    for (int j = 0; j < 4; ++j) {
      const __m512i lbits = j < 2 ? l[j] : _mm512_srli_epi16(l[j - 2], 4);
      const __m512i hbits = j == 0 ? _mm512_slli_epi16(hq, 4) : j == 1 ? _mm512_slli_epi16(hq, 2)
                            : j == 2 ? hq : _mm512_srli_epi16(hq, 2);
      const __m512i q = _mm512_or_si512(_mm512_and_si512(lbits, low4), _mm512_and_si512(hbits, bits45));
      uint8_t* row = u->tiles + 2 * kStepBytes * j + 64 * g;
      SplitProducts(_mm512_sub_epi8(q, c32), sc16, row, row + kStepBytes);
    }
  }
}

// IQ4_XS, in Q4_K's order (repack.h: the 8 signed scales, then d at 16):
// each nibble's IQ4_NL level by a byte shuffle, in the tile rows Q4_K's
// unpacking writes.
void UnpackIQ4_XSBlock(const uint8_t* w, size_t row_bytes, int count, int64_t nb, int64_t b, UnpackedBlock* u) {
  const RowGather gather(row_bytes, count);
  const __m512i nibble = _mm512_set1_epi8(0x0f);
  const uint8_t* m = w + kQ4KMetaBytes * b;
  const __m512i scales[2] = {gather(m), gather(m + 4)};
  _mm512_store_ps(u->d, _mm512_cvtph_ps(_mm512_cvtepi32_epi16(gather(m + 16))));
  _mm512_store_ps(u->dmin, _mm512_setzero_ps());
  const __m512i levels = _mm512_broadcast_i32x4(_mm_loadu_si128(reinterpret_cast<const __m128i*>(kIQ4NLValues)));
  const uint8_t* quants = w + Q4KMetaRegion(nb) + kQ4KQuantBytes * b;
  for (int i = 0; i < kSubBlocks; ++i) {
    const __m512i s16 = SignedByteInBothHalves(scales[i / 4], i % 4);
    uint8_t* step = u->tiles + (i / 2) * 2 * kStepBytes + (i % 2) * (kStepBytes / 2);
    for (int k = 0; k < 4; ++k) {
      const __m512i p = gather(quants + 32 * k + 4 * i);
      const __m512i q[2] = {_mm512_and_si512(p, nibble), _mm512_and_si512(_mm512_srli_epi16(p, 4), nibble)};
      for (int half = 0; half < 2; ++half) {
        const int row = k + 4 * half;
        SplitProducts(_mm512_shuffle_epi8(levels, q[half]), s16, step + 64 * row, step + kStepBytes + 64 * row);
      }
    }
  }
}

// The formats the tiles take: their kernel for fewer tokens than a tile,
// layouts, activations and unpacking; kWeightTiles weight tiles a step
// (C_lo + 2^kHiShift C_hi, or C alone), signed or unsigned weights,
// kMinPairs pairs of mins (0: none).
template <bool kFifthBit>
struct Q4_5K {
  static constexpr gguf::GgmlType kType = kFifthBit ? gguf::GgmlType::kQ5_K : gguf::GgmlType::kQ4_K;
  static constexpr int kMetaBytes = kQ4KMetaBytes, kQuantBytes = kFifthBit ? kQ5KQuantBytes : kQ4KQuantBytes;
  static constexpr int kWeightTiles = 2, kHiShift = 3, kMinPairs = 4;
  static constexpr bool kSignedWeights = false;
  static constexpr auto MetaRegion = Q4KMetaRegion;
  static constexpr auto Plain = PlainFromQ8_KI32;
  static constexpr auto Unpack = UnpackBlock<kFifthBit>;
};
template <bool kThirdBit>
struct Q2_3K {
  static constexpr gguf::GgmlType kType = kThirdBit ? gguf::GgmlType::kQ3_K : gguf::GgmlType::kQ2_K;
  static constexpr int kMetaBytes = kThirdBit ? kQ6KMetaBytes : kQ2KMetaBytes;
  static constexpr int kQuantBytes = kThirdBit ? kQ3KQuantBytes : kQ2KQuantBytes;
  static constexpr int kWeightTiles = kThirdBit ? 2 : 1, kHiShift = 3, kMinPairs = kThirdBit ? 0 : 8;
  static constexpr bool kSignedWeights = kThirdBit;
  static constexpr auto MetaRegion = kThirdBit ? Q6KMetaRegion : Q2KMetaRegion;
  static constexpr auto Plain = PlainFromQ8_KI16<!kThirdBit>;
  static constexpr auto Unpack = UnpackQ2_3KBlock<kThirdBit>;
};
struct IQ4XS {
  static constexpr gguf::GgmlType kType = gguf::GgmlType::kIQ4_XS;
  static constexpr int kMetaBytes = kQ4KMetaBytes, kQuantBytes = kQ4KQuantBytes;
  static constexpr int kWeightTiles = 2, kHiShift = 6, kMinPairs = 0;
  static constexpr bool kSignedWeights = true;
  static constexpr auto MetaRegion = Q4KMetaRegion;
  static constexpr auto Plain = PlainFromQ8_KI32;
  static constexpr auto Unpack = UnpackIQ4_XSBlock;
};
struct Q6K {
  static constexpr gguf::GgmlType kType = gguf::GgmlType::kQ6_K;
  static constexpr int kMetaBytes = kQ6KMetaBytes, kQuantBytes = kQ6KQuantBytes;
  static constexpr int kWeightTiles = 2, kHiShift = 6, kMinPairs = 0;
  static constexpr bool kSignedWeights = true;
  static constexpr auto MetaRegion = Q6KMetaRegion;
  static constexpr auto Plain = PlainFromQ8_KI16<false>;
  static constexpr auto Unpack = UnpackQ6_KBlock;
};

// One block's products for 32 tokens (two tiles) and the 16 rows: per token
// tile, the sum of activations x q x lo and of activations x q x hi over the
// block's 4 steps, stored to c as [token tile][lo, hi][16 tokens][16 rows].
// Each weight tile serves both token tiles, each activation tile both
// weight tiles. With `one_tile`, only the first token tile (the last pass of
// a call whose tokens end in its first half).
template <class F>
void ZeroSums(bool one_tile) {
  _tile_zero(0);
  if (F::kWeightTiles == 2) _tile_zero(1);
  if (!one_tile) {
    _tile_zero(2);
    if (F::kWeightTiles == 2) _tile_zero(3);
  }
}

// Tile numbers are immediates, pasted into the instruction's text.
#define APR_TILE_DP(F, C, A, B)           \
  do {                                    \
    if constexpr (F::kSignedWeights) {    \
      _tile_dpbssd(C, A, B);              \
    } else {                              \
      _tile_dpbsud(C, A, B);              \
    }                                     \
  } while (0)

// Step j (64 deep) of a block's products.
template <class F>
void ProductStep(const int8_t* a, const uint8_t* tiles, int j, bool one_tile) {
  _tile_loadd(4, a + kPass * 64 * j, 64);
  _tile_loadd(6, tiles + 2 * kStepBytes * j, 64);
  if (F::kWeightTiles == 2) _tile_loadd(7, tiles + 2 * kStepBytes * j + kStepBytes, 64);
  APR_TILE_DP(F, 0, 4, 6);
  if (F::kWeightTiles == 2) APR_TILE_DP(F, 1, 4, 7);
  if (!one_tile) {
    _tile_loadd(5, a + kTile * 64 + kPass * 64 * j, 64);
    APR_TILE_DP(F, 2, 5, 6);
    if (F::kWeightTiles == 2) APR_TILE_DP(F, 3, 5, 7);
  }
}

template <class F>
void StoreSums(int32_t* c, bool one_tile) {
  _tile_stored(0, c, 64);
  if (F::kWeightTiles == 2) _tile_stored(1, c + kTile * kTile, 64);
  if (!one_tile) {
    _tile_stored(2, c + 2 * kTile * kTile, 64);
    if (F::kWeightTiles == 2) _tile_stored(3, c + 3 * kTile * kTile, 64);
  }
}

template <class F>
void BlockProducts(const int8_t* a, const uint8_t* tiles, int32_t* c, bool one_tile) {
  ZeroSums<F>(one_tile);
  for (int j = 0; j < 4; ++j) ProductStep<F>(a, tiles, j, one_tile);
  StoreSums<F>(c, one_tile);
}

// A token's sums for the 16 rows of a group.
struct alignas(64) RowSums {
  float v[kTile];
};

// Block b's part of a pass's sums for tokens [t0, t1) of its 32 x 16 rows:
// d_a x (d x (C_lo + 8 C_hi) - dmin x the sum of min_i x sum_i).
template <class F>
struct BlockScales {
  __m512 d, dmin;
  __m512i min_pairs[F::kMinPairs > 0 ? F::kMinPairs : 1];
  explicit BlockScales(const UnpackedBlock& u) : d(_mm512_load_ps(u.d)), dmin(_mm512_load_ps(u.dmin)) {
    for (int p = 0; p < F::kMinPairs; ++p) min_pairs[p] = _mm512_load_si512(u.min_pairs[p]);
  }
};

template <class F, bool kFirst>
void ScaleTokens(const int32_t* c, const BlockScales<F>& s, const float* da, const int16_t* sums, unsigned t0,
                 unsigned t1, float* acc) {
  constexpr int kSums = 2 * F::kMinPairs;
  while (t0 < t1) {
    // The tokens of [t0, t1) in t0's token tile, by pointers that step.
    const unsigned end = std::min(t1, (t0 / kTile + 1) * kTile);
    const int32_t* ct = c + (t0 / kTile) * 2 * kTile * kTile + (t0 % kTile) * kTile;
    const int16_t* st = sums + t0 * kSums;
    const float* dt = da + t0;
    float* at = acc + t0 * kTile;
    for (unsigned n = end - t0; n > 0; --n, ct += kTile, st += kSums, ++dt, at += kTile) {
      __m512i sum = _mm512_load_si512(ct);
      if (F::kWeightTiles == 2) {
        sum = _mm512_add_epi32(sum, _mm512_slli_epi32(_mm512_load_si512(ct + kTile * kTile), F::kHiShift));
      }
      const __m512 prev = kFirst ? _mm512_setzero_ps() : _mm512_load_ps(at);
      const __m512 a = _mm512_set1_ps(*dt);
      const __m512 total = _mm512_fmadd_ps(_mm512_cvtepi32_ps(sum), _mm512_mul_ps(s.d, a), prev);
      if constexpr (F::kMinPairs == 0) {
        _mm512_store_ps(at, total);
      } else {
        // The token's sub-block (group) sums in pairs, each broadcast from memory.
        auto pair = [&](int p) { return _mm512_broadcastd_epi32(_mm_loadu_si32(st + 2 * p)); };
        __m512i mins = _mm512_madd_epi16(s.min_pairs[0], pair(0));
#pragma GCC unroll 8
        for (int p = 1; p < F::kMinPairs; ++p) mins = _mm512_dpwssd_epi32(mins, s.min_pairs[p], pair(p));
        _mm512_store_ps(at, _mm512_fnmadd_ps(_mm512_cvtepi32_ps(mins), _mm512_mul_ps(s.dmin, a), total));
      }
    }
    t0 = end;
  }
}

// Scales pass `pass` of block b (its products in c) while the tile unit
// computes the next pass's (a_next into c_next, unless a_next is null), a
// quarter of the tokens after each step, so that neither unit waits long:
// one thread, 0.67-0.92 of the int8 loop against 0.67-0.84 scaling a whole
// pass after the next pass's products were issued.
template <class F>
void ScaleWhileMultiplying(const int32_t* c, const BlockScales<F>& s, const PlainActivations& p, int64_t b,
                           int64_t pass, int tokens, bool first, float* acc, const int8_t* a_next,
                           const uint8_t* tiles, int32_t* c_next, bool one_tile_next) {
  const float* da = p.d.data() + b * p.padded + pass * kPass;
  const int16_t* sums = p.sums.data() + (b * p.padded + pass * kPass) * 2 * F::kMinPairs;
  float* pass_acc = acc + pass * kPass * kTile;
  if (a_next != nullptr) ZeroSums<F>(one_tile_next);
  for (int j = 0; j < 4; ++j) {
    if (a_next != nullptr) ProductStep<F>(a_next, tiles, j, one_tile_next);
    const unsigned t0 = tokens * j / 4, t1 = tokens * (j + 1) / 4;
    if (first) {
      ScaleTokens<F, true>(c, s, da, sums, t0, t1, pass_acc);
    } else {
      ScaleTokens<F, false>(c, s, da, sums, t0, t1, pass_acc);
    }
  }
  if (a_next != nullptr) StoreSums<F>(c_next, one_tile_next);
}

template <class F>
void KQuantRows(const uint8_t* w, size_t row_bytes, int64_t rows, const uint8_t* act, size_t act_row_bytes,
                int64_t tokens, int64_t n, float* y, int64_t y_stride) {
  if (tokens < kTile) {
    internal::Avx512VnniDotKernel(F::kType, true)(w, row_bytes, rows, act, act_row_bytes, tokens, n, y, y_stride);
    return;
  }
  thread_local PlainActivations plain;
  thread_local std::vector<RowSums> acc;  // [padded tokens]
  alignas(64) UnpackedBlock block;
  alignas(64) int32_t c[2][kPass * 2 * kTile];
  const int64_t nb = n / kQKK;
  F::Plain(act, act_row_bytes, tokens, n, &plain);
  const int64_t passes = plain.padded / kPass;
  auto PassTokens = [&](int64_t k) { return static_cast<int>(std::min<int64_t>(kPass, tokens - k * kPass)); };
  acc.resize(plain.padded);
  // Tokens in chunks whose activations stay in L2 while every row group
  // reads them (~1 MiB), each chunk unpacking the weights anew. Long rows
  // are cut into segments of blocks, so that a chunk holds up to 8 passes:
  // all 512 tokens of a 1536-wide matrix in one segment and chunk, an
  // 8960-wide one in 3 segments and chunks of 10 passes, against 6 chunks of
  // 3 passes without segments. Each segment after the first adds its sums
  // to y.
  const int64_t segment_most =
      std::max<int64_t>(1, kL2ActivationBytes / (std::min<int64_t>(passes, 8) * kPassBlockBytes));
  const int64_t segments = (nb + segment_most - 1) / segment_most;
  const int64_t segment = (nb + segments - 1) / segments;
  const int64_t chunk = std::min(passes, std::max<int64_t>(2, kL2ActivationBytes / (segment * kPassBlockBytes)));
  // Every tile 16 rows of 64 bytes: 0-3 results (16 tokens x 16 rows of
  // int32), 4-5 activations (16 tokens x 64 bytes), 6-7 weights (16 x 4
  // bytes of 16 rows).
  cpu::LoadFullTileConfig();
  for (int64_t b0 = 0; b0 < nb; b0 += segment) {
    const int64_t b1 = std::min(nb, b0 + segment);
    for (int64_t k0 = 0; k0 < passes; k0 += chunk) {
      const int64_t k1 = std::min(passes, k0 + chunk);
      for (int64_t r0 = 0; r0 < rows; r0 += kTile) {
        const int count = static_cast<int>(std::min<int64_t>(kTile, rows - r0));
        // A block's weight tiles stay in L1 while every pass of tokens uses
        // them; pass k + 1's products run while pass k is scaled. The chunk's
        // activations come from L2 without software prefetch (prefetching the
        // pass after next cost one thread 5-13%).
        for (int64_t b = b0; b < b1; ++b) {
          F::Unpack(w + r0 * row_bytes, row_bytes, count, nb, b, &block);
          // The gathers of the next block wait on 16 rows' lines, far apart.
          const int64_t next_r0 = b + 1 < b1 ? r0 : r0 + kTile;
          const int64_t next_b = b + 1 < b1 ? b + 1 : b0;
          for (int64_t r = next_r0; r < std::min(rows, next_r0 + kTile); ++r) {
            const char* q = reinterpret_cast<const char*>(w + r * row_bytes + F::MetaRegion(nb) + F::kQuantBytes * next_b);
            for (int line = 0; line < F::kQuantBytes; line += 64) _mm_prefetch(q + line, _MM_HINT_T0);
            _mm_prefetch(reinterpret_cast<const char*>(w + r * row_bytes + F::kMetaBytes * next_b), _MM_HINT_T0);
          }
          BlockProducts<F>(plain.Pass(b, k0), block.tiles, c[k0 & 1], PassTokens(k0) <= kTile);
          const BlockScales<F> scales(block);
          for (int64_t k = k0; k < k1; ++k) {
            const bool next = k + 1 < k1;
            ScaleWhileMultiplying(c[k & 1], scales, plain, b, k, PassTokens(k), b == b0, acc.data()->v,
                                  next ? plain.Pass(b, k + 1) : nullptr, block.tiles, c[(k + 1) & 1],
                                  next && PassTokens(k + 1) <= kTile);
          }
        }
        // Each token's 16 results are one line of y, a row of y apart: stored
        // through the cache, every line is fetched first and the matrix
        // pushes the activations out of L2. Streamed (whole aligned lines)
        // they are not: 1536 x 1536 x 512, one thread, 0.82-0.88 of the int8
        // loop against 0.69-0.71.
        const __mmask16 valid = static_cast<__mmask16>((1u << count) - 1);
        for (int64_t t = k0 * kPass; t < std::min(tokens, k1 * kPass); ++t) {
          float* out = y + t * y_stride + r0;
          const __m512 sums = _mm512_load_ps(acc[t].v);
          if (b0 > 0) {
            _mm512_mask_storeu_ps(out, valid, _mm512_add_ps(_mm512_maskz_loadu_ps(valid, out), sums));
          } else if (count == kTile && reinterpret_cast<uintptr_t>(out) % 64 == 0) {
            _mm512_stream_ps(out, sums);
          } else {
            _mm512_mask_storeu_ps(out, valid, sums);
          }
        }
      }
    }
  }
  _tile_release();
  _mm_sfence();  // streamed stores are ordered before the caller's
}

}  // namespace
}  // namespace amx

namespace internal {

// The k-quant kernel (KQuantRows) lays out its activations; the groups'
// reads them in place.
bool AmxLaysOutActivations(gguf::GgmlType type) { return AmxGroupKernel(type) == nullptr; }

DotRowsFn AmxDotKernel(gguf::GgmlType type, bool repacked) {
  if (!repacked) return nullptr;
  switch (type) {
    case gguf::GgmlType::kQ4_K: return amx::KQuantRows<amx::Q4_5K<false>>;
    case gguf::GgmlType::kQ5_K: return amx::KQuantRows<amx::Q4_5K<true>>;
    case gguf::GgmlType::kQ3_K: return amx::KQuantRows<amx::Q2_3K<true>>;
    case gguf::GgmlType::kQ2_K: return amx::KQuantRows<amx::Q2_3K<false>>;
    case gguf::GgmlType::kQ6_K: return amx::KQuantRows<amx::Q6K>;
    case gguf::GgmlType::kIQ4_XS: return amx::KQuantRows<amx::IQ4XS>;
    default: return AmxGroupKernel(type);
  }
}

}  // namespace internal
}  // namespace quant
