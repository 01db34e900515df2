// AVX2 + FMA versions; entered only on CPUs that have both.
#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <type_traits>
#include <vector>

#include "common/simd/attention_tiled.h"
#include "common/simd/avx2_math.h"
#include "common/simd/float_ops.h"

namespace simd {
namespace {

using avx2::Exp;
using avx2::Hsum4;
using tiled::Bf16;

float Dot(const float* a, const float* b, int64_t n) {
  __m256 s0 = _mm256_setzero_ps(), s1 = s0;
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
    s1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), s1);
  }
  const __m256 s = _mm256_add_ps(s0, s1);
  __m128 h = _mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps(s, 1));
  h = _mm_add_ps(h, _mm_movehl_ps(h, h));
  h = _mm_add_ss(h, _mm_movehdup_ps(h));
  float sum = _mm_cvtss_f32(h);
  for (; i < n; ++i) sum += a[i] * b[i];
  return sum;
}

void Axpy(float a, const float* x, float* y, int64_t n) {
  const __m256 va = _mm256_set1_ps(a);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    _mm256_storeu_ps(y + i, _mm256_fmadd_ps(va, _mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i)));
  }
  for (; i < n; ++i) y[i] += a * x[i];
}

void SiluMul(const float* gate, const float* up, float* out, int64_t n) {
  const __m256 one = _mm256_set1_ps(1.0f);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 g = _mm256_loadu_ps(gate + i);
    const __m256 silu = _mm256_div_ps(g, _mm256_add_ps(one, Exp(_mm256_sub_ps(_mm256_setzero_ps(), g))));
    _mm256_storeu_ps(out + i, _mm256_mul_ps(silu, _mm256_loadu_ps(up + i)));
  }
  for (; i < n; ++i) out[i] = gate[i] / (1.0f + std::exp(-gate[i])) * up[i];
}

void GeluMul(const float* gate, const float* up, float* out, int64_t n) {
  const __m256 one = _mm256_set1_ps(1.0f), c = _mm256_set1_ps(0.044715f), scale = _mm256_set1_ps(-kGeluScale);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 g = _mm256_loadu_ps(gate + i);
    const __m256 inner = _mm256_mul_ps(scale, _mm256_fmadd_ps(_mm256_mul_ps(c, g), _mm256_mul_ps(g, g), g));
    const __m256 gelu = _mm256_div_ps(g, _mm256_add_ps(one, Exp(inner)));
    _mm256_storeu_ps(out + i, _mm256_mul_ps(gelu, _mm256_loadu_ps(up + i)));
  }
  for (; i < n; ++i) {
    const float g = gate[i];
    out[i] = g / (1.0f + std::exp(-kGeluScale * (g + 0.044715f * g * g * g))) * up[i];
  }
}

void RmsNorm(const float* x, const float* weight, float eps, int64_t n, float* y) {
  __m256d s0 = _mm256_setzero_pd(), s1 = s0;
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256d lo = _mm256_cvtps_pd(_mm_loadu_ps(x + i)), hi = _mm256_cvtps_pd(_mm_loadu_ps(x + i + 4));
    s0 = _mm256_fmadd_pd(lo, lo, s0);
    s1 = _mm256_fmadd_pd(hi, hi, s1);
  }
  const __m256d s = _mm256_add_pd(s0, s1);
  __m128d h = _mm_add_pd(_mm256_castpd256_pd128(s), _mm256_extractf128_pd(s, 1));
  double sum = _mm_cvtsd_f64(_mm_add_sd(h, _mm_unpackhi_pd(h, h)));
  for (; i < n; ++i) sum += double(x[i]) * x[i];
  const float scale = 1.0f / std::sqrt(static_cast<float>(sum / n) + eps);
  const __m256 vs = _mm256_set1_ps(scale);
  for (i = 0; i + 8 <= n; i += 8) {
    _mm256_storeu_ps(y + i, _mm256_mul_ps(_mm256_mul_ps(_mm256_loadu_ps(x + i), vs), _mm256_loadu_ps(weight + i)));
  }
  for (; i < n; ++i) y[i] = x[i] * scale * weight[i];
}

void Softmax(float* x, int64_t n) {
  const float max = *std::max_element(x, x + n);
  const __m256 vmax = _mm256_set1_ps(max);
  __m256 vsum = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 e = Exp(_mm256_sub_ps(_mm256_loadu_ps(x + i), vmax));
    _mm256_storeu_ps(x + i, e);
    vsum = _mm256_add_ps(vsum, e);
  }
  __m128 h = _mm_add_ps(_mm256_castps256_ps128(vsum), _mm256_extractf128_ps(vsum, 1));
  h = _mm_add_ps(h, _mm_movehl_ps(h, h));
  h = _mm_add_ss(h, _mm_movehdup_ps(h));
  float sum = _mm_cvtss_f32(h);
  for (; i < n; ++i) sum += (x[i] = std::exp(x[i] - max));
  const float inv = 1.0f / sum;
  for (i = 0; i + 8 <= n; i += 8) _mm256_storeu_ps(x + i, _mm256_mul_ps(_mm256_loadu_ps(x + i), _mm256_set1_ps(inv)));
  for (; i < n; ++i) x[i] *= inv;
}

// A cache row's 8 values as floats: float as is, IEEE half widened (F16C),
// bfloat16 shifted into a float's upper half.
inline __m256 Load8(const float* p) { return _mm256_loadu_ps(p); }
inline __m256 Load8(const uint16_t* p) {
  return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
}
inline __m256 Load8(const Bf16* p) {
  const __m256i wide = _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
  return _mm256_castsi256_ps(_mm256_slli_epi32(wide, 16));
}

// dot(q, key) for hd a multiple of 8.
template <typename KV>
float DotKV(const float* q, const KV* key, int64_t hd) {
  __m256 acc = _mm256_setzero_ps();
  for (int64_t i = 0; i < hd; i += 8) acc = _mm256_fmadd_ps(_mm256_loadu_ps(q + i), Load8(key + i), acc);
  __m128 h = _mm_add_ps(_mm256_castps256_ps128(acc), _mm256_extractf128_ps(acc, 1));
  h = _mm_add_ps(h, _mm_movehl_ps(h, h));
  h = _mm_add_ss(h, _mm_movehdup_ps(h));
  return _mm_cvtss_f32(h);
}

// scores[j] = scale * dot(q, key j): 8 keys at a time (8 independent chains
// of multiply-adds, enough to hide their latency), then 4, then 1.
template <typename KV>
void Scores(const float* q, const KV* keys, int64_t stride, int64_t seen, int64_t hd, float scale,
            float* scores) {
  int64_t j = 0;
  for (; j + 8 <= seen; j += 8) {
    __m256 acc[8];
    for (int k = 0; k < 8; ++k) acc[k] = _mm256_setzero_ps();
    for (int64_t i = 0; i < hd; i += 8) {
      const __m256 qv = _mm256_loadu_ps(q + i);
#pragma GCC unroll 8
      for (int k = 0; k < 8; ++k) acc[k] = _mm256_fmadd_ps(qv, Load8(keys + (j + k) * stride + i), acc[k]);
    }
    _mm_storeu_ps(scores + j, _mm_mul_ps(Hsum4(acc), _mm_set1_ps(scale)));
    _mm_storeu_ps(scores + j + 4, _mm_mul_ps(Hsum4(acc + 4), _mm_set1_ps(scale)));
  }
  for (; j + 4 <= seen; j += 4) {
    __m256 acc[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()};
    for (int64_t i = 0; i < hd; i += 8) {
      const __m256 qv = _mm256_loadu_ps(q + i);
      for (int k = 0; k < 4; ++k) acc[k] = _mm256_fmadd_ps(qv, Load8(keys + (j + k) * stride + i), acc[k]);
    }
    _mm_storeu_ps(scores + j, _mm_mul_ps(Hsum4(acc), _mm_set1_ps(scale)));
  }
  for (; j < seen; ++j) scores[j] = DotKV(q, keys + j * stride, hd) * scale;
}

// out = sum_s p[s] * value s, 64 outputs at a time kept in registers across
// all positions, then any rest 8 at a time. (Each loop's accumulators are
// indexed by constants only: a variable index puts them on the stack.)
template <typename KV>
void WeightedSum(const float* p, const KV* values, int64_t stride, int64_t seen, int64_t hd, float* out) {
  int64_t i0 = 0;
  for (; i0 + 64 <= hd; i0 += 64) {
    __m256 acc[8];
    for (int k = 0; k < 8; ++k) acc[k] = _mm256_setzero_ps();
    for (int64_t s = 0; s < seen; ++s) {
      const __m256 ps = _mm256_set1_ps(p[s]);
      const KV* v = values + s * stride + i0;
#pragma GCC unroll 8
      for (int k = 0; k < 8; ++k) acc[k] = _mm256_fmadd_ps(ps, Load8(v + 8 * k), acc[k]);
    }
    for (int k = 0; k < 8; ++k) _mm256_storeu_ps(out + i0 + 8 * k, acc[k]);
  }
  for (; i0 < hd; i0 += 8) {  // hd is a multiple of 8
    __m256 acc = _mm256_setzero_ps();
    for (int64_t s = 0; s < seen; ++s) acc = _mm256_fmadd_ps(_mm256_set1_ps(p[s]), Load8(values + s * stride + i0), acc);
    _mm256_storeu_ps(out + i0, acc);
  }
}

template <typename KV>
void AttendKV(const float* q, const KV* keys, const KV* values, int64_t stride, int64_t seen, int64_t hd,
              float scale, float* scores, float* out) {
  Scores(q, keys, stride, seen, hd, scale, scores);
  Softmax(scores, seen);
  WeightedSum(scores, values, stride, seen, hd, out);
}

// `count` Q8_0 rows of hd values to floats, row r at tile + r * hd.
void DequantizeQ8Rows(const uint8_t* rows, size_t row_bytes, int64_t count, int64_t hd, float* tile) {
  for (int64_t r = 0; r < count; ++r) {
    const uint8_t* row = rows + r * row_bytes;
    tiled::PrefetchRowAhead(row, row_bytes);
    float* dst = tile + r * hd;
    for (int64_t b = 0; b < hd / 32; ++b) {
      const uint8_t* block = row + b * 34;
      uint16_t d_bits;
      std::memcpy(&d_bits, block, 2);
      const __m256 d = _mm256_set1_ps(_cvtsh_ss(d_bits));
      for (int k = 0; k < 4; ++k) {
        const __m128i codes = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(block + 2 + 8 * k));
        _mm256_storeu_ps(dst + 32 * b + 8 * k, _mm256_mul_ps(d, _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(codes))));
      }
    }
  }
}

// Scores of H query rows (qs[h], hd values each) against `count` float
// keys, 4 keys at a time: each key vector loaded serves all H rows. (Two
// rows: 8 accumulators, 4 keys and 2 queries fill AVX2's 16 registers.)
template <int H>
void ScoresRows(const float* const* qs, int64_t hd, const float* keys, int64_t stride, int64_t count, float scale,
                float* const* scores) {
  int64_t j = 0;
  for (; j + 4 <= count; j += 4) {
    __m256 acc[H][4];
#pragma GCC unroll 2
    for (int h = 0; h < H; ++h) {
#pragma GCC unroll 4
      for (int k = 0; k < 4; ++k) acc[h][k] = _mm256_setzero_ps();
    }
    for (int64_t i = 0; i < hd; i += 8) {
#pragma GCC unroll 4
      for (int k = 0; k < 4; ++k) {
        const __m256 kv = _mm256_loadu_ps(keys + (j + k) * stride + i);
#pragma GCC unroll 2
        for (int h = 0; h < H; ++h) acc[h][k] = _mm256_fmadd_ps(_mm256_loadu_ps(qs[h] + i), kv, acc[h][k]);
      }
    }
#pragma GCC unroll 2
    for (int h = 0; h < H; ++h) _mm_storeu_ps(scores[h] + j, _mm_mul_ps(Hsum4(acc[h]), _mm_set1_ps(scale)));
  }
  for (; j < count; ++j) {
    for (int h = 0; h < H; ++h) scores[h][j] = DotKV(qs[h], keys + j * stride, hd) * scale;
  }
}

// outs[h] += sum_j ps[h][j] * value j for H rows, W * 8 outputs from i0 on:
// each value vector loaded serves all H rows (three rows of 32 outputs: 12
// accumulators and 3 broadcast weights, the values read as operands).
template <int H, int W>
void WeightedSumBlock(const float* const* ps, const float* values, int64_t stride, int64_t count, int64_t i0,
                      float* const* outs) {
  __m256 acc[H][W];
#pragma GCC unroll 3
  for (int h = 0; h < H; ++h) {
#pragma GCC unroll 4
    for (int k = 0; k < W; ++k) acc[h][k] = _mm256_loadu_ps(outs[h] + i0 + 8 * k);
  }
  for (int64_t j = 0; j < count; ++j) {
    const float* v = values + j * stride + i0;
#pragma GCC unroll 3
    for (int h = 0; h < H; ++h) {
      const __m256 w = _mm256_set1_ps(ps[h][j]);
#pragma GCC unroll 4
      for (int k = 0; k < W; ++k) acc[h][k] = _mm256_fmadd_ps(w, _mm256_loadu_ps(v + 8 * k), acc[h][k]);
    }
  }
#pragma GCC unroll 3
  for (int h = 0; h < H; ++h) {
#pragma GCC unroll 4
    for (int k = 0; k < W; ++k) _mm256_storeu_ps(outs[h] + i0 + 8 * k, acc[h][k]);
  }
}

// All hd outputs (a multiple of 8): 32 at a time, then the rest.
template <int H>
void WeightedSumRows(const float* const* ps, const float* values, int64_t stride, int64_t count, int64_t hd,
                     float* const* outs) {
  int64_t i0 = 0;
  for (; i0 + 32 <= hd; i0 += 32) WeightedSumBlock<H, 4>(ps, values, stride, count, i0, outs);
  switch ((hd - i0) / 8) {
    case 3: return WeightedSumBlock<H, 3>(ps, values, stride, count, i0, outs);
    case 2: return WeightedSumBlock<H, 2>(ps, values, stride, count, i0, outs);
    case 1: return WeightedSumBlock<H, 1>(ps, values, stride, count, i0, outs);
    default: return;
  }
}

// The tiled driver's kernels on 256-bit vectors: scores two rows a pass
// (8 accumulators, 4 keys and 2 queries fill AVX2's 16 registers), weighted
// sums three.
struct Avx2AttentionKernels {
  static constexpr int kWidth = 8;
  static constexpr int kMaxRows = 3;
  static constexpr int kInPlaceRows = 0;
  static constexpr bool kReadsCacheRows = false;  // float tiles only
  static constexpr bool kTransposesKeys = false;
  static constexpr bool kScoresQ8Keys = false;
  template <typename KV>
  static void Widen(const uint8_t* rows, size_t row_bytes, int64_t count, int64_t hd, float* tile) {
    if constexpr (std::is_same_v<KV, uint8_t>) {
      DequantizeQ8Rows(rows, row_bytes, count, hd, tile);
    } else {
      for (int64_t r = 0; r < count; ++r) {
        const KV* row = reinterpret_cast<const KV*>(rows + r * row_bytes);
        tiled::PrefetchRowAhead(rows + r * row_bytes, row_bytes);
        for (int64_t i = 0; i < hd; i += 8) _mm256_storeu_ps(tile + r * hd + i, Load8(row + i));
      }
    }
  }
  template <typename KV>
  static int Scores(const float* const* qs, int64_t remaining, int64_t hd, const uint8_t* tile, size_t row_bytes,
                    int64_t count, float scale, float* const* scores) {
    static_assert(std::is_same_v<KV, float>);
    const float* keys = reinterpret_cast<const float*>(tile);
    const int64_t stride = row_bytes / 4;
    if (remaining >= 2) {
      ScoresRows<2>(qs, hd, keys, stride, count, scale, scores);
      return 2;
    }
    ScoresRows<1>(qs, hd, keys, stride, count, scale, scores);
    return 1;
  }
  // Threes, 4 as two pairs.
  template <typename KV>
  static int WeightedSum(const float* const* ps, int64_t remaining, const uint8_t* tile, size_t row_bytes,
                         int64_t count, int64_t hd, float* const* outs) {
    static_assert(std::is_same_v<KV, float>);
    const float* values = reinterpret_cast<const float*>(tile);
    const int64_t stride = row_bytes / 4;
    const int take = remaining >= 5 || remaining == 3 ? 3 : remaining >= 2 ? 2 : 1;
    if (take == 3) WeightedSumRows<3>(ps, values, stride, count, hd, outs);
    if (take == 2) WeightedSumRows<2>(ps, values, stride, count, hd, outs);
    if (take == 1) WeightedSumRows<1>(ps, values, stride, count, hd, outs);
    return take;
  }
};

void Attend(const float* q, const float* keys, const float* values, int64_t stride, int64_t seen, int64_t hd,
            float scale, float* scores, float* out) {
  if (hd % 8 != 0) return ScalarFloatOps().attend(q, keys, values, stride, seen, hd, scale, scores, out);
  AttendKV(q, keys, values, stride, seen, hd, scale, scores, out);
}

void AttendKv(const float* q, int64_t q_stride, int64_t tokens, int64_t heads, KvRows keys, KvRows values,
              const int64_t* begin, const int64_t* end, int64_t hd, float scale, float* out, int64_t out_stride,
              float* lse) {
  tiled::AttendKv<Avx2AttentionKernels>(ScalarFloatOps(), q, q_stride, tokens, heads, keys, values, begin, end, hd,
                                        scale, out, out_stride, lse);
}

void AttendGroup(const float* q, int64_t heads, const float* keys, const float* values, int64_t stride,
                 int64_t seen, int64_t hd, float scale, float* scores, float* out) {
  if (hd % 8 != 0) {
    return ScalarFloatOps().attend_group(q, heads, keys, values, stride, seen, hd, scale, scores, out);
  }
  const KvRows k{keys, size_t(stride) * 4, KvElement::kF32}, v{values, size_t(stride) * 4, KvElement::kF32};
  const int64_t begin = 0, end = seen;
  AttendKv(q, heads * hd, 1, heads, k, v, &begin, &end, hd, scale, out, heads * hd, nullptr);
}

void Rope(float* x, int64_t heads, const float* cos, const float* sin, int64_t hd, bool neox) {
  if (hd % 16 != 0) return ScalarFloatOps().rope(x, heads, cos, sin, hd, neox);
  const int64_t half = hd / 2;
  // Interleaved pairs: cos[i], sin[i] for lanes 2i and 2i + 1 of 4 pairs;
  // the pair's first value takes - b sin (the sign flipped on even lanes).
  const __m256i low_pairs = _mm256_setr_epi32(0, 0, 1, 1, 2, 2, 3, 3),
                high_pairs = _mm256_setr_epi32(4, 4, 5, 5, 6, 6, 7, 7);
  const __m256 even_sign = _mm256_castsi256_ps(_mm256_setr_epi32(INT32_MIN, 0, INT32_MIN, 0, INT32_MIN, 0, INT32_MIN, 0));
  for (int64_t h = 0; h < heads; ++h) {
    float* head = x + h * hd;
    for (int64_t i = 0; i < half; i += 8) {
      const __m256 c = _mm256_loadu_ps(cos + i), s = _mm256_loadu_ps(sin + i);
      if (neox) {
        const __m256 a = _mm256_loadu_ps(head + i), b = _mm256_loadu_ps(head + half + i);
        _mm256_storeu_ps(head + i, _mm256_fmsub_ps(a, c, _mm256_mul_ps(b, s)));
        _mm256_storeu_ps(head + half + i, _mm256_fmadd_ps(b, c, _mm256_mul_ps(a, s)));
        continue;
      }
#pragma GCC unroll 2
      for (int part = 0; part < 2; ++part) {
        const __m256i pairs = part == 0 ? low_pairs : high_pairs;
        const __m256 cp = _mm256_permutevar8x32_ps(c, pairs), sp = _mm256_permutevar8x32_ps(s, pairs);
        float* at = head + 2 * i + 8 * part;
        const __m256 v = _mm256_loadu_ps(at), swapped = _mm256_permute_ps(v, 0xB1);
        const __m256 turned = _mm256_xor_ps(_mm256_mul_ps(swapped, sp), even_sign);
        _mm256_storeu_ps(at, _mm256_fmadd_ps(v, cp, turned));
      }
    }
  }
}

void ToHalf(const float* x, uint16_t* out, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m128i h = _mm256_cvtps_ph(_mm256_loadu_ps(x + i), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i), h);
  }
  if (i < n) ScalarFloatOps().to_half(x + i, out + i, n - i);
}

}  // namespace

const FloatOps& Avx2FloatOps() {
  static const FloatOps ops = {"avx2", Dot,         Axpy,     SiluMul, GeluMul, RmsNorm, Softmax,
                                Attend, AttendGroup, AttendKv, Rope,    ToHalf};
  return ops;
}

}  // namespace simd
