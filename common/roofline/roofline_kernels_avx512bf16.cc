// AVX512-BF16's dot product (vdpbf16ps): the ceiling of BF16 weights'
// prefill, about twice the float multiply-adds' FLOPs where the CPU runs it
// at their instruction rate (Zen 5).
// GCC 12's 512-bit intrinsics pass _mm512_undefined_*() as the unused merge
// operand, which -Wmaybe-uninitialized reports as a use of an uninitialized value.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#include <cstdint>

#include "common/roofline/roofline_kernels.h"
#include "common/simd/avx512_sums.h"

namespace roofline {
namespace {

// vdpbf16ps: 16 lanes x 2 bf16 products, 2 ops each = 64 ops; 16 chains =
// 1024 ops an iteration.
float Bf16Dot512(uint64_t iterations) {
  __m512 acc[16];
  for (int k = 0; k < 16; ++k) acc[k] = _mm512_set1_ps(float(k));
  const __m512bh a = (__m512bh)_mm512_set1_epi16(0x3f80), b = (__m512bh)_mm512_set1_epi16(0x3a80);  // 1, 1/1024
  for (uint64_t i = 0; i < iterations; ++i) {
#pragma GCC unroll 16
    for (int k = 0; k < 16; ++k) acc[k] = _mm512_dpbf16_ps(acc[k], a, b);
  }
  __m512 s = acc[0];
  for (int k = 1; k < 16; ++k) s = _mm512_add_ps(s, acc[k]);
  return simd::SumLanes(s);
}

}  // namespace

namespace internal {
std::vector<ComputeLoop> Avx512Bf16ComputeLoops() { return {{"bf16_dot", "avx512bf16", 1024.0, Bf16Dot512}}; }
}  // namespace internal
}  // namespace roofline
