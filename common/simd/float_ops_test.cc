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

}  // namespace
}  // namespace simd
