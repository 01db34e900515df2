// RoundToQ8_0's arithmetic (float_ops.h), inline so that every translation
// unit compiles it for its own instructions: with SSE4.1 and up the
// rounding is one instruction and the loop vectorizes; the baseline calls
// libm. The results are the same everywhere (round half to even).
#ifndef APR_COMMON_SIMD_Q8_ROUNDING_H_
#define APR_COMMON_SIMD_Q8_ROUNDING_H_

#include <cmath>
#include <cstdint>

namespace simd {

inline void RoundRowToQ8_0(const float* x, int64_t n, int8_t* codes, float* scales, int32_t* sums) {
  for (int64_t b = 0; b < n / 32; ++b) {
    const float* xb = x + 32 * b;
    float amax = 0;
    for (int i = 0; i < 32; ++i) amax = std::fabs(xb[i]) > amax ? std::fabs(xb[i]) : amax;
    const float inverse = amax > 0 ? 127.0f / amax : 0.0f;
    int32_t sum = 0;
    for (int i = 0; i < 32; ++i) {
      // Clamped before converting, so a NaN becomes 127, not an undefined conversion.
      float v = xb[i] * inverse;
      v = v < 127.0f ? v : 127.0f;
      v = v > -127.0f ? v : -127.0f;
      const int code = static_cast<int>(std::nearbyint(v));
      codes[32 * b + i] = static_cast<int8_t>(code);
      sum += code;
    }
    scales[b] = amax / 127.0f;
    sums[b] = sum;
  }
}

// The values a row rounded to Q8_0 stands for: out[i] = scales[i / 32] * codes[i].
inline void Q8RowToFloats(const int8_t* codes, const float* scales, int64_t n, float* out) {
  for (int64_t i = 0; i < n; ++i) out[i] = scales[i / 32] * static_cast<float>(codes[i]);
}

}  // namespace simd

#endif  // APR_COMMON_SIMD_Q8_ROUNDING_H_
