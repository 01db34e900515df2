// AVX-VNNI (VEX-encoded vpdpbusd on 256-bit registers), for CPUs that have it
// without AVX-512.
#include <immintrin.h>

#include "common/roofline/roofline_kernels.h"

namespace roofline {
namespace {

// 12 chains of 32 pairs, 2 ops a pair = 768 ops an iteration.
float Int8AvxVnni(uint64_t iterations) {
  __m256i acc[12];
  for (int k = 0; k < 12; ++k) acc[k] = _mm256_set1_epi32(k);
  const __m256i a = _mm256_set1_epi8(3), b = _mm256_set1_epi8(-2);
  for (uint64_t i = 0; i < iterations; ++i) {
#pragma GCC unroll 12
    for (int k = 0; k < 12; ++k) acc[k] = _mm256_dpbusd_avx_epi32(acc[k], a, b);
  }
  __m256i s = acc[0];
  for (int k = 1; k < 12; ++k) s = _mm256_add_epi32(s, acc[k]);
  return static_cast<float>(_mm256_extract_epi32(s, 0));
}

}  // namespace

namespace internal {
std::vector<ComputeLoop> AvxVnniComputeLoops() {
  return {{"int8_dot", "avxvnni", 768.0, Int8AvxVnni}};
}
}  // namespace internal

}  // namespace roofline
