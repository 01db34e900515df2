// A 16 x 16 transpose of 4-byte elements in AVX-512 registers, for
// translation units compiled with AVX-512F.
#ifndef APR_COMMON_SIMD_AVX512_TRANSPOSE_H_
#define APR_COMMON_SIMD_AVX512_TRANSPOSE_H_

#include <immintrin.h>

namespace simd {

// v[r] becomes lane r of the 16 vectors: v[d][r] = old v[r][d].
inline void Transpose16(__m512* v) {
  __m512 t[16], u[16];
  for (int p = 0; p < 8; ++p) {
    t[2 * p] = _mm512_unpacklo_ps(v[2 * p], v[2 * p + 1]);
    t[2 * p + 1] = _mm512_unpackhi_ps(v[2 * p], v[2 * p + 1]);
  }
  // u[4g + c]: element c of each 128-bit lane of v[4g .. 4g + 3].
  for (int g = 0; g < 4; ++g) {
    const __m512d a = _mm512_castps_pd(t[4 * g]), b = _mm512_castps_pd(t[4 * g + 1]);
    const __m512d c = _mm512_castps_pd(t[4 * g + 2]), d = _mm512_castps_pd(t[4 * g + 3]);
    u[4 * g] = _mm512_castpd_ps(_mm512_unpacklo_pd(a, c));
    u[4 * g + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(a, c));
    u[4 * g + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(b, d));
    u[4 * g + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(b, d));
  }
  // Row 4L + c: lane L of u[c], u[4 + c], u[8 + c], u[12 + c].
  for (int c = 0; c < 4; ++c) {
    const __m512 x0 = _mm512_shuffle_f32x4(u[c], u[4 + c], 0x44), x1 = _mm512_shuffle_f32x4(u[c], u[4 + c], 0xEE);
    const __m512 y0 = _mm512_shuffle_f32x4(u[8 + c], u[12 + c], 0x44);
    const __m512 y1 = _mm512_shuffle_f32x4(u[8 + c], u[12 + c], 0xEE);
    v[c] = _mm512_shuffle_f32x4(x0, y0, 0x88);
    v[4 + c] = _mm512_shuffle_f32x4(x0, y0, 0xDD);
    v[8 + c] = _mm512_shuffle_f32x4(x1, y1, 0x88);
    v[12 + c] = _mm512_shuffle_f32x4(x1, y1, 0xDD);
  }
}

}  // namespace simd

#endif  // APR_COMMON_SIMD_AVX512_TRANSPOSE_H_
