// AVX-512 attention over a KV cache: the tiled driver of attention_tiled.h
// with 512-bit kernels (on cores with two 512-bit FMA units, twice AVX2's
// multiply-adds a cycle; elsewhere half the instructions). The other float
// ops are AVX2's. Entered only on CPUs with the AVX-512 tier.

// GCC 12's 512-bit conversion and shuffle intrinsics pass _mm512_undefined_*
// as a merge operand, which -Wmaybe-uninitialized and -Wuninitialized report
// as a use of an uninitialized value (GCC bug 105593).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"

#include <immintrin.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <utility>

#include "common/simd/attention_tiled.h"
#include "common/simd/avx2_math.h"
#include "common/simd/avx512_kv_load.h"
#include "common/simd/avx512_sums.h"
#include "common/simd/avx512_transpose.h"
#include "common/simd/float_ops.h"

namespace simd {
namespace {

// Lane k of the result: the sum of v[k]'s lanes.
inline __m128 Sum4(const __m512* v) {
  const __m256 halves[4] = {FoldHalves(v[0]), FoldHalves(v[1]), FoldHalves(v[2]), FoldHalves(v[3])};
  return avx2::Hsum4(halves);
}

// scores[h][j + k] = scale * dot(qs[h], key j + k) for H rows and K keys
// (1 or 4): each key vector loaded serves all H rows (six rows of four keys:
// 24 accumulators, 4 keys and a query in AVX-512's 32 registers).
template <typename KV, int H, int K>
inline void ScoresStep(const float* const* qs, int64_t hd, const uint8_t* keys, size_t row_bytes, int64_t j,
                       float scale, float* const* scores) {
  __m512 acc[H][K];
#pragma GCC unroll 6
  for (int h = 0; h < H; ++h) {
#pragma GCC unroll 4
    for (int k = 0; k < K; ++k) acc[h][k] = _mm512_setzero_ps();
  }
  for (int64_t i = 0; i < hd; i += 16) {
    __m512 kv[K];
#pragma GCC unroll 4
    for (int k = 0; k < K; ++k) kv[k] = Load16<KV>(keys + (j + k) * row_bytes, i);
#pragma GCC unroll 6
    for (int h = 0; h < H; ++h) {
      const __m512 q = _mm512_loadu_ps(qs[h] + i);
#pragma GCC unroll 4
      for (int k = 0; k < K; ++k) acc[h][k] = _mm512_fmadd_ps(q, kv[k], acc[h][k]);
    }
  }
#pragma GCC unroll 6
  for (int h = 0; h < H; ++h) {
    if constexpr (K == 4) {
      _mm_storeu_ps(scores[h] + j, _mm_mul_ps(Sum4(acc[h]), _mm_set1_ps(scale)));
    } else {
      scores[h][j] = SumLanes(acc[h][0]) * scale;
    }
  }
}

template <typename KV, int H>
void ScoresRows(const float* const* qs, int64_t hd, const uint8_t* keys, size_t row_bytes, int64_t count,
                float scale, float* const* scores) {
  int64_t j = 0;
  for (; j + 4 <= count; j += 4) {
    tiled::PrefetchRowAhead(keys + j * row_bytes, 4 * row_bytes);
    ScoresStep<KV, H, 4>(qs, hd, keys, row_bytes, j, scale, scores);
  }
  for (; j < count; ++j) ScoresStep<KV, H, 1>(qs, hd, keys, row_bytes, j, scale, scores);
}

// The byte offsets of 16 consecutive cache rows, a lane each.
inline __m512i RowOffsets(size_t row_bytes) {
  return _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                            _mm512_set1_epi32(static_cast<int>(row_bytes)));
}

// Lane r: the IEEE-half scale of the Q8_0 block at `block` + offsets[r] (the
// first 2 of the 4 bytes gathered there) as a float, for r < n <= 16; the
// other lanes 0, their rows not read.
inline __m512 Q8ScalesOfRows(const uint8_t* block, __m512i offsets, int64_t n) {
  const __mmask16 present = static_cast<__mmask16>((1u << n) - 1);
  const __m512i words = _mm512_mask_i32gather_epi32(_mm512_setzero_si512(), present, offsets, block, 1);
  return _mm512_cvtph_ps(_mm512_cvtepi32_epi16(words));
}

// outs[h][i0 + 16 k + l] += sum_j weight(h, k, j) * v[k][l] for H rows and
// W vectors of outputs, v the vectors values(j, v) loads for position j:
// each value vector loaded serves all H rows.
template <int H, int W, typename Values, typename Weight>
inline void AccumulateWeighted(int64_t count, int64_t i0, float* const* outs, Values values, Weight weight) {
  __m512 acc[H][W];
#pragma GCC unroll 6
  for (int h = 0; h < H; ++h) {
#pragma GCC unroll 4
    for (int k = 0; k < W; ++k) acc[h][k] = _mm512_loadu_ps(outs[h] + i0 + 16 * k);
  }
  for (int64_t j = 0; j < count; ++j) {
    __m512 v[W];
    values(j, v);
#pragma GCC unroll 6
    for (int h = 0; h < H; ++h) {
#pragma GCC unroll 4
      for (int k = 0; k < W; ++k) acc[h][k] = _mm512_fmadd_ps(_mm512_set1_ps(weight(h, k, j)), v[k], acc[h][k]);
    }
  }
#pragma GCC unroll 6
  for (int h = 0; h < H; ++h) {
#pragma GCC unroll 4
    for (int k = 0; k < W; ++k) _mm512_storeu_ps(outs[h] + i0 + 16 * k, acc[h][k]);
  }
}

// outs[h] += sum_j ps[h][j] * value j for H rows, W * 16 outputs from i0 on.
template <typename KV, int H, int W>
void WeightedSumBlock(const float* const* ps, const uint8_t* values, size_t row_bytes, int64_t count, int64_t i0,
                      float* const* outs) {
  AccumulateWeighted<H, W>(
      count, i0, outs,
      [&](int64_t j, __m512* v) {
        if (i0 == 0) tiled::PrefetchRowAhead(values + j * row_bytes, row_bytes);
#pragma GCC unroll 4
        for (int k = 0; k < W; ++k) v[k] = Load16<KV>(values + j * row_bytes, i0 + 16 * k);
      },
      [&](int h, int, int64_t j) { return ps[h][j]; });
}

// Q8_0 values, outputs i0 .. i0 + 16 W (W / 2 blocks): outs[h] += sum_j
// ps[h][j] * d_jb * code, the weights ps[h][j] times value j's block scales
// taken first (weighted[h][block][j], at fixed offsets from one pointer), so
// each 16 codes cost a sign extension and a conversion before the H rows'
// multiply-adds.
template <int H, int W>
void WeightedSumQ8Block(const float* const* ps, const uint8_t* values, size_t row_bytes, int64_t count, int64_t i0,
                        float* const* outs) {
  constexpr int kBlocks = W / 2;
  alignas(64) float weighted[H][kBlocks][tiled::kTile];
  const __m512i offsets = RowOffsets(row_bytes);
  for (int64_t j0 = 0; j0 < tiled::kTile; j0 += 16) {
    const int64_t n = std::clamp<int64_t>(count - j0, 0, 16);
    for (int c = 0; c < kBlocks; ++c) {
      const __m512 d = Q8ScalesOfRows(values + j0 * row_bytes + (i0 / 32 + c) * 34, offsets, n);
      for (int h = 0; h < H; ++h) _mm512_store_ps(&weighted[h][c][j0], _mm512_mul_ps(_mm512_loadu_ps(ps[h] + j0), d));
    }
  }
  AccumulateWeighted<H, W>(
      count, i0, outs,
      [&](int64_t j, __m512* v) {
        if (i0 == 0) tiled::PrefetchRowAhead(values + j * row_bytes, row_bytes);
        const uint8_t* row = values + j * row_bytes + (i0 / 32) * 34 + 2;
#pragma GCC unroll 4
        for (int k = 0; k < W; ++k) {
          const __m128i codes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(row + (k / 2) * 34 + (k % 2) * 16));
          v[k] = _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(codes));
        }
      },
      [&](int h, int k, int64_t j) { return weighted[h][k / 2][j]; });
}

// All hd outputs (a multiple of 16): 64 at a time, then the rest.
template <typename KV, int H>
void WeightedSumRows(const float* const* ps, const uint8_t* values, size_t row_bytes, int64_t count, int64_t hd,
                     float* const* outs) {
  int64_t i0 = 0;
  if constexpr (std::is_same_v<KV, uint8_t>) {
    for (; i0 + 64 <= hd; i0 += 64) WeightedSumQ8Block<H, 4>(ps, values, row_bytes, count, i0, outs);
    if (hd - i0 == 32) WeightedSumQ8Block<H, 2>(ps, values, row_bytes, count, i0, outs);
    return;
  }
  for (; i0 + 64 <= hd; i0 += 64) WeightedSumBlock<KV, H, 4>(ps, values, row_bytes, count, i0, outs);
  switch ((hd - i0) / 16) {
    case 3: return WeightedSumBlock<KV, H, 3>(ps, values, row_bytes, count, i0, outs);
    case 2: return WeightedSumBlock<KV, H, 2>(ps, values, row_bytes, count, i0, outs);
    case 1: return WeightedSumBlock<KV, H, 1>(ps, values, row_bytes, count, i0, outs);
    default: return;
  }
}

// Calls f.template operator()<H>() for H = take, 1 <= take <= kMost (the
// kernels' register budget), so only the row counts a kernel takes exist.
template <int kMost, typename F>
void WithRows(int take, F&& f) {
  [&]<int... I>(std::integer_sequence<int, I...>) {
    ((take == I + 1 && (f.template operator()<I + 1>(), true)) || ...);
  }(std::make_integer_sequence<int, kMost>{});
}

// scores[h][0, 32) = scale * q_h . key j for H rows over a transposed tile
// (kt[i * 32 + j]: value i of key j): the 32 positions in two vectors' lanes,
// each query value broadcast, so no lane sums (twelve rows: 24 accumulators).
template <int H>
void ScoresOfTransposed(const float* const* qs, int64_t hd, const float* kt, float scale, float* const* scores) {
  __m512 acc[H][2];
#pragma GCC unroll 12
  for (int h = 0; h < H; ++h) acc[h][0] = acc[h][1] = _mm512_setzero_ps();
  for (int64_t i = 0; i < hd; ++i) {
    const __m512 k0 = _mm512_loadu_ps(kt + i * tiled::kTile), k1 = _mm512_loadu_ps(kt + i * tiled::kTile + 16);
#pragma GCC unroll 12
    for (int h = 0; h < H; ++h) {
      const __m512 q = _mm512_set1_ps(qs[h][i]);
      acc[h][0] = _mm512_fmadd_ps(q, k0, acc[h][0]);
      acc[h][1] = _mm512_fmadd_ps(q, k1, acc[h][1]);
    }
  }
  const __m512 s = _mm512_set1_ps(scale);
#pragma GCC unroll 12
  for (int h = 0; h < H; ++h) {
    _mm512_storeu_ps(scores[h], _mm512_mul_ps(acc[h][0], s));
    _mm512_storeu_ps(scores[h] + 16, _mm512_mul_ps(acc[h][1], s));
  }
}

// Q8_0 keys of a tile (kTile rows of hd / 32 blocks) laid out for integer
// products, 16 keys in a vector's lanes: kt[(g * nd + d) * 64 + 4 * r + c] is
// byte c of 4-byte group d of key 16 g + r's codes, plus 128 (vpdpbusd takes
// unsigned bytes on one side); dk[(g * nb + b) * 16 + r] is that key's block
// b scale. Keys past `count` are zero codes with scale 0.
void TransposeQ8Keys(const uint8_t* rows, size_t row_bytes, int64_t count, int64_t hd, uint8_t* kt, float* dk) {
  const int64_t nb = hd / 32, nd = hd / 4;
  const __m512i bias = _mm512_set1_epi8(static_cast<char>(0x80));
  const __m512i offsets = RowOffsets(row_bytes);
  for (int64_t g = 0; g < tiled::kTile / 16; ++g) {
    const int64_t keys = std::clamp<int64_t>(count - 16 * g, 0, 16);
    const uint8_t* first = rows + 16 * g * row_bytes;
    // Two blocks' codes a vector: groups 16 p .. 16 p + 15.
    for (int64_t p = 0; 2 * p < nb; ++p) {
      __m512 v[16];
      for (int64_t r = 0; r < 16; ++r) {
        if (r < keys) {
          const uint8_t* block = first + r * row_bytes + 2 * p * 34 + 2;
          const __m256i lo = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(block));
          const __m256i hi = 2 * p + 1 < nb ? _mm256_loadu_si256(reinterpret_cast<const __m256i*>(block + 34))
                                            : _mm256_setzero_si256();
          v[r] = _mm512_castsi512_ps(_mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1));
        } else {
          v[r] = _mm512_setzero_ps();
        }
      }
      Transpose16(v);
      for (int64_t d = 0; d < 16 && 16 * p + d < nd; ++d) {
        _mm512_storeu_si512(kt + (g * nd + 16 * p + d) * 64, _mm512_xor_si512(_mm512_castps_si512(v[d]), bias));
      }
    }
    for (int64_t b = 0; b < nb; ++b) {
      _mm512_storeu_ps(dk + (g * nb + b) * 16, Q8ScalesOfRows(first + b * 34, offsets, keys));
    }
  }
}

// scores[h][0, kTile) = scale * q_h . key j for H rows rounded to Q8_0
// against keys laid out by TransposeQ8Keys: per block, the codes' products
// summed exactly by vpdpbusd (each sum starts at -128 x the row's code sum,
// cancelling the keys' +128), then scaled by both blocks' scales.
template <int H>
void ScoresOfQ8(const tiled::Q8Query* qs, int64_t hd, const uint8_t* kt, const float* dk, float scale,
                float* const* scores) {
  const int64_t nb = hd / 32, nd = hd / 4;
  for (int64_t g = 0; g < tiled::kTile / 16; ++g) {
    __m512 acc[H];
#pragma GCC unroll 12
    for (int h = 0; h < H; ++h) acc[h] = _mm512_setzero_ps();
    for (int64_t b = 0; b < nb; ++b) {
      __m512i k[8];
#pragma GCC unroll 8
      for (int c = 0; c < 8; ++c) k[c] = _mm512_loadu_si512(kt + (g * nd + 8 * b + c) * 64);
      const __m512 key_scales = _mm512_loadu_ps(dk + (g * nb + b) * 16);
#pragma GCC unroll 12
      for (int h = 0; h < H; ++h) {
        const int8_t* codes = qs[h].codes + 32 * b;
        __m512i dot = _mm512_set1_epi32(-128 * qs[h].sums[b]);
#pragma GCC unroll 8
        for (int c = 0; c < 8; ++c) {
          int32_t four;
          std::memcpy(&four, codes + 4 * c, 4);
          dot = _mm512_dpbusd_epi32(dot, k[c], _mm512_set1_epi32(four));
        }
        const __m512 both = _mm512_mul_ps(key_scales, _mm512_set1_ps(qs[h].scales[b] * scale));
        acc[h] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(dot), both, acc[h]);
      }
    }
#pragma GCC unroll 12
    for (int h = 0; h < H; ++h) _mm512_storeu_ps(scores[h] + 16 * g, acc[h]);
  }
}

// The rows a pass takes: up to `most`, the passes as even as they can be
// (7 rows in passes of 6 as 4 + 3, not 6 + 1).
inline int RowsPerPass(int64_t remaining, int64_t most) {
  const int64_t passes = (remaining + most - 1) / most;
  return static_cast<int>((remaining + passes - 1) / passes);
}

struct Avx512AttentionKernels {
  static constexpr int kWidth = 16;
  static constexpr int kMaxRows = 12;
  // Up to 8 rows read the cache in place, in two passes past 6: decode of
  // models with 7 or 8 query heads a KV head (qwen2.5-0.5b and -7b,
  // qwen3-30b-a3b) reads each tile twice from L1 rather than widening and
  // transposing it (qwen2.5-0.5b at depth 16384: attention 10.7 -> 6.1-6.5
  // ms a token, Zen 5).
  static constexpr int kInPlaceRows = 8;
  static constexpr bool kReadsCacheRows = true;
  static constexpr bool kTransposesKeys = true;
  static constexpr bool kScoresQ8Keys = true;
  template <typename KV>
  static void Widen(const uint8_t* rows, size_t row_bytes, int64_t count, int64_t hd, float* tile) {
    for (int64_t r = 0; r < count; ++r) {
      tiled::PrefetchRowAhead(rows + r * row_bytes, row_bytes);
      for (int64_t i = 0; i < hd; i += 16) _mm512_storeu_ps(tile + r * hd + i, Load16<KV>(rows + r * row_bytes, i));
    }
  }
  template <typename KV>
  static void WidenTransposed(const uint8_t* rows, size_t row_bytes, int64_t count, int64_t hd, float* kt) {
    for (int64_t r = 0; r < count; ++r) tiled::PrefetchRowAhead(rows + r * row_bytes, row_bytes);
    for (int64_t r0 = 0; r0 < tiled::kTile; r0 += 16) {
      for (int64_t i = 0; i < hd; i += 16) {
        __m512 v[16];
        for (int64_t r = 0; r < 16; ++r) {
          v[r] = r0 + r < count ? Load16<KV>(rows + (r0 + r) * row_bytes, i) : _mm512_setzero_ps();
        }
        Transpose16(v);
        for (int64_t d = 0; d < 16; ++d) _mm512_storeu_ps(kt + (i + d) * tiled::kTile + r0, v[d]);
      }
    }
  }
  template <typename KV>
  static int Scores(const float* const* qs, int64_t remaining, int64_t hd, const uint8_t* keys, size_t row_bytes,
                    int64_t count, float scale, float* const* scores) {
    const int take = RowsPerPass(remaining, 6);
    WithRows<6>(take, [&]<int H>() { ScoresRows<KV, H>(qs, hd, keys, row_bytes, count, scale, scores); });
    return take;
  }
  static int ScoresTransposed(const float* const* qs, int64_t remaining, int64_t hd, const float* kt, float scale,
                              float* const* scores) {
    const int take = RowsPerPass(remaining, 12);
    WithRows<12>(take, [&]<int H>() { ScoresOfTransposed<H>(qs, hd, kt, scale, scores); });
    return take;
  }
  static void TransposeQ8Keys(const uint8_t* rows, size_t row_bytes, int64_t count, int64_t hd, uint8_t* kt,
                              float* dk) {
    simd::TransposeQ8Keys(rows, row_bytes, count, hd, kt, dk);
  }
  static int ScoresQ8(const tiled::Q8Query* qs, int64_t remaining, int64_t hd, const uint8_t* kt, const float* dk,
                      float scale, float* const* scores) {
    const int take = RowsPerPass(remaining, 12);
    WithRows<12>(take, [&]<int H>() { ScoresOfQ8<H>(qs, hd, kt, dk, scale, scores); });
    return take;
  }
  template <typename KV>
  static int WeightedSum(const float* const* ps, int64_t remaining, const uint8_t* values, size_t row_bytes,
                         int64_t count, int64_t hd, float* const* outs) {
    const int take = RowsPerPass(remaining, 6);
    WithRows<6>(take, [&]<int H>() { WeightedSumRows<KV, H>(ps, values, row_bytes, count, hd, outs); });
    return take;
  }
};

// AVX2's attention takes the shapes these kernels do not.
void AttendKv(const float* q, int64_t q_stride, int64_t tokens, int64_t heads, KvRows keys, KvRows values,
              const int64_t* begin, const int64_t* end, int64_t hd, float scale, float* out, int64_t out_stride,
              float* lse) {
  tiled::AttendKv<Avx512AttentionKernels>(Avx2FloatOps(), q, q_stride, tokens, heads, keys, values, begin, end, hd,
                                          scale, out, out_stride, lse);
}

}  // namespace

const FloatOps& Avx512FloatOps() {
  static const FloatOps ops = [] {
    FloatOps o = Avx2FloatOps();
    o.isa = "avx512";
    o.attend_kv = AttendKv;
    return o;
  }();
  return ops;
}

}  // namespace simd
