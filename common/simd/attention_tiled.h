// Attention of query rows over a KV cache, a tile of kTile positions at a
// time, with the softmax kept online: the driver the AVX2 and AVX-512 float
// ops share, given their kernels for a tile's scores, its weighted sums and
// the widening of cache rows to floats. For translation units compiled with
// AVX2 + FMA + F16C.
//
//   struct MyKernels { ... };   // as Avx2AttentionKernels in float_ops_avx2.cc
//   simd::tiled::AttendKv<MyKernels>(fallback_ops, q, q_stride, ..., lse);
#ifndef APR_COMMON_SIMD_ATTENTION_TILED_H_
#define APR_COMMON_SIMD_ATTENTION_TILED_H_

#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <vector>

#include "common/simd/avx2_math.h"
#include "common/simd/float_ops.h"
#include "common/simd/q8_query.h"
#include "common/simd/q8_rounding.h"

namespace simd::tiled {

// A tile (16 KB at most, keys then values) stays in L1 while every row
// reads it, so the cache is read from memory once however many heads and
// tokens share it. The tile kPrefetchTiles ahead is requested into L2
// meanwhile (L2 rather than L1, whose few fill buffers the current tile's
// loads need; a few percent faster than none, cold, at 16384 positions).
inline constexpr int64_t kTile = 32;
inline constexpr int64_t kPrefetchTiles = 4;

// Asks for `count` cache rows of `row_bytes` from `first` ahead of their
// use, into L2.
inline void PrefetchRows(const uint8_t* first, size_t row_bytes, int64_t count) {
  const char* p = reinterpret_cast<const char*>(first);
  for (size_t i = 0; i < size_t(count) * row_bytes; i += 64) _mm_prefetch(p + i, _MM_HINT_T1);
}

// A bfloat16 cache element (its bits are a float's upper half).
struct Bf16 {
  uint16_t bits;
};

// Decode reads each KV head's rows once, straight from DRAM. Kernels that
// read cache rows one after another ask, as they reach each, for the bytes
// kPrefetchBytes past it: a few lines among the multiply-adds. A tile's
// burst into L2 (PrefetchRows) left one thread at about half its
// compute-bound rate at 131072 positions; spread 8 KiB ahead it reaches it
// (Zen 5, docs/lab-notes/2026-12-zen5.md).
inline constexpr size_t kPrefetchBytes = 8192;
inline void PrefetchRowAhead(const uint8_t* row, size_t row_bytes) {
  const char* p = reinterpret_cast<const char*>(row) + kPrefetchBytes;
  for (size_t i = 0; i < row_bytes; i += 64) _mm_prefetch(p + i, _MM_HINT_T0);
}

template <typename F>
inline F LoadLanes(const float* p) {
  F v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
template <typename F>
inline void StoreLanes(float* p, F v) {
  std::memcpy(p, &v, sizeof v);
}

// `tokens` x `heads` query rows; row r is token r / heads, head r % heads.
// Against Q8_0 keys, also each row rounded to Q8_0 (q8[r]).
struct QueryRows {
  const float* q;
  int64_t q_stride, tokens, heads, hd;
  const int64_t *begin, *end;  // per token
  float* out;
  int64_t out_stride;
  const Q8Query* q8 = nullptr;
  const float* Query(int64_t r) const { return q + (r / heads) * q_stride + (r % heads) * hd; }
  float* Out(int64_t r) const { return out + (r / heads) * out_stride + (r % heads) * hd; }
};

// Rows of a cache a tile of positions at a time, as floats: F32 rows in
// place; F16, BF16 and Q8_0 (KV = uint8_t) rows widened once into a buffer
// that every head of the group then reads (not once per head).
template <typename Kernels, typename KV>
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
    } else {
      Kernels::template Widen<KV>(first, row_bytes, count, hd, buffer);
      return buffer;
    }
  }
  // The tile as floats transposed: hd rows of kTile positions (those past
  // `count` zero).
  const float* TransposedTile(int64_t j0, int64_t count) const {
    Kernels::template WidenTransposed<KV>(rows + j0 * row_bytes, row_bytes, count, hd, buffer);
    return buffer;
  }
  // Asks for rows [j0, j0 + count) ahead of their use, into L2.
  void Prefetch(int64_t j0, int64_t count) const { PrefetchRows(rows + j0 * row_bytes, row_bytes, count); }
};

template <typename Kernels, typename KV>
FloatTiles<Kernels, KV> TilesOf(KvRows rows, int64_t hd, float* buffer) {
  const int64_t stride = std::is_same_v<KV, float> ? int64_t(rows.row_bytes / 4) : hd;
  return {static_cast<const uint8_t*>(rows.data), rows.row_bytes, hd, buffer, stride};
}

// Per tile: every row's scores (Kernels::Scores<KV> is told how many rows
// remain, is given the first min(remaining, kMaxRows) and says how many it
// took; KV = float for widened tiles, the cache's own type for up to
// kInPlaceRows rows when Kernels::kReadsCacheRows; ScoresTransposed
// likewise over a transposed tile when Kernels::kTransposesKeys), the online
// softmax (a running maximum and sum per row, the outputs rescaled when the
// maximum rises), then every row's weighted sum of the tile's values
// (Kernels::WeightedSum, likewise). Q8_0 keys, when Kernels::kScoresQ8Keys,
// are laid out once a tile for integer products (TransposeQ8Keys) and
// scored against the rows' Q8_0 codes (ScoresQ8). The kernels prefetch
// the rows they read in place or widen (PrefetchRowAhead); only rows read
// otherwise (F32 tiles used as they are, TransposeQ8Keys' keys) get the
// tile prefetch.
// No rows x context score matrix exists; rows whose causal range misses a
// tile skip it, and a tile no row reaches is not read.
template <typename Kernels, typename KK, typename VV>
void AttendTiles(const QueryRows& rows, const FloatTiles<Kernels, KK>& keys, const FloatTiles<Kernels, VV>& values,
                 float scale, float* lse) {
  constexpr int kMax = Kernels::kMaxRows;
  constexpr int N = Kernels::kWidth;  // hd is a multiple of it
  constexpr bool kIntegerKeys = std::is_same_v<KK, uint8_t> && Kernels::kScoresQ8Keys;
  const int64_t n = rows.tokens * rows.heads, hd = rows.hd;
  thread_local std::vector<float> scores, max, sum;
  thread_local std::vector<uint8_t> q8_keys;    // a tile's keys as TransposeQ8Keys lays them out
  thread_local std::vector<float> q8_key_scales;
  if constexpr (kIntegerKeys) {
    q8_keys.resize(kTile * hd);
    q8_key_scales.resize(kTile * hd / 32);
  }
  thread_local std::vector<int64_t> active, first, last;
  thread_local std::vector<const float*> query;
  thread_local std::vector<float*> output;
  scores.resize(n * kTile);
  max.assign(n, -INFINITY);
  sum.assign(n * N, 0.0f);  // per row, N lanes summed at the end
  first.resize(n);
  last.resize(n);
  query.resize(n);
  output.resize(n);
  for (int64_t r = 0; r < n; ++r) {
    first[r] = rows.begin[r / rows.heads];
    last[r] = rows.end[r / rows.heads];
    query[r] = rows.Query(r);
    output[r] = rows.Out(r);
    std::fill(output[r], output[r] + hd, 0.0f);
  }
  const int64_t lo = *std::min_element(rows.begin, rows.begin + rows.tokens);
  const int64_t hi = *std::max_element(rows.end, rows.end + rows.tokens);
  using F = typename avx2::Lanes<N>::F;
  const F minus_inf = F{} - INFINITY;
  for (int64_t j0 = lo; j0 < hi; j0 += kTile) {
    const int64_t count = std::min(kTile, hi - j0);
    active.clear();
    for (int64_t r = 0; r < n; ++r) {
      if (first[r] < j0 + count && last[r] > j0) active.push_back(r);
    }
    if (active.empty()) continue;
    // Rows that all fit one pass read the cache's own rows (when the kernels
    // can), converting each vector once in registers; more rows share a
    // tile widened once into floats (transposed, when the kernels score
    // positions in lanes).
    const bool in_place = Kernels::kReadsCacheRows && int64_t(active.size()) <= Kernels::kInPlaceRows;
    const int64_t ahead = j0 + kPrefetchTiles * kTile;
    if (ahead < hi) {
      const bool keys_by_kernel = in_place ? !kIntegerKeys : !std::is_same_v<KK, float>;
      const bool values_by_kernel = in_place || !std::is_same_v<VV, float>;
      if (!keys_by_kernel) keys.Prefetch(ahead, std::min(kTile, hi - ahead));
      if (!values_by_kernel) values.Prefetch(ahead, std::min(kTile, hi - ahead));
    }
    if constexpr (kIntegerKeys) {
      Kernels::TransposeQ8Keys(keys.rows + j0 * keys.row_bytes, keys.row_bytes, count, hd, q8_keys.data(),
                               q8_key_scales.data());
      for (size_t a = 0; a < active.size();) {
        Q8Query qs[kMax];
        float* ss[kMax];
        const int64_t remaining = active.size() - a;
        for (int64_t i = 0; i < std::min<int64_t>(kMax, remaining); ++i) {
          qs[i] = rows.q8[active[a + i]];
          ss[i] = &scores[active[a + i] * kTile];
        }
        a += Kernels::ScoresQ8(qs, remaining, hd, q8_keys.data(), q8_key_scales.data(), scale, ss);
      }
    } else {
      const float* k = nullptr;
      if (!in_place) {
        if constexpr (Kernels::kTransposesKeys) {
          k = keys.TransposedTile(j0, count);
        } else {
          k = keys.Tile(j0, count);
        }
      }
      for (size_t a = 0; a < active.size();) {
        const float* qs[kMax];
        float* ss[kMax];
        const int64_t remaining = active.size() - a;
        for (int64_t i = 0; i < std::min<int64_t>(kMax, remaining); ++i) {
          qs[i] = query[active[a + i]];
          ss[i] = &scores[active[a + i] * kTile];
        }
        if constexpr (Kernels::kReadsCacheRows) {
          if (in_place) {
            a += Kernels::template Scores<KK>(qs, remaining, hd, keys.rows + j0 * keys.row_bytes, keys.row_bytes, count,
                                               scale, ss);
            continue;
          }
        }
        if constexpr (Kernels::kTransposesKeys) {
          a += Kernels::ScoresTransposed(qs, remaining, hd, k, scale, ss);
        } else {
          a += Kernels::template Scores<float>(qs, remaining, hd, reinterpret_cast<const uint8_t*>(k), keys.stride * 4,
                                               count, scale, ss);
        }
      }
    }
    // Online softmax: positions outside a row's range weigh 0.
    for (int64_t r : active) {
      float* s = &scores[r * kTile];
      const int64_t from = std::max<int64_t>(first[r] - j0, 0), to = std::min(last[r] - j0, count);
      if (from > 0 || to < kTile) {  // a tile at a range's edge
        for (int64_t j = 0; j < kTile; ++j) {
          if (j < from || j >= to) s[j] = -INFINITY;
        }
      }
      F m = LoadLanes<F>(s);
      for (int64_t j = N; j < kTile; j += N) {
        const F x = LoadLanes<F>(s + j);
        m = x > m ? x : m;
      }
      const float new_max = std::max(max[r], avx2::MaxOfLanes<N>(m));
      const float alpha = new_max == max[r] ? 1.0f : std::exp(max[r] - new_max);  // 0 for the first tile
      F total = {};
      for (int64_t j = 0; j < kTile; j += N) {
        // e^-inf = 0 exactly for masked positions (Exp clamps to e^-87 otherwise).
        const F x = LoadLanes<F>(s + j);
        const F e = x == minus_inf ? F{} : avx2::ExpLanes<N>(x - new_max);
        StoreLanes(s + j, e);
        total += e;
      }
      StoreLanes(&sum[r * N], LoadLanes<F>(&sum[r * N]) * alpha + total);
      max[r] = new_max;
      if (alpha != 1.0f) {
        float* o = output[r];
        for (int64_t i = 0; i < hd; i += N) StoreLanes(o + i, LoadLanes<F>(o + i) * alpha);
      }
    }
    const float* v = in_place ? nullptr : values.Tile(j0, count);
    for (size_t a = 0; a < active.size();) {
      const float* ps[kMax];
      float* os[kMax];
      const int64_t remaining = active.size() - a;
      for (int64_t i = 0; i < std::min<int64_t>(kMax, remaining); ++i) {
        ps[i] = &scores[active[a + i] * kTile];
        os[i] = output[active[a + i]];
      }
      if constexpr (Kernels::kReadsCacheRows) {
        if (in_place) {
          a += Kernels::template WeightedSum<VV>(ps, remaining, values.rows + j0 * values.row_bytes, values.row_bytes,
                                                  count, hd, os);
          continue;
        }
      }
      a += Kernels::template WeightedSum<float>(ps, remaining, reinterpret_cast<const uint8_t*>(v), values.stride * 4,
                                                count, hd, os);
    }
  }
  for (int64_t r = 0; r < n; ++r) {
    const float total = avx2::SumOfLanes<N>(LoadLanes<F>(&sum[r * N]));
    const float inv = total > 0 ? 1.0f / total : 0.0f;
    float* o = output[r];
    for (int64_t i = 0; i < hd; i += 8) _mm256_storeu_ps(o + i, _mm256_mul_ps(_mm256_loadu_ps(o + i), _mm256_set1_ps(inv)));
    if (lse) lse[r] = max[r] + std::log(total);
  }
}

template <typename Kernels, typename KK, typename VV>
void AttendRows(const QueryRows& rows, KvRows keys, KvRows values, float scale, float* lse) {
  thread_local std::vector<float> buffer;  // one tile, keys' then values'
  buffer.resize(kTile * rows.hd);
  AttendTiles(rows, TilesOf<Kernels, KK>(keys, rows.hd, buffer.data()),
              TilesOf<Kernels, VV>(values, rows.hd, buffer.data()), scale, lse);
}

// AttendRows with the values' element type `values` chosen at run time.
template <typename Kernels, typename KK>
void AttendRowsWithKeys(const QueryRows& rows, KvRows keys, KvRows values, float scale, float* lse) {
  switch (values.element) {
    case KvElement::kF32: return AttendRows<Kernels, KK, float>(rows, keys, values, scale, lse);
    case KvElement::kF16: return AttendRows<Kernels, KK, uint16_t>(rows, keys, values, scale, lse);
    case KvElement::kBF16: return AttendRows<Kernels, KK, Bf16>(rows, keys, values, scale, lse);
    case KvElement::kQ8_0: return AttendRows<Kernels, KK, uint8_t>(rows, keys, values, scale, lse);
  }
}

// FloatOps::attend_kv on Kernels: keys and values of any element types, hd
// a multiple of Kernels::kWidth (and of 32 for Q8_0); other calls go to
// `fallback`'s.
template <typename Kernels>
void AttendKv(const FloatOps& fallback, const float* q, int64_t q_stride, int64_t tokens, int64_t heads, KvRows keys,
              KvRows values, const int64_t* begin, const int64_t* end, int64_t hd, float scale, float* out,
              int64_t out_stride, float* lse) {
  const bool q8 = keys.element == KvElement::kQ8_0 || values.element == KvElement::kQ8_0;
  if (hd % Kernels::kWidth != 0 || (q8 && hd % 32 != 0)) {
    return fallback.attend_kv(q, q_stride, tokens, heads, keys, values, begin, end, hd, scale, out, out_stride, lse);
  }
  QueryRows rows{q, q_stride, tokens, heads, hd, begin, end, out, out_stride};
  if (keys.element == KvElement::kQ8_0) {
    // Rounded once per call; float kernels read the rounded values back.
    const int64_t n = tokens * heads, nb = hd / 32;
    thread_local std::vector<int8_t> codes;
    thread_local std::vector<float> scales, rounded;
    thread_local std::vector<int32_t> sums;
    thread_local std::vector<Q8Query> q8;
    codes.resize(n * hd);
    scales.resize(n * nb);
    sums.resize(n * nb);
    q8.resize(n);
    for (int64_t r = 0; r < n; ++r) {
      RoundRowToQ8_0(rows.Query(r), hd, &codes[r * hd], &scales[r * nb], &sums[r * nb]);
      q8[r] = {&codes[r * hd], &scales[r * nb], &sums[r * nb]};
    }
    rows.q8 = q8.data();
    if constexpr (!Kernels::kScoresQ8Keys) {
      rounded.resize(n * hd);
      Q8RowToFloats(codes.data(), scales.data(), n * hd, rounded.data());
      rows.q = rounded.data();
      rows.q_stride = heads * hd;
    }
  }
  switch (keys.element) {
    case KvElement::kF32: return AttendRowsWithKeys<Kernels, float>(rows, keys, values, scale, lse);
    case KvElement::kF16: return AttendRowsWithKeys<Kernels, uint16_t>(rows, keys, values, scale, lse);
    case KvElement::kBF16: return AttendRowsWithKeys<Kernels, Bf16>(rows, keys, values, scale, lse);
    case KvElement::kQ8_0: return AttendRowsWithKeys<Kernels, uint8_t>(rows, keys, values, scale, lse);
  }
}

}  // namespace simd::tiled

#endif  // APR_COMMON_SIMD_ATTENTION_TILED_H_
