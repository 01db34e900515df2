// The element-wise pieces of a transformer layer, named after the math.
#ifndef APR_COMMON_MODEL_OPS_H_
#define APR_COMMON_MODEL_OPS_H_

#include <cstdint>
#include <vector>

#include "common/model/model_config.h"

namespace model {

// y = x / sqrt(mean(x^2) + eps) * weight, over n values.
void RmsNorm(const float* x, const float* weight, float eps, int64_t n, float* y);

// Rope's angle per position for each of head_dim / 2 frequencies (which
// simd::FloatOps::rope turns heads by): the full-attention layers'
// theta^(-2i/d) / (linear factor * factors[i]) (the file's rope_freqs or
// LongRoPE factors; none when empty), or the sliding-window layers' own
// base, unscaled.
std::vector<double> RopeInverseFrequencies(const ModelConfig& config, const std::vector<float>& factors,
                                           bool sliding);

// out = silu(gate) * up = gate / (1 + exp(-gate)) * up.
void SiluMul(const float* gate, const float* up, int64_t n, float* out);
// out = gelu(gate) * up, GELU in its tanh form:
// 0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3))).
void GeluMul(const float* gate, const float* up, int64_t n, float* out);

// A mixture's routing of one token: softmax of the router's `experts`
// logits, the k most probable experts (the lower index first among equal
// probabilities) into chosen[0..k), in order of probability, and their
// probabilities renormalized to sum to 1 into weights (the sum clamped at
// 2^-14 as llama.cpp does, so k underflowed probabilities stay finite).
void RouteTopK(const float* logits, int64_t experts, int64_t k, int32_t* chosen, float* weights);

}  // namespace model

#endif  // APR_COMMON_MODEL_OPS_H_
