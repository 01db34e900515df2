// An 8 x 8 transpose of 32-bit values in eight 256-bit registers, for
// translation units compiled with AVX2 or later (float GEMM's AVX2 tiles,
// the AMX kernel's activation layout).
#ifndef APR_COMMON_QUANT_TRANSPOSE_AVX_H_
#define APR_COMMON_QUANT_TRANSPOSE_AVX_H_

#include <immintrin.h>

namespace quant {

// static: each instruction set's file keeps its own copy (an AVX-512 one
// given to AVX2 callers stopped Zen 3 under the sanitizers, std_instances.h).

// out[j] lane i = in[i] lane j.
static inline void Transpose8x8(__m256 (&v)[8]) {
  __m256 t[8], s[8];
#pragma GCC unroll 4
  for (int i = 0; i < 4; ++i) {
    t[2 * i] = _mm256_unpacklo_ps(v[2 * i], v[2 * i + 1]);
    t[2 * i + 1] = _mm256_unpackhi_ps(v[2 * i], v[2 * i + 1]);
  }
  // s[4i + c], 128-bit half L: rows 4i..4i+3 of column 4L + c.
#pragma GCC unroll 2
  for (int i = 0; i < 2; ++i) {
    s[4 * i] = _mm256_shuffle_ps(t[4 * i], t[4 * i + 2], 0x44);
    s[4 * i + 1] = _mm256_shuffle_ps(t[4 * i], t[4 * i + 2], 0xEE);
    s[4 * i + 2] = _mm256_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0x44);
    s[4 * i + 3] = _mm256_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0xEE);
  }
#pragma GCC unroll 4
  for (int c = 0; c < 4; ++c) {
    v[c] = _mm256_permute2f128_ps(s[c], s[4 + c], 0x20);
    v[4 + c] = _mm256_permute2f128_ps(s[c], s[4 + c], 0x31);
  }
}

// The same for integers: only the bits move.
static inline void Transpose8x8(__m256i (&v)[8]) {
  __m256 f[8];
  for (int i = 0; i < 8; ++i) f[i] = _mm256_castsi256_ps(v[i]);
  Transpose8x8(f);
  for (int i = 0; i < 8; ++i) v[i] = _mm256_castps_si256(f[i]);
}

}  // namespace quant

#endif  // APR_COMMON_QUANT_TRANSPOSE_AVX_H_
