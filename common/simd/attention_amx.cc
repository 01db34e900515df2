// Attention over an F32, F16 or BF16 KV cache on AMX-BF16 tiles: the query
// and the softmax weights are each split into two bfloat16 parts (hi, and
// the rest rounded again: 16 of a float's 24 bits), the cache's values
// likewise (an F16 or BF16 value splits exactly), and a product of two split
// operands takes three tile products (hi x hi, lo x hi, hi x lo; lo x lo is
// below 2^-16 of it), accumulated in float. Per tile of 32 positions the
// keys are laid out once as the B operand of the scores (a 16 x 16
// transpose of value pairs) and the values as that of the weighted sum, for
// every row group of 16 query rows that sees the tile; the online softmax
// runs on the vector units between the two products, on scores the tiles
// wrote to memory, and the outputs accumulate in tiles loaded from and
// stored to a float buffer a row group at a time.

// GCC 12's 512-bit conversion and shuffle intrinsics pass _mm512_undefined_*
// as a merge operand, which -Wmaybe-uninitialized and -Wuninitialized report
// as a use of an uninitialized value (GCC bug 105593).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"

#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "common/cpu/amx_tiles.h"
#include "common/simd/attention_tiled.h"
#include "common/simd/avx2_math.h"
#include "common/simd/avx512_kv_load.h"
#include "common/simd/avx512_transpose.h"
#include "common/simd/float_ops.h"

namespace simd {
namespace {

// Positions a step: one 32-deep product of the weights with the values.
constexpr int64_t kTile = 32;
// bfloat16 words in one 16 x 64-byte tile.
constexpr int64_t kTileWords = 512;
// Rows of query (and output) a tile holds.
constexpr int64_t kGroup = 16;

// Tile registers (the tile macros take literal numbers): 0-3 accumulate
// (scores in 0 and 1), 4 and 5 hold the A operand's hi and lo parts, 6 and 7
// the B operand's.

inline __m256i Bf16Of(__m512 x) {
  const __m256bh h = _mm512_cvtneps_pbh(x);
  __m256i bits;
  std::memcpy(&bits, &h, sizeof bits);
  return bits;
}

inline __m512 FloatOf(__m256i bf16) {
  return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(bf16), 16));
}

// x = hi + lo to within 2^-16 of |x| (each part rounded to nearest).
inline void Split(__m512 x, __m256i* hi, __m256i* lo) {
  *hi = Bf16Of(x);
  *lo = Bf16Of(_mm512_sub_ps(x, FloatOf(*hi)));
}

inline __m512i Join(__m256i low, __m256i high) {
  return _mm512_inserti64x4(_mm512_castsi256_si512(low), high, 1);
}

// Keys [0, count) of a tile as the B operand of scores = Q K^T, positions
// past count zero: for positions 16 c .. 16 c + 15 and head values
// 32 s .. 32 s + 31, tile row p holds values 32 s + 2p and 32 s + 2p + 1 of
// each of the 16 keys. kb[((part * 2 + c) * steps + s) * kTileWords + ...],
// part 0 the hi parts and 1 the lo.
template <typename KK>
void LayOutKeys(const uint8_t* rows, size_t row_bytes, int64_t count, int64_t hd, uint16_t* kb) {
  const int64_t steps = hd / 32;
  for (int64_t c = 0; c < 2; ++c) {
    for (int64_t s = 0; s < steps; ++s) {
      __m512 hi[16], lo[16];
      for (int64_t n = 0; n < 16; ++n) {
        const int64_t j = 16 * c + n;
        if (j >= count) {
          hi[n] = lo[n] = _mm512_setzero_ps();
          continue;
        }
        __m256i h0, l0, h1, l1;
        Split(Load16<KK>(rows + j * row_bytes, 32 * s), &h0, &l0);
        Split(Load16<KK>(rows + j * row_bytes, 32 * s + 16), &h1, &l1);
        hi[n] = _mm512_castsi512_ps(Join(h0, h1));
        lo[n] = _mm512_castsi512_ps(Join(l0, l1));
      }
      Transpose16(hi);
      Transpose16(lo);
      uint16_t* to_hi = kb + (c * steps + s) * kTileWords;
      uint16_t* to_lo = kb + ((2 + c) * steps + s) * kTileWords;
      for (int p = 0; p < 16; ++p) {
        _mm512_storeu_ps(to_hi + 32 * p, hi[p]);
        _mm512_storeu_ps(to_lo + 32 * p, lo[p]);
      }
    }
  }
}

// Values [0, count) of a tile as the B operand of out += P V, positions past
// count zero: for head values 16 b .. 16 b + 15, tile row p holds positions
// 2p and 2p + 1 of each, interleaved. vb[(part * blocks + b) * kTileWords + ...].
template <typename VV>
void LayOutValues(const uint8_t* rows, size_t row_bytes, int64_t count, int64_t hd, uint16_t* vb) {
  const int64_t blocks = hd / 16;
  alignas(64) static constexpr uint16_t kInterleave[32] = {0, 16, 1, 17, 2,  18, 3,  19, 4,  20, 5,
                                                           21, 6, 22, 7, 23, 8,  24, 9,  25, 10, 26,
                                                           11, 27, 12, 28, 13, 29, 14, 30, 15, 31};
  const __m512i interleave = _mm512_load_si512(kInterleave);
  for (int64_t p = 0; p < 16; ++p) {
    const uint8_t* first = rows + 2 * p * row_bytes;
    const bool has0 = 2 * p < count, has1 = 2 * p + 1 < count;
    for (int64_t b = 0; b < blocks; ++b) {
      __m256i h0 = _mm256_setzero_si256(), l0 = h0, h1 = h0, l1 = h0;
      if (has0) Split(Load16<VV>(first, 16 * b), &h0, &l0);
      if (has1) Split(Load16<VV>(first + row_bytes, 16 * b), &h1, &l1);
      _mm512_storeu_si512(vb + b * kTileWords + 32 * p, _mm512_permutexvar_epi16(interleave, Join(h0, h1)));
      _mm512_storeu_si512(vb + (blocks + b) * kTileWords + 32 * p,
                          _mm512_permutexvar_epi16(interleave, Join(l0, l1)));
    }
  }
}

// Scores of 16 query rows (hi and lo parts, rows hd words apart) against a
// tile of keys laid out by LayOutKeys, to scores[16][kTile].
void ScoresOfGroup(const uint16_t* q_hi, const uint16_t* q_lo, int64_t hd, const uint16_t* kb, float* scores) {
  const int64_t steps = hd / 32;
  _tile_zero(0);
  _tile_zero(1);
  // The two accumulators alternate, so no product waits on the one before.
  for (int64_t s = 0; s < steps; ++s) {
    _tile_loadd(4, q_hi + 32 * s, hd * 2);
    _tile_loadd(5, q_lo + 32 * s, hd * 2);
    _tile_loadd(6, kb + s * kTileWords, 64);
    _tile_loadd(7, kb + (steps + s) * kTileWords, 64);
    _tile_dpbf16ps(0, 4, 6);
    _tile_dpbf16ps(1, 4, 7);
    _tile_dpbf16ps(0, 5, 6);
    _tile_dpbf16ps(1, 5, 7);
    _tile_loadd(6, kb + (2 * steps + s) * kTileWords, 64);
    _tile_loadd(7, kb + (3 * steps + s) * kTileWords, 64);
    _tile_dpbf16ps(0, 4, 6);
    _tile_dpbf16ps(1, 4, 7);
  }
  _tile_stored(0, scores, kTile * 4);
  _tile_stored(1, scores + 16, kTile * 4);
}

// acc[16][hd] += P V for 16 rows of weights (hi and lo parts, kTile words a
// row) and a tile of values laid out by LayOutValues; hd a multiple of 32.
void WeightedSumOfGroup(const uint16_t* p_hi, const uint16_t* p_lo, const uint16_t* vb, int64_t hd, float* acc) {
  const int64_t blocks = hd / 16;
  const size_t stride = size_t(hd) * 4;
  // Two accumulators at a time, alternating, so no product waits on the one
  // before: hi x hi and lo x hi, then hi x lo.
#define APR_VALUES_INTO(C0, C1, K)                         \
  _tile_loadd(6, vb + (b + K) * kTileWords, 64);           \
  _tile_loadd(7, vb + (b + K + 1) * kTileWords, 64);       \
  _tile_dpbf16ps(C0, 4, 6);                                \
  _tile_dpbf16ps(C1, 4, 7);                                \
  _tile_dpbf16ps(C0, 5, 6);                                \
  _tile_dpbf16ps(C1, 5, 7);                                \
  _tile_loadd(6, vb + (blocks + b + K) * kTileWords, 64);  \
  _tile_loadd(7, vb + (blocks + b + K + 1) * kTileWords, 64); \
  _tile_dpbf16ps(C0, 4, 6);                                \
  _tile_dpbf16ps(C1, 4, 7);
  _tile_loadd(4, p_hi, kTile * 2);
  _tile_loadd(5, p_lo, kTile * 2);
  for (int64_t b = 0; b < blocks; b += 4) {
    const bool four = b + 4 <= blocks;  // else two (blocks is even)
    _tile_loadd(0, acc + 16 * b, stride);
    _tile_loadd(1, acc + 16 * (b + 1), stride);
    APR_VALUES_INTO(0, 1, 0)
    if (four) {
      _tile_loadd(2, acc + 16 * (b + 2), stride);
      _tile_loadd(3, acc + 16 * (b + 3), stride);
      APR_VALUES_INTO(2, 3, 2)
      _tile_stored(2, acc + 16 * (b + 2), stride);
      _tile_stored(3, acc + 16 * (b + 3), stride);
    }
    _tile_stored(0, acc + 16 * b, stride);
    _tile_stored(1, acc + 16 * (b + 1), stride);
  }
#undef APR_VALUES_INTO
}

template <typename KK, typename VV>
void AttendOnTiles(const float* q, int64_t q_stride, int64_t tokens, int64_t heads, KvRows keys, KvRows values,
                   const int64_t* begin, const int64_t* end, int64_t hd, float scale, float* out, int64_t out_stride,
                   float* lse) {
  using F = avx2::Lanes<16>::F;
  const int64_t n = tokens * heads, padded = n + kGroup;  // a last group may reach 15 rows past n
  const int64_t steps = hd / 32, blocks = hd / 16;
  thread_local std::vector<uint16_t> q_parts, p_parts, kb, vb;
  thread_local std::vector<float> acc, scores, max, sums;  // sums: 16 lanes a row, added up at the end
  q_parts.assign(2 * padded * hd, 0);
  // Zero: the rows a last group reaches past the tokens that see a tile are
  // later tokens' (or padding), which saw no earlier tile either (the ranges
  // do not decrease), so they weigh 0 and their outputs stay as they are.
  p_parts.assign(2 * padded * kTile, 0);
  acc.assign(padded * hd, 0.0f);
  scores.resize(padded * kTile);
  kb.resize(4 * steps * kTileWords);
  vb.resize(2 * blocks * kTileWords);
  max.assign(n, -INFINITY);
  sums.assign(n * 16, 0.0f);
  uint16_t *q_hi = q_parts.data(), *q_lo = q_hi + padded * hd;
  uint16_t *p_hi = p_parts.data(), *p_lo = p_hi + padded * kTile;
  const __m512 scale_lanes = _mm512_set1_ps(scale);
  for (int64_t r = 0; r < n; ++r) {
    const float* row = q + (r / heads) * q_stride + (r % heads) * hd;
    for (int64_t i = 0; i < hd; i += 16) {
      __m256i h, l;
      Split(_mm512_mul_ps(_mm512_loadu_ps(row + i), scale_lanes), &h, &l);
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(q_hi + r * hd + i), h);
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(q_lo + r * hd + i), l);
    }
  }
  const int64_t lo = *std::min_element(begin, begin + tokens), hi = *std::max_element(end, end + tokens);
  const uint8_t* key_rows = static_cast<const uint8_t*>(keys.data);
  const uint8_t* value_rows = static_cast<const uint8_t*>(values.data);
  const __m512 minus_inf = _mm512_set1_ps(-INFINITY);
  cpu::LoadFullTileConfig();
  for (int64_t j0 = lo; j0 < hi; j0 += kTile) {
    const int64_t count = std::min(kTile, hi - j0);
    // The tokens that see a position of the tile: a run, as the ranges'
    // begins and ends do not decrease.
    int64_t t0 = 0;
    while (t0 < tokens && (end[t0] <= j0 || begin[t0] >= j0 + count)) ++t0;
    int64_t t1 = t0;
    while (t1 < tokens && end[t1] > j0 && begin[t1] < j0 + count) ++t1;
    if (t0 == t1) continue;
    const int64_t ahead = j0 + tiled::kPrefetchTiles * kTile;
    if (ahead < hi) {
      tiled::PrefetchRows(key_rows + ahead * keys.row_bytes, keys.row_bytes, std::min(kTile, hi - ahead));
      tiled::PrefetchRows(value_rows + ahead * values.row_bytes, values.row_bytes, std::min(kTile, hi - ahead));
    }
    const int64_t r0 = t0 * heads, r1 = t1 * heads;
    LayOutKeys<KK>(key_rows + j0 * keys.row_bytes, keys.row_bytes, count, hd, kb.data());
    for (int64_t g = r0; g < r1; g += kGroup) {
      ScoresOfGroup(q_hi + g * hd, q_lo + g * hd, hd, kb.data(), scores.data() + g * kTile);
    }
    // Online softmax: positions outside a row's range weigh 0.
    for (int64_t r = r0; r < r1; ++r) {
      const int64_t t = r / heads;
      const int64_t from = std::max<int64_t>(begin[t] - j0, 0), to = std::min(end[t] - j0, count);
      const uint32_t seen = uint32_t((uint64_t(1) << to) - 1) & ~uint32_t((uint64_t(1) << from) - 1);
      const __mmask16 m0 = static_cast<__mmask16>(seen), m1 = static_cast<__mmask16>(seen >> 16);
      const float* s = scores.data() + r * kTile;
      const __m512 v0 = _mm512_mask_blend_ps(m0, minus_inf, _mm512_loadu_ps(s));
      const __m512 v1 = _mm512_mask_blend_ps(m1, minus_inf, _mm512_loadu_ps(s + 16));
      const float new_max = std::max(max[r], _mm512_reduce_max_ps(_mm512_max_ps(v0, v1)));
      const float alpha = new_max == max[r] ? 1.0f : std::exp(max[r] - new_max);  // 0 for the first tile
      const __m512 top = _mm512_set1_ps(new_max);
      const __m512 e0 = _mm512_maskz_mov_ps(m0, (__m512)avx2::ExpLanes<16>((F)_mm512_sub_ps(v0, top)));
      const __m512 e1 = _mm512_maskz_mov_ps(m1, (__m512)avx2::ExpLanes<16>((F)_mm512_sub_ps(v1, top)));
      float* sum = sums.data() + r * 16;
      _mm512_storeu_ps(sum, _mm512_fmadd_ps(_mm512_loadu_ps(sum), _mm512_set1_ps(alpha), _mm512_add_ps(e0, e1)));
      max[r] = new_max;
      if (alpha != 1.0f) {
        float* o = acc.data() + r * hd;
        const __m512 a = _mm512_set1_ps(alpha);
        for (int64_t i = 0; i < hd; i += 16) _mm512_storeu_ps(o + i, _mm512_mul_ps(_mm512_loadu_ps(o + i), a));
      }
      __m256i h, l;
      Split(e0, &h, &l);
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(p_hi + r * kTile), h);
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(p_lo + r * kTile), l);
      Split(e1, &h, &l);
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(p_hi + r * kTile + 16), h);
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(p_lo + r * kTile + 16), l);
    }
    LayOutValues<VV>(value_rows + j0 * values.row_bytes, values.row_bytes, count, hd, vb.data());
    for (int64_t g = r0; g < r1; g += kGroup) {
      WeightedSumOfGroup(p_hi + g * kTile, p_lo + g * kTile, vb.data(), hd, acc.data() + g * hd);
    }
  }
  _tile_release();
  for (int64_t r = 0; r < n; ++r) {
    const float sum = _mm512_reduce_add_ps(_mm512_loadu_ps(sums.data() + r * 16));
    const __m512 inv = _mm512_set1_ps(sum > 0 ? 1.0f / sum : 0.0f);
    float* o = out + (r / heads) * out_stride + (r % heads) * hd;
    for (int64_t i = 0; i < hd; i += 16) _mm512_storeu_ps(o + i, _mm512_mul_ps(_mm512_loadu_ps(&acc[r * hd + i]), inv));
    if (lse) lse[r] = max[r] + std::log(sum);
  }
}

template <typename KK>
void AttendWithKeys(const float* q, int64_t q_stride, int64_t tokens, int64_t heads, KvRows keys, KvRows values,
                    const int64_t* begin, const int64_t* end, int64_t hd, float scale, float* out, int64_t out_stride,
                    float* lse) {
  switch (values.element) {
    case KvElement::kF32:
      return AttendOnTiles<KK, float>(q, q_stride, tokens, heads, keys, values, begin, end, hd, scale, out,
                                      out_stride, lse);
    case KvElement::kF16:
      return AttendOnTiles<KK, uint16_t>(q, q_stride, tokens, heads, keys, values, begin, end, hd, scale, out,
                                         out_stride, lse);
    case KvElement::kBF16:
      return AttendOnTiles<KK, tiled::Bf16>(q, q_stride, tokens, heads, keys, values, begin, end, hd, scale, out,
                                            out_stride, lse);
    case KvElement::kQ8_0: return;  // refused by AttendKvOnTiles
  }
}

// Fewer query rows than this run faster on AVX-512: laying a tile of keys
// and values out for the tiles costs about what scoring it does there (one
// thread, F16 cache, 1024 positions: 6 rows 31 us against 86, 24 rows 109
// against 115, 48 rows 196 against 166, 96 rows 405 against 300).
constexpr int64_t kMinRows = 32;

// Runs on the tiles what they take (AttendKvOnTiles) from kMinRows query
// rows on; AVX-512's attention the rest.
void AttendKv(const float* q, int64_t q_stride, int64_t tokens, int64_t heads, KvRows keys, KvRows values,
              const int64_t* begin, const int64_t* end, int64_t hd, float scale, float* out, int64_t out_stride,
              float* lse) {
  if (tokens * heads < kMinRows ||
      !AttendKvOnTiles(q, q_stride, tokens, heads, keys, values, begin, end, hd, scale, out, out_stride, lse)) {
    Avx512FloatOps().attend_kv(q, q_stride, tokens, heads, keys, values, begin, end, hd, scale, out, out_stride, lse);
  }
}

}  // namespace

bool AttendKvOnTiles(const float* q, int64_t q_stride, int64_t tokens, int64_t heads, KvRows keys, KvRows values,
                     const int64_t* begin, const int64_t* end, int64_t hd, float scale, float* out, int64_t out_stride,
                     float* lse) {
  if (hd % 32 != 0 || tokens < 1 || heads < 1) return false;
  if (keys.element == KvElement::kQ8_0 || values.element == KvElement::kQ8_0) return false;
  for (int64_t t = 1; t < tokens; ++t) {
    if (begin[t] < begin[t - 1] || end[t] < end[t - 1]) return false;
  }
  switch (keys.element) {
    case KvElement::kF32:
      AttendWithKeys<float>(q, q_stride, tokens, heads, keys, values, begin, end, hd, scale, out, out_stride, lse);
      break;
    case KvElement::kF16:
      AttendWithKeys<uint16_t>(q, q_stride, tokens, heads, keys, values, begin, end, hd, scale, out, out_stride, lse);
      break;
    case KvElement::kBF16:
      AttendWithKeys<tiled::Bf16>(q, q_stride, tokens, heads, keys, values, begin, end, hd, scale, out, out_stride,
                                  lse);
      break;
    case KvElement::kQ8_0: return false;
  }
  return true;
}

const FloatOps& AmxFloatOps() {
  static const FloatOps ops = [] {
    FloatOps o = Avx512FloatOps();
    o.isa = "amx";
    o.attend_kv = AttendKv;
    return o;
  }();
  return ops;
}

}  // namespace simd
