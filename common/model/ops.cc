#include "common/model/ops.h"

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

}  // namespace model
