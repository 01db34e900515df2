#include "common/model/ops.h"

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

void SiluMul(const float* gate, const float* up, int64_t n, float* out) {
  simd::BestFloatOps().silu_mul(gate, up, out, n);
}

}  // namespace model
