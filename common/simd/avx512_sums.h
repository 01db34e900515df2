// Halves and lane sums of 512-bit vectors, for translation units compiled
// with AVX-512 F and DQ (empty elsewhere, so shared kernel files may include
// it). GCC 12.2's _mm512_castps512_ps256 and _mm512_reduce_add_* pass an
// _mm256_undefined_* operand that -Wuninitialized flags once inlined (GCC bug
// 105593); these compute the same without it.
//
//   float total = simd::SumLanes(acc);   // acc: __m512
#ifndef APR_COMMON_SIMD_AVX512_SUMS_H_
#define APR_COMMON_SIMD_AVX512_SUMS_H_

#include <immintrin.h>

#include <cstdint>

#if defined(__AVX512F__) && defined(__AVX512DQ__)

namespace simd {

// Lanes 0-7; no instruction, as the cast it replaces.
inline __m256 LowHalf(__m512 v) { return __builtin_shufflevector(v, v, 0, 1, 2, 3, 4, 5, 6, 7); }
inline __m256i LowHalf(__m512i v) { return __builtin_shufflevector(v, v, 0, 1, 2, 3); }

// Lane i + lane i + 8.
inline __m256 FoldHalves(__m512 v) { return _mm256_add_ps(LowHalf(v), _mm512_extractf32x8_ps(v, 1)); }

inline float SumLanes(__m512 v) {
  const __m256 h = FoldHalves(v);
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  return _mm_cvtss_f32(_mm_add_ss(s, _mm_movehdup_ps(s)));
}

// 32-bit lanes, wrapping as the vector adds do.
inline int32_t SumLanes(__m512i v) {
  const __m256i h = _mm256_add_epi32(LowHalf(v), _mm512_extracti32x8_epi32(v, 1));
  __m128i s = _mm_add_epi32(_mm256_castsi256_si128(h), _mm256_extracti128_si256(h, 1));
  s = _mm_add_epi32(s, _mm_unpackhi_epi64(s, s));
  return _mm_cvtsi128_si32(_mm_add_epi32(s, _mm_shuffle_epi32(s, 1)));
}

}  // namespace simd

#endif  // __AVX512F__ && __AVX512DQ__
#endif  // APR_COMMON_SIMD_AVX512_SUMS_H_
