// AVX-512 (F/BW/VL) and VNNI versions; entered only on CPUs that have them.
#include <immintrin.h>

#include "common/roofline/roofline_kernels.h"
#include "common/simd/avx512_sums.h"

namespace roofline {
namespace {

float Load(const float* a, size_t n) {
  __m512 s0 = _mm512_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
  for (size_t i = 0; i < n; i += 64) {
    s0 = _mm512_add_ps(s0, _mm512_load_ps(a + i));
    s1 = _mm512_add_ps(s1, _mm512_load_ps(a + i + 16));
    s2 = _mm512_add_ps(s2, _mm512_load_ps(a + i + 32));
    s3 = _mm512_add_ps(s3, _mm512_load_ps(a + i + 48));
  }
  return simd::SumLanes(_mm512_add_ps(_mm512_add_ps(s0, s1), _mm512_add_ps(s2, s3)));
}

void Write(float* a, size_t n, float value) {
  const __m512 v = _mm512_set1_ps(value);
  for (size_t i = 0; i < n; i += 64) {
    _mm512_store_ps(a + i, v);
    _mm512_store_ps(a + i + 16, v);
    _mm512_store_ps(a + i + 32, v);
    _mm512_store_ps(a + i + 48, v);
  }
}

void Copy(float* a, const float* b, size_t n) {
  for (size_t i = 0; i < n; i += 64) {
    _mm512_store_ps(a + i, _mm512_load_ps(b + i));
    _mm512_store_ps(a + i + 16, _mm512_load_ps(b + i + 16));
    _mm512_store_ps(a + i + 32, _mm512_load_ps(b + i + 32));
    _mm512_store_ps(a + i + 48, _mm512_load_ps(b + i + 48));
  }
}

void Triad(float* a, const float* b, const float* c, float s, size_t n) {
  const __m512 vs = _mm512_set1_ps(s);
  for (size_t i = 0; i < n; i += 32) {
    _mm512_store_ps(a + i, _mm512_fmadd_ps(vs, _mm512_load_ps(c + i), _mm512_load_ps(b + i)));
    _mm512_store_ps(a + i + 16,
                    _mm512_fmadd_ps(vs, _mm512_load_ps(c + i + 16), _mm512_load_ps(b + i + 16)));
  }
}

// 16 independent FMA chains of 16 lanes: 512 FLOPs an iteration.
float Fp32Fma(uint64_t iterations) {
  __m512 acc[16];
  for (int k = 0; k < 16; ++k) acc[k] = _mm512_set1_ps(1.0f + k * 1e-3f);
  const __m512 m = _mm512_set1_ps(0.999999f), c = _mm512_set1_ps(1e-7f);
  for (uint64_t i = 0; i < iterations; ++i) {
#pragma GCC unroll 16
    for (int k = 0; k < 16; ++k) acc[k] = _mm512_fmadd_ps(acc[k], m, c);
  }
  __m512 s = acc[0];
  for (int k = 1; k < 16; ++k) s = _mm512_add_ps(s, acc[k]);
  return simd::SumLanes(s);
}

// vpdpbusd: 64 u8 x s8 pairs into 16 int32 lanes; 16 chains, 2 ops a pair =
// 2048 ops an iteration.
float Int8Vnni512(uint64_t iterations) {
  __m512i acc[16];
  for (int k = 0; k < 16; ++k) acc[k] = _mm512_set1_epi32(k);
  const __m512i a = _mm512_set1_epi8(3), b = _mm512_set1_epi8(-2);
  for (uint64_t i = 0; i < iterations; ++i) {
#pragma GCC unroll 16
    for (int k = 0; k < 16; ++k) acc[k] = _mm512_dpbusd_epi32(acc[k], a, b);
  }
  __m512i s = acc[0];
  for (int k = 1; k < 16; ++k) s = _mm512_add_epi32(s, acc[k]);
  return static_cast<float>(simd::SumLanes(s));
}

}  // namespace

const MemoryKernelSet& Avx512MemoryKernels() {
  static const MemoryKernelSet set = {"avx512f", Load, Write, Copy, Triad};
  return set;
}

namespace internal {
std::vector<ComputeLoop> Avx512ComputeLoops() {
  return {{"fp32_fma", "avx512f", 512.0, Fp32Fma}, {"int8_dot", "avx512vnni", 2048.0, Int8Vnni512}};
}
}  // namespace internal

}  // namespace roofline
