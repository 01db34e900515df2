// AVX2 + FMA versions; compiled with AVX2_COPTS, entered only on CPUs with both.
#include <immintrin.h>

#include "common/roofline/roofline_kernels.h"

namespace roofline {
namespace {

float Load(const float* a, size_t n) {
  __m256 s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
  for (size_t i = 0; i < n; i += 32) {
    s0 = _mm256_add_ps(s0, _mm256_load_ps(a + i));
    s1 = _mm256_add_ps(s1, _mm256_load_ps(a + i + 8));
    s2 = _mm256_add_ps(s2, _mm256_load_ps(a + i + 16));
    s3 = _mm256_add_ps(s3, _mm256_load_ps(a + i + 24));
  }
  __m256 s = _mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3));
  __m128 h = _mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps(s, 1));
  h = _mm_hadd_ps(h, h);
  h = _mm_hadd_ps(h, h);
  return _mm_cvtss_f32(h);
}

void Write(float* a, size_t n, float value) {
  const __m256 v = _mm256_set1_ps(value);
  for (size_t i = 0; i < n; i += 32) {
    _mm256_store_ps(a + i, v);
    _mm256_store_ps(a + i + 8, v);
    _mm256_store_ps(a + i + 16, v);
    _mm256_store_ps(a + i + 24, v);
  }
}

void Copy(float* a, const float* b, size_t n) {
  for (size_t i = 0; i < n; i += 32) {
    _mm256_store_ps(a + i, _mm256_load_ps(b + i));
    _mm256_store_ps(a + i + 8, _mm256_load_ps(b + i + 8));
    _mm256_store_ps(a + i + 16, _mm256_load_ps(b + i + 16));
    _mm256_store_ps(a + i + 24, _mm256_load_ps(b + i + 24));
  }
}

void Triad(float* a, const float* b, const float* c, float s, size_t n) {
  const __m256 vs = _mm256_set1_ps(s);
  for (size_t i = 0; i < n; i += 16) {
    _mm256_store_ps(a + i, _mm256_fmadd_ps(vs, _mm256_load_ps(c + i), _mm256_load_ps(b + i)));
    _mm256_store_ps(a + i + 8,
                    _mm256_fmadd_ps(vs, _mm256_load_ps(c + i + 8), _mm256_load_ps(b + i + 8)));
  }
}

// 12 independent FMA chains of 8 lanes: 192 FLOPs an iteration.
float Fp32Fma(uint64_t iterations) {
  __m256 acc[12];
  for (int k = 0; k < 12; ++k) acc[k] = _mm256_set1_ps(1.0f + k * 1e-3f);
  const __m256 m = _mm256_set1_ps(0.999999f), c = _mm256_set1_ps(1e-7f);
  for (uint64_t i = 0; i < iterations; ++i) {
#pragma GCC unroll 12
    for (int k = 0; k < 12; ++k) acc[k] = _mm256_fmadd_ps(acc[k], m, c);
  }
  __m256 s = acc[0];
  for (int k = 1; k < 12; ++k) s = _mm256_add_ps(s, acc[k]);
  return _mm256_cvtss_f32(s);
}

// u8 x s8 pairs as the engine's AVX2 kernels sum them: vpmaddubsw (pairs to
// 16 bits) added in 16-bit lanes for 8 steps, then widened by one vpmaddwd.
// 4 chains x 8 steps of 32 pairs, 2 ops a pair = 2048 ops an iteration. The
// asm barriers keep the compiler from hoisting the loop-invariant products
// and from reassociating the chains.
float Int8Maddubs(uint64_t iterations) {
  __m256i acc[4], a[4];
  for (int k = 0; k < 4; ++k) {
    acc[k] = _mm256_set1_epi32(k);
    a[k] = _mm256_set1_epi8(static_cast<char>(k + 1));
  }
  const __m256i b = _mm256_set1_epi8(-2), ones = _mm256_set1_epi16(1);
  for (uint64_t i = 0; i < iterations; ++i) {
    __m256i sum[4];
    for (int k = 0; k < 4; ++k) sum[k] = _mm256_setzero_si256();
#pragma GCC unroll 8
    for (int step = 0; step < 8; ++step) {
      __asm__ volatile("" : "+x"(a[0]), "+x"(a[1]), "+x"(a[2]), "+x"(a[3]));
#pragma GCC unroll 4
      for (int k = 0; k < 4; ++k) {
        sum[k] = _mm256_add_epi16(sum[k], _mm256_maddubs_epi16(a[k], b));
        __asm__("" : "+x"(sum[k]));
      }
    }
#pragma GCC unroll 4
    for (int k = 0; k < 4; ++k) acc[k] = _mm256_add_epi32(acc[k], _mm256_madd_epi16(sum[k], ones));
  }
  __m256i s = acc[0];
  for (int k = 1; k < 4; ++k) s = _mm256_add_epi32(s, acc[k]);
  return static_cast<float>(_mm256_extract_epi32(s, 0));
}

}  // namespace

const MemoryKernelSet& Avx2MemoryKernels() {
  static const MemoryKernelSet set = {"avx2", Load, Write, Copy, Triad};
  return set;
}

namespace internal {
std::vector<ComputeLoop> Avx2ComputeLoops() {
  return {{"fp32_fma", "avx2", 192.0, Fp32Fma}, {"int8_dot", "avx2", 2048.0, Int8Maddubs}};
}
}  // namespace internal

}  // namespace roofline
