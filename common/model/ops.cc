#include "common/model/ops.h"

#include <algorithm>
#include <cmath>

#include "common/simd/float_ops.h"

namespace model {

void RmsNorm(const float* x, const float* weight, float eps, int64_t n, float* y) {
  simd::BestFloatOps().rms_norm(x, weight, eps, n, y);
}

void Rope(float* head, const float* cos, const float* sin, int64_t head_dim, bool neox) {
  const int64_t half = head_dim / 2;
  for (int64_t i = 0; i < half; ++i) {
    const int64_t a = neox ? i : 2 * i, b = neox ? i + half : 2 * i + 1;
    const float x0 = head[a], x1 = head[b];
    head[a] = x0 * cos[i] - x1 * sin[i];
    head[b] = x0 * sin[i] + x1 * cos[i];
  }
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
  float max = logits[0];
  for (int64_t e = 1; e < experts; ++e) max = std::max(max, logits[e]);
  double total = 0;
  for (int64_t e = 0; e < experts; ++e) total += std::exp(double(logits[e] - max));
  double chosen_sum = 0;
  for (int64_t j = 0; j < k; ++j) {
    int32_t best = -1;
    for (int64_t e = 0; e < experts; ++e) {
      bool taken = false;
      for (int64_t i = 0; i < j && !taken; ++i) taken = chosen[i] == e;
      if (!taken && (best < 0 || logits[e] > logits[best])) best = static_cast<int32_t>(e);
    }
    chosen[j] = best;
    weights[j] = static_cast<float>(std::exp(double(logits[best] - max)) / total);
    chosen_sum += weights[j];
  }
  const double norm = std::max(chosen_sum, 6.103515625e-5);
  for (int64_t j = 0; j < k; ++j) weights[j] = static_cast<float>(weights[j] / norm);
}

}  // namespace model
