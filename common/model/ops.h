// The element-wise pieces of a transformer layer, named after the math.
#ifndef APR_COMMON_MODEL_OPS_H_
#define APR_COMMON_MODEL_OPS_H_

#include <cstdint>

namespace model {

// y = x / sqrt(mean(x^2) + eps) * weight, over n values.
void RmsNorm(const float* x, const float* weight, float eps, int64_t n, float* y);

// Rotates pairs of one head of `head_dim` values by position-dependent
// angles (cos/sin tables of head_dim/2 entries for this position). `neox`
// pairs element i with i + head_dim/2 (qwen2); otherwise 2i with 2i+1 (llama).
void Rope(float* head, const float* cos, const float* sin, int64_t head_dim, bool neox);

// out = silu(gate) * up = gate / (1 + exp(-gate)) * up.
void SiluMul(const float* gate, const float* up, int64_t n, float* out);

}  // namespace model

#endif  // APR_COMMON_MODEL_OPS_H_
