// Sixteen values of a KV cache row as floats, for translation units
// compiled with AVX-512F and F16C.
#ifndef APR_COMMON_SIMD_AVX512_KV_LOAD_H_
#define APR_COMMON_SIMD_AVX512_KV_LOAD_H_

#include <immintrin.h>

#include <cstdint>
#include <cstring>
#include <type_traits>

#include "common/simd/attention_tiled.h"

namespace simd {

// Values [i, i + 16) of a cache row as floats: F32 as is, IEEE halves
// widened, bfloat16 shifted into a float's upper half, Q8_0 (KV = uint8_t)
// codes times their block's scale (i a multiple of 16, so within a block).
template <typename KV>
inline __m512 Load16(const uint8_t* row, int64_t i) {
  if constexpr (std::is_same_v<KV, float>) {
    return _mm512_loadu_ps(reinterpret_cast<const float*>(row) + i);
  } else if constexpr (std::is_same_v<KV, uint16_t>) {
    return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(row + 2 * i)));
  } else if constexpr (std::is_same_v<KV, tiled::Bf16>) {
    const __m512i wide = _mm512_cvtepu16_epi32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(row + 2 * i)));
    return _mm512_castsi512_ps(_mm512_slli_epi32(wide, 16));
  } else {
    const uint8_t* block = row + (i / 32) * 34;
    uint16_t d_bits;
    std::memcpy(&d_bits, block, 2);
    const __m128i codes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(block + 2 + i % 32));
    return _mm512_mul_ps(_mm512_set1_ps(_cvtsh_ss(d_bits)), _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(codes)));
  }
}

}  // namespace simd

#endif  // APR_COMMON_SIMD_AVX512_KV_LOAD_H_
