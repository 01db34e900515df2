// Float vector primitives for the non-matrix parts of a forward pass
// (attention over the KV cache, the FFN's SiLU), with a scalar reference and
// an AVX2+FMA version chosen at run time.
//
//   const FloatOps& ops = BestFloatOps();
//   float s = ops.dot(q, k, 128);
//   ops.axpy(p, v, out, 128);   // out += p * v
//   ops.silu_mul(gate, up, out, n);
#ifndef APR_COMMON_SIMD_FLOAT_OPS_H_
#define APR_COMMON_SIMD_FLOAT_OPS_H_

#include <cstdint>

namespace simd {

// 2 sqrt(2 / pi): GELU's tanh form as a logistic, 0.5 (1 + tanh(y)) = 1 / (1 + e^-2y).
inline constexpr float kGeluScale = 1.5957691216f;

struct FloatOps {
  const char* isa;
  float (*dot)(const float* a, const float* b, int64_t n);
  void (*axpy)(float a, const float* x, float* y, int64_t n);
  // out[i] = silu(gate[i]) * up[i], silu(g) = g / (1 + e^-g).
  void (*silu_mul)(const float* gate, const float* up, float* out, int64_t n);
  // out[i] = gelu(gate[i]) * up[i], GELU's tanh form, computed as
  // g / (1 + e^(-2 sqrt(2/pi) (g + 0.044715 g^3))) (the same function).
  void (*gelu_mul)(const float* gate, const float* up, float* out, int64_t n);
  // y = x / sqrt(mean(x^2) + eps) * weight over n values, the squares
  // summed in double.
  void (*rms_norm)(const float* x, const float* weight, float eps, int64_t n, float* y);
  // x = softmax(x), in place; n >= 1.
  void (*softmax)(float* x, int64_t n);
  // One attention head over `seen` cached positions: scores[j] =
  // scale * dot(q, key j), softmax, out = sum_j scores[j] * value j. Key and
  // value j start at keys + j * stride and values + j * stride; hd values each.
  void (*attend)(const float* q, const float* keys, const float* values, int64_t stride, int64_t seen,
                 int64_t hd, float scale, float* scores, float* out);
  // `heads` heads that share one KV head (grouped-query attention), as
  // `attend` for each: query h at q + h * hd, its scores at scores + h * seen,
  // its output at out + h * hd.
  void (*attend_group)(const float* q, int64_t heads, const float* keys, const float* values, int64_t stride,
                       int64_t seen, int64_t hd, float scale, float* scores, float* out);
  // attend_group over a cache of IEEE halves (an F16 KV cache).
  void (*attend_group_f16)(const float* q, int64_t heads, const uint16_t* keys, const uint16_t* values,
                           int64_t stride, int64_t seen, int64_t hd, float scale, float* scores, float* out);
};

const FloatOps& ScalarFloatOps();
const FloatOps& Avx2FloatOps();
const FloatOps& BestFloatOps();

}  // namespace simd

#endif  // APR_COMMON_SIMD_FLOAT_OPS_H_
