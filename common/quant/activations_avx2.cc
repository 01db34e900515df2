#include "common/quant/activations_avx2.h"

#include <immintrin.h>

#include <cstring>

#include "common/quant/fp16.h"

namespace quant::internal {
namespace {

// The largest |x| of 8 * count floats.
float AbsMax(const float* x, int count) {
  const __m256 sign = _mm256_set1_ps(-0.0f);
  __m256 m = _mm256_setzero_ps();
  for (int i = 0; i < count; ++i) m = _mm256_max_ps(m, _mm256_andnot_ps(sign, _mm256_loadu_ps(x + 8 * i)));
  __m128 h = _mm_max_ps(_mm256_castps256_ps128(m), _mm256_extractf128_ps(m, 1));
  h = _mm_max_ps(h, _mm_movehl_ps(h, h));
  h = _mm_max_ss(h, _mm_movehdup_ps(h));
  return _mm_cvtss_f32(h);
}

// round(x * id), clamped to [-127, 127], for 8 floats.
__m256i Quantize8(const float* x, __m256 id) {
  const __m256 r = _mm256_round_ps(_mm256_mul_ps(_mm256_loadu_ps(x), id), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  const __m256i q = _mm256_cvtps_epi32(r);
  return _mm256_max_epi32(_mm256_min_epi32(q, _mm256_set1_epi32(127)), _mm256_set1_epi32(-127));
}

// 32 int32 values (4 vectors, in order) to 32 int8 at `out`.
void Pack32(const __m256i (&q)[4], int8_t* out) {
  const __m256i w01 = _mm256_packs_epi32(q[0], q[1]), w23 = _mm256_packs_epi32(q[2], q[3]);
  const __m256i b = _mm256_packs_epi16(w01, w23);
  // The packs work within 128-bit halves: the 4-byte groups come out as
  // q0[0:4] q1[0:4] q2[0:4] q3[0:4] q0[4:8] q1[4:8] q2[4:8] q3[4:8].
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(out),
                      _mm256_permutevar8x32_epi32(b, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7)));
}

int HorizontalSum(__m256i v) {
  __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4e));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xb1));
  return _mm_cvtsi128_si32(s);
}

// One Q8_0 block of 32: its scale, quants and their sum.
float QuantizeBlock32(const float* x, int8_t* qs, int* sum) {
  const float d = AbsMax(x, 4) / 127;
  const float id = d != 0 ? 1.0f / d : 0;
  __m256i q[4];
  for (int i = 0; i < 4; ++i) q[i] = Quantize8(x + 8 * i, _mm256_set1_ps(id));
  Pack32(q, qs);
  *sum = HorizontalSum(_mm256_add_epi32(_mm256_add_epi32(q[0], q[1]), _mm256_add_epi32(q[2], q[3])));
  return d;
}

}  // namespace

void QuantizeQ8_KIAvx2(const float* x, BlockQ8_KI* y, int64_t n, int group) {
  for (int64_t b = 0; b < n / kQKK; ++b, x += kQKK) {
    BlockQ8_KI& out = y[b];
    const float d = AbsMax(x, kQKK / 8) / 127;
    const float id = d != 0 ? 1.0f / d : 0;
    alignas(32) int8_t plain[kQKK];
    std::memset(&out.q4, 0, sizeof(out.q4));
    for (int c = 0; c < kQKK / 32; ++c) {  // 32 values at a time: one or two groups
      __m256i q[4];
      for (int i = 0; i < 4; ++i) q[i] = Quantize8(x + 32 * c + 8 * i, _mm256_set1_ps(id));
      Pack32(q, plain + 32 * c);
      if (group == 32) {
        out.q4.sums[c] = d * static_cast<float>(HorizontalSum(
                              _mm256_add_epi32(_mm256_add_epi32(q[0], q[1]), _mm256_add_epi32(q[2], q[3]))));
      } else {
        out.q6_offsets[2 * c] = -32 * HorizontalSum(_mm256_add_epi32(q[0], q[1]));
        out.q6_offsets[2 * c + 1] = -32 * HorizontalSum(_mm256_add_epi32(q[2], q[3]));
      }
    }
    out.d = d;
    InterleaveQ8_KI(plain, group, out.qs);
  }
  if (group == 32) PairQ8_KI32(y, n / kQKK);
}

void QuantizeQ8_0Avx2(const float* x, BlockQ8_0* y, int64_t n) {
  for (int64_t b = 0; b < n / kQK; ++b) {
    int sum;
    y[b].d = F32ToF16(QuantizeBlock32(x + b * kQK, y[b].qs, &sum));
  }
}

void QuantizeQ8_0SAvx2(const float* x, BlockQ8_0S* y, int64_t n) {
  for (int64_t b = 0; b < n / kQK; ++b) {
    int sum;
    y[b].d = F16ToF32(F32ToF16(QuantizeBlock32(x + b * kQK, y[b].qs, &sum)));
    y[b].sum = sum;
  }
}

}  // namespace quant::internal
