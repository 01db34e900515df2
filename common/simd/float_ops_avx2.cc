// AVX2 + FMA versions; entered only on CPUs that have both.
#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <type_traits>
#include <vector>

#include "common/simd/float_ops.h"

namespace simd {
namespace {

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

// e^x for 8 floats: x = n ln2 + r with |r| <= ln2/2, e^r by its Taylor
// series to r^6 (relative error below 2e-7 there), times 2^n built in the
// exponent bits. Inputs are clamped to [-87, 88], where 2^n stays normal.
__m256 Exp(__m256 x) {
  x = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(-87.0f)), _mm256_set1_ps(88.0f));
  const __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504f)),
                                   _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  // ln2 in two parts, so n * ln2 is subtracted without rounding error.
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693145752f), x);
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(1.42860677e-6f), r);
  __m256 p = _mm256_set1_ps(1.0f / 720);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 120));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 24));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 6));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.5f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
  const __m256i scale = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
  return _mm256_mul_ps(p, _mm256_castsi256_ps(scale));
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

// Horizontal sums of 4 vectors at once: lane j of the result is the sum of v[j].
__m128 Hsum4(const __m256* v) {
  const __m256 s01 = _mm256_hadd_ps(v[0], v[1]), s23 = _mm256_hadd_ps(v[2], v[3]);
  const __m256 s = _mm256_hadd_ps(s01, s23);  // per 128-bit half: v0 v1 v2 v3
  return _mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps(s, 1));
}

// A bfloat16 cache element (its bits are a float's upper half).
struct Bf16 {
  uint16_t bits;
};

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

// Rows of a cache a tile of positions at a time, as floats: F32 rows in
// place; F16, BF16 and Q8_0 rows widened or dequantized once into a buffer
// that every head of the group then reads (not once per head).
template <typename KV>
struct FloatTiles {
  const uint8_t* rows;
  size_t row_bytes;
  int64_t hd;
  float* buffer;   // kTile x hd; unused for F32
  int64_t stride;  // of the rows Tile returns: hd, or an F32 row's length
  const float* Tile(int64_t j0, int64_t count) const {
    const uint8_t* first = rows + j0 * row_bytes;
    if constexpr (std::is_same_v<KV, float>) {
      return reinterpret_cast<const float*>(first);
    } else if constexpr (std::is_same_v<KV, uint8_t>) {  // Q8_0 blocks
      DequantizeQ8Rows(first, row_bytes, count, hd, buffer);
      return buffer;
    } else {
      for (int64_t r = 0; r < count; ++r) {
        const KV* row = reinterpret_cast<const KV*>(first + r * row_bytes);
        for (int64_t i = 0; i < hd; i += 8) _mm256_storeu_ps(buffer + r * hd + i, Load8(row + i));
      }
      return buffer;
    }
  }
  // Asks for rows [j0, j0 + count) ahead of their use, into L2.
  void Prefetch(int64_t j0, int64_t count) const {
    const char* p = reinterpret_cast<const char*>(rows + j0 * row_bytes);
    for (size_t i = 0; i < size_t(count) * row_bytes; i += 64) _mm_prefetch(p + i, _MM_HINT_T1);
  }
};

template <typename KV>
FloatTiles<KV> TilesOf(KvRows rows, int64_t hd, float* buffer) {
  const int64_t stride = std::is_same_v<KV, float> ? int64_t(rows.row_bytes / 4) : hd;
  return {static_cast<const uint8_t*>(rows.data), rows.row_bytes, hd, buffer, stride};
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

// How many heads a weighted-sum pass takes: threes, 4 as two pairs.
inline int HeadsPerPass(int64_t remaining) { return remaining >= 5 || remaining == 3 ? 3 : remaining >= 2 ? 2 : 1; }

// Attention of query rows over a cache, a tile of kTile positions at a time,
// with the softmax kept online (a running maximum and sum per row, the
// outputs rescaled when the maximum rises), so no rows x context score
// matrix exists: per tile, every row's scores, then every row's weighted
// sum of the tile's values. A tile (16 KB at most, keys then values) stays
// in L1 while every row reads it, so the cache is read from memory once
// however many heads and tokens share it; rows whose causal range misses a
// tile skip it, and a tile no row reaches is not read. The tile kPrefetchTiles
// ahead is requested into L2 meanwhile (L2 rather than L1, whose few fill
// buffers the current tile's loads need; a few percent faster than none,
// cold, at 16384 positions).
inline constexpr int64_t kTile = 32;
inline constexpr int64_t kPrefetchTiles = 4;

struct QueryRows {
  const float* q;
  int64_t q_stride, tokens, heads, hd;
  const int64_t *begin, *end;  // per token
  float* out;
  int64_t out_stride;
  const float* Query(int64_t r) const { return q + (r / heads) * q_stride + (r % heads) * hd; }
  float* Out(int64_t r) const { return out + (r / heads) * out_stride + (r % heads) * hd; }
};

template <typename KV>
void AttendTiled(const QueryRows& rows, const FloatTiles<KV>& keys, const FloatTiles<KV>& values, float scale,
                 float* lse) {
  const int64_t n = rows.tokens * rows.heads, hd = rows.hd;
  thread_local std::vector<float> scores, max, sum;
  thread_local std::vector<int64_t> active;
  scores.resize(n * kTile);
  max.assign(n, -INFINITY);
  sum.assign(n, 0.0f);
  for (int64_t r = 0; r < n; ++r) std::fill(rows.Out(r), rows.Out(r) + hd, 0.0f);
  const int64_t lo = *std::min_element(rows.begin, rows.begin + rows.tokens);
  const int64_t hi = *std::max_element(rows.end, rows.end + rows.tokens);
  const __m256 minus_inf = _mm256_set1_ps(-INFINITY);
  for (int64_t j0 = lo; j0 < hi; j0 += kTile) {
    const int64_t count = std::min(kTile, hi - j0);
    active.clear();
    for (int64_t r = 0; r < n; ++r) {
      const int64_t t = r / rows.heads;
      if (rows.begin[t] < j0 + count && rows.end[t] > j0) active.push_back(r);
    }
    if (active.empty()) continue;
    const int64_t ahead = j0 + kPrefetchTiles * kTile;
    if (ahead < hi) {
      keys.Prefetch(ahead, std::min(kTile, hi - ahead));
      values.Prefetch(ahead, std::min(kTile, hi - ahead));
    }
    const float* k = keys.Tile(j0, count);
    size_t a = 0;
    for (; a + 2 <= active.size(); a += 2) {
      const float* qs[2] = {rows.Query(active[a]), rows.Query(active[a + 1])};
      float* ss[2] = {&scores[active[a] * kTile], &scores[active[a + 1] * kTile]};
      ScoresRows<2>(qs, hd, k, keys.stride, count, scale, ss);
    }
    if (a < active.size()) {
      const float* qs[1] = {rows.Query(active[a])};
      float* ss[1] = {&scores[active[a] * kTile]};
      ScoresRows<1>(qs, hd, k, keys.stride, count, scale, ss);
    }
    // Online softmax: positions outside a row's range weigh 0.
    for (int64_t r : active) {
      float* s = &scores[r * kTile];
      const int64_t t = r / rows.heads;
      const int64_t from = std::max<int64_t>(rows.begin[t] - j0, 0), to = std::min(rows.end[t] - j0, count);
      if (from > 0 || to < kTile) {  // a tile at a range's edge
        for (int64_t j = 0; j < kTile; ++j) {
          if (j < from || j >= to) s[j] = -INFINITY;
        }
      }
      __m256 m8 = minus_inf;
      for (int64_t j = 0; j < kTile; j += 8) m8 = _mm256_max_ps(m8, _mm256_loadu_ps(s + j));
      __m128 m4 = _mm_max_ps(_mm256_castps256_ps128(m8), _mm256_extractf128_ps(m8, 1));
      m4 = _mm_max_ps(m4, _mm_movehl_ps(m4, m4));
      m4 = _mm_max_ss(m4, _mm_movehdup_ps(m4));
      const float new_max = std::max(max[r], _mm_cvtss_f32(m4));
      const float alpha = std::exp(max[r] - new_max);  // 0 for the first tile
      __m256 total = _mm256_setzero_ps();
      for (int64_t j = 0; j < kTile; j += 8) {
        // e^-inf = 0 exactly for masked positions (Exp clamps to e^-87 otherwise).
        const __m256 x = _mm256_loadu_ps(s + j);
        const __m256 e = _mm256_and_ps(Exp(_mm256_sub_ps(x, _mm256_set1_ps(new_max))),
                                       _mm256_cmp_ps(x, minus_inf, _CMP_NEQ_OQ));
        _mm256_storeu_ps(s + j, e);
        total = _mm256_add_ps(total, e);
      }
      __m128 t4 = _mm_add_ps(_mm256_castps256_ps128(total), _mm256_extractf128_ps(total, 1));
      t4 = _mm_add_ps(t4, _mm_movehl_ps(t4, t4));
      t4 = _mm_add_ss(t4, _mm_movehdup_ps(t4));
      sum[r] = sum[r] * alpha + _mm_cvtss_f32(t4);
      max[r] = new_max;
      if (alpha != 1.0f) {
        float* o = rows.Out(r);
        for (int64_t i = 0; i < hd; i += 8) _mm256_storeu_ps(o + i, _mm256_mul_ps(_mm256_loadu_ps(o + i), _mm256_set1_ps(alpha)));
      }
    }
    const float* v = values.Tile(j0, count);
    a = 0;
    for (; a < active.size();) {
      const int take = HeadsPerPass(int64_t(active.size() - a));
      const float* ps[3];
      float* os[3];
      for (int i = 0; i < take; ++i) {
        ps[i] = &scores[active[a + i] * kTile];
        os[i] = rows.Out(active[a + i]);
      }
      if (take == 3) WeightedSumRows<3>(ps, v, values.stride, count, hd, os);
      if (take == 2) WeightedSumRows<2>(ps, v, values.stride, count, hd, os);
      if (take == 1) WeightedSumRows<1>(ps, v, values.stride, count, hd, os);
      a += take;
    }
  }
  for (int64_t r = 0; r < n; ++r) {
    const float inv = sum[r] > 0 ? 1.0f / sum[r] : 0.0f;
    float* o = rows.Out(r);
    for (int64_t i = 0; i < hd; i += 8) _mm256_storeu_ps(o + i, _mm256_mul_ps(_mm256_loadu_ps(o + i), _mm256_set1_ps(inv)));
    if (lse) lse[r] = max[r] + std::log(sum[r]);
  }
}

void Attend(const float* q, const float* keys, const float* values, int64_t stride, int64_t seen, int64_t hd,
            float scale, float* scores, float* out) {
  if (hd % 8 != 0) return ScalarFloatOps().attend(q, keys, values, stride, seen, hd, scale, scores, out);
  AttendKV(q, keys, values, stride, seen, hd, scale, scores, out);
}

void AttendGroup(const float* q, int64_t heads, const float* keys, const float* values, int64_t stride,
                 int64_t seen, int64_t hd, float scale, float* scores, float* out) {
  if (hd % 8 != 0) {
    return ScalarFloatOps().attend_group(q, heads, keys, values, stride, seen, hd, scale, scores, out);
  }
  const KvRows k{keys, size_t(stride) * 4, KvElement::kF32}, v{values, size_t(stride) * 4, KvElement::kF32};
  const int64_t begin = 0, end = seen;
  const QueryRows rows{q, heads * hd, 1, heads, hd, &begin, &end, out, heads * hd};
  AttendTiled(rows, TilesOf<float>(k, hd, nullptr), TilesOf<float>(v, hd, nullptr), scale, nullptr);
}

template <typename KV>
void AttendRows(const QueryRows& rows, KvRows keys, KvRows values, float scale, float* lse) {
  thread_local std::vector<float> buffer;  // one tile, keys' then values'
  buffer.resize(kTile * rows.hd);
  AttendTiled(rows, TilesOf<KV>(keys, rows.hd, buffer.data()), TilesOf<KV>(values, rows.hd, buffer.data()), scale,
              lse);
}

void AttendKv(const float* q, int64_t q_stride, int64_t tokens, int64_t heads, KvRows keys, KvRows values,
              const int64_t* begin, const int64_t* end, int64_t hd, float scale, float* out, int64_t out_stride,
              float* lse) {
  const bool fits = keys.element == KvElement::kQ8_0 ? hd % 32 == 0 : hd % 8 == 0;
  if (!fits || keys.element != values.element || keys.row_bytes != values.row_bytes) {
    return ScalarFloatOps().attend_kv(q, q_stride, tokens, heads, keys, values, begin, end, hd, scale, out,
                                      out_stride, lse);
  }
  const QueryRows rows{q, q_stride, tokens, heads, hd, begin, end, out, out_stride};
  switch (keys.element) {
    case KvElement::kF32: return AttendRows<float>(rows, keys, values, scale, lse);
    case KvElement::kF16: return AttendRows<uint16_t>(rows, keys, values, scale, lse);
    case KvElement::kBF16: return AttendRows<Bf16>(rows, keys, values, scale, lse);
    case KvElement::kQ8_0: return AttendRows<uint8_t>(rows, keys, values, scale, lse);
  }
}

}  // namespace

const FloatOps& Avx2FloatOps() {
  static const FloatOps ops = {"avx2",  Dot,     Axpy,   SiluMul,     GeluMul,
                                RmsNorm, Softmax, Attend, AttendGroup, AttendKv};
  return ops;
}

}  // namespace simd
