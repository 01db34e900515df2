// e^x and lane sums on 256-bit vectors, for translation units compiled with
// AVX2 + FMA (the AVX2 and AVX-512 float ops share them).
//
//   __m256 e = simd::avx2::Exp(x);
#ifndef APR_COMMON_SIMD_AVX2_MATH_H_
#define APR_COMMON_SIMD_AVX2_MATH_H_

#include <immintrin.h>

#include <cstring>

#if defined(__AVX2__) && defined(__FMA__)

namespace simd::avx2 {

// Lanes of floats and of int32 as GCC vector types: 8 (AVX2) or 16 (AVX-512).
template <int N>
struct Lanes {
  typedef float F __attribute__((vector_size(4 * N)));
  typedef int I __attribute__((vector_size(4 * N)));
};

// e^x for each lane: x = n ln2 + r with |r| <= ln2/2, e^r by its Taylor
// series to r^6 (relative error below 2e-7 there), times 2^n built in the
// exponent bits. Inputs are clamped to [-87, 88], where 2^n stays normal.
// n is rounded to nearest by adding 1.5 * 2^23, which also leaves it in the
// low mantissa bits.
template <int N>
inline typename Lanes<N>::F ExpLanes(typename Lanes<N>::F x) {
  using F = typename Lanes<N>::F;
  using I = typename Lanes<N>::I;
  const F lo = F{} - 87.0f, hi = F{} + 88.0f;
  x = x < lo ? lo : x;
  x = x > hi ? hi : x;
  const F magic = F{} + 12582912.0f;
  const F t = x * 1.44269504f + magic;
  const F n = t - magic;
  // ln2 in two parts, so n * ln2 is subtracted without rounding error.
  F r = x - n * 0.693145752f;
  r = r - n * 1.42860677e-6f;
  F p = F{} + 1.0f / 720;
  p = p * r + 1.0f / 120;
  p = p * r + 1.0f / 24;
  p = p * r + 1.0f / 6;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  // Casts between vector types of one size keep the bits.
  const I scale = (((I)t - (I)magic) + 127) << 23;
  return p * (F)scale;
}

inline __m256 Exp(__m256 x) {
  return (__m256)ExpLanes<8>((Lanes<8>::F)x);
}

// Horizontal sums of 4 vectors at once: lane j of the result is the sum of v[j].
inline __m128 Hsum4(const __m256* v) {
  const __m256 s01 = _mm256_hadd_ps(v[0], v[1]), s23 = _mm256_hadd_ps(v[2], v[3]);
  const __m256 s = _mm256_hadd_ps(s01, s23);  // per 128-bit half: v0 v1 v2 v3
  return _mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps(s, 1));
}

inline float MaxLanes(__m256 v) {
  __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  m = _mm_max_ps(m, _mm_movehl_ps(m, m));
  return _mm_cvtss_f32(_mm_max_ss(m, _mm_movehdup_ps(m)));
}

inline float SumLanes(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  return _mm_cvtss_f32(_mm_add_ss(s, _mm_movehdup_ps(s)));
}

// Lane sum and maximum of 8 or 16 lanes (16 folded to 8 first).
template <int N>
inline __m256 Fold8(typename Lanes<N>::F v, bool max) {
  if constexpr (N == 8) {
    return (__m256)v;
  } else {
    static_assert(N == 16);
    typename Lanes<8>::F lo, hi;
    std::memcpy(&lo, &v, sizeof lo);
    std::memcpy(&hi, reinterpret_cast<const char*>(&v) + sizeof lo, sizeof hi);
    return max ? _mm256_max_ps((__m256)lo, (__m256)hi) : _mm256_add_ps((__m256)lo, (__m256)hi);
  }
}
template <int N>
inline float SumOfLanes(typename Lanes<N>::F v) { return SumLanes(Fold8<N>(v, false)); }
template <int N>
inline float MaxOfLanes(typename Lanes<N>::F v) { return MaxLanes(Fold8<N>(v, true)); }

}  // namespace simd::avx2

#endif  // __AVX2__ && __FMA__
#endif  // APR_COMMON_SIMD_AVX2_MATH_H_
