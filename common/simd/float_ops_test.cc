#include "common/simd/float_ops.h"

#include <cmath>
#include <random>
#include <vector>

#include "common/cpu/cpu_features.h"
#include "gtest/gtest.h"

namespace simd {
namespace {

TEST(FloatOps, EveryVersionMatchesTheReference) {
  std::vector<const FloatOps*> all = {&ScalarFloatOps()};
  if (cpu::GetCpuFeatures().HasAvx2Fma()) all.push_back(&Avx2FloatOps());
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> u(-1, 1);
  for (int64_t n : {0, 1, 7, 8, 15, 16, 17, 64, 128, 131}) {
    std::vector<float> a(n), b(n);
    for (int64_t i = 0; i < n; ++i) a[i] = u(rng), b[i] = u(rng);
    double exact = 0;
    for (int64_t i = 0; i < n; ++i) exact += double(a[i]) * b[i];
    for (const FloatOps* ops : all) {
      EXPECT_NEAR(ops->dot(a.data(), b.data(), n), exact, 1e-5 * (1 + n)) << ops->isa << " n=" << n;
      std::vector<float> y = b;
      ops->axpy(0.5f, a.data(), y.data(), n);
      for (int64_t i = 0; i < n; ++i) ASSERT_FLOAT_EQ(y[i], b[i] + 0.5f * a[i]) << ops->isa;
    }
  }
}

// The vectorised exponential agrees with std::exp to a few float roundings,
// across the range SiLU and softmax see and beyond it (large magnitudes
// saturate as std::exp does: silu(g) -> g or -0, softmax weights -> 0).
TEST(FloatOps, SiluMulAndSoftmaxMatchTheReference) {
  std::vector<const FloatOps*> all = {&ScalarFloatOps()};
  if (cpu::GetCpuFeatures().HasAvx2Fma()) all.push_back(&Avx2FloatOps());
  std::mt19937 rng(5);
  for (float range : {1.0f, 10.0f, 120.0f}) {
    std::uniform_real_distribution<float> u(-range, range);
    for (int64_t n : {1, 7, 8, 9, 64, 131}) {
      std::vector<float> g(n), up(n), ref(n), out(n), x(n);
      for (int64_t i = 0; i < n; ++i) g[i] = u(rng), up[i] = u(rng), x[i] = u(rng);
      ScalarFloatOps().silu_mul(g.data(), up.data(), ref.data(), n);
      std::vector<float> soft_ref = x;
      ScalarFloatOps().softmax(soft_ref.data(), n);
      for (const FloatOps* ops : all) {
        ops->silu_mul(g.data(), up.data(), out.data(), n);
        for (int64_t i = 0; i < n; ++i) {
          ASSERT_NEAR(out[i], ref[i], 1e-6f * std::fabs(ref[i]) + 1e-30f) << ops->isa << " g=" << g[i];
        }
        std::vector<float> soft = x;
        ops->softmax(soft.data(), n);
        double total = 0;
        for (int64_t i = 0; i < n; ++i) {
          ASSERT_NEAR(soft[i], soft_ref[i], 1e-6f * soft_ref[i] + 1e-30f) << ops->isa << " x=" << x[i];
          total += soft[i];
        }
        EXPECT_NEAR(total, 1.0, 1e-5) << ops->isa;
      }
    }
  }
}

}  // namespace
}  // namespace simd
