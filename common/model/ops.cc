#include "common/model/ops.h"

#include <algorithm>
#include <cmath>

#include "common/simd/float_ops.h"

namespace model {

void RmsNorm(const float* x, const float* weight, float eps, int64_t n, float* y) {
  simd::BestFloatOps().rms_norm(x, weight, eps, n, y);
}

std::vector<double> RopeInverseFrequencies(const ModelConfig& c, const std::vector<float>& factors, bool sliding) {
  std::vector<double> inv_freq;
  for (uint32_t i = 0; i < c.head_dim / 2; ++i) {
    const double exponent = -2.0 * i / c.head_dim;
    if (sliding) {
      inv_freq.push_back(std::pow(double(c.rope_theta_swa), exponent));
    } else {
      inv_freq.push_back(std::pow(double(c.rope_theta), exponent) / c.rope_linear_factor /
                         (factors.empty() ? 1.0 : factors[i]));
    }
  }
  return inv_freq;
}

void SiluMul(const float* gate, const float* up, int64_t n, float* out) {
  simd::BestFloatOps().silu_mul(gate, up, out, n);
}

void GeluMul(const float* gate, const float* up, int64_t n, float* out) {
  simd::BestFloatOps().gelu_mul(gate, up, out, n);
}

void RouteTopK(const float* logits, int64_t experts, int64_t k, int32_t* chosen, float* weights) {
  // The k largest logits (softmax keeps their order), by insertion: an
  // expert enters only past a strictly smaller one, so among equal logits
  // the lower index, seen first, stays ahead.
  int64_t kept = 0;
  for (int64_t e = 0; e < experts; ++e) {
    const float v = logits[e];
    if (kept == k && !(v > logits[chosen[k - 1]])) continue;
    int64_t at = kept < k ? kept++ : k - 1;
    while (at > 0 && v > logits[chosen[at - 1]]) {
      chosen[at] = chosen[at - 1];
      --at;
    }
    chosen[at] = static_cast<int32_t>(e);
  }
  // Each chosen probability over their sum: the softmax's denominator
  // cancels, unless the sum's clamp binds, which needs more than 2^14
  // experts (the largest probability is at least 1 / experts).
  const double max = logits[chosen[0]];
  double chosen_sum = 0;
  for (int64_t j = 0; j < k; ++j) chosen_sum += std::exp(double(logits[chosen[j]]) - max);
  double norm = chosen_sum;
  constexpr double kLeastSum = 6.103515625e-5;
  if (double(experts) * kLeastSum > 1) {
    double total = 0;
    for (int64_t e = 0; e < experts; ++e) total += std::exp(double(logits[e]) - max);
    norm = std::max(chosen_sum / total, kLeastSum) * total;
  }
  for (int64_t j = 0; j < k; ++j) weights[j] = static_cast<float>(std::exp(double(logits[chosen[j]]) - max) / norm);
}

}  // namespace model
