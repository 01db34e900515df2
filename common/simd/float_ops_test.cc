#include "common/simd/float_ops.h"

#include <cmath>
#include <random>
#include <vector>

#include "common/cpu/cpu_features.h"
#include "common/quant/fp16.h"
#include "gtest/gtest.h"

namespace simd {
namespace {

// Every version this CPU runs, the reference first.
std::vector<const FloatOps*> AllOps() {
  std::vector<const FloatOps*> all = {&ScalarFloatOps()};
  if (cpu::GetCpuFeatures().HasAvx2Fma()) all.push_back(&Avx2FloatOps());
  return all;
}

TEST(FloatOps, EveryVersionMatchesTheReference) {
  const std::vector<const FloatOps*> all = AllOps();
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
// GELU as a logistic equals its tanh form, 0.5 g (1 + tanh(sqrt(2/pi) (g +
// 0.044715 g^3))), computed here in double.
TEST(FloatOps, GeluMulIsTheTanhForm) {
  const std::vector<const FloatOps*> all = AllOps();
  std::mt19937 rng(7);
  for (float range : {1.0f, 6.0f, 60.0f}) {
    std::uniform_real_distribution<float> u(-range, range);
    for (int64_t n : {1, 7, 8, 9, 131}) {
      std::vector<float> g(n), up(n), out(n);
      for (int64_t i = 0; i < n; ++i) g[i] = u(rng), up[i] = u(rng);
      for (const FloatOps* ops : all) {
        ops->gelu_mul(g.data(), up.data(), out.data(), n);
        for (int64_t i = 0; i < n; ++i) {
          const double x = g[i];
          const double want = 0.5 * x * (1 + std::tanh(std::sqrt(2 / M_PI) * (x + 0.044715 * x * x * x))) * up[i];
          ASSERT_NEAR(out[i], want, 2e-6 * std::fabs(x * up[i]) + 1e-30) << ops->isa << " g=" << g[i];
        }
      }
    }
  }
}

// Attention over an F16 cache computes what attention over the same values
// as floats does (the widening is exact): only summation order differs.
TEST(FloatOps, AttendGroupF16EqualsAttendGroupOnTheWidenedCache) {
  const std::vector<const FloatOps*> all = AllOps();
  std::mt19937 rng(11);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  for (int64_t hd : {64, 72, 6}) {
    for (int64_t seen : {1, 5, 37}) {
      const int64_t heads = 3, stride = hd + 8;
      std::vector<float> q(heads * hd), keys(seen * stride), values(seen * stride);
      std::vector<uint16_t> k16(keys.size()), v16(values.size());
      for (float& v : q) v = normal(rng);
      for (size_t i = 0; i < keys.size(); ++i) {
        k16[i] = quant::F32ToF16(normal(rng));
        v16[i] = quant::F32ToF16(normal(rng));
        keys[i] = quant::F16ToF32(k16[i]);
        values[i] = quant::F16ToF32(v16[i]);
      }
      for (const FloatOps* ops : all) {
        std::vector<float> scores(heads * seen), want(heads * hd), got(heads * hd);
        ops->attend_group(q.data(), heads, keys.data(), values.data(), stride, seen, hd, 0.125f, scores.data(),
                          want.data());
        ops->attend_group_f16(q.data(), heads, k16.data(), v16.data(), stride, seen, hd, 0.125f, scores.data(),
                              got.data());
        for (size_t i = 0; i < want.size(); ++i) {
          ASSERT_NEAR(got[i], want[i], 1e-5f * (1 + std::fabs(want[i]))) << ops->isa << " hd " << hd << " seen " << seen;
        }
      }
    }
  }
}

TEST(FloatOps, SiluMulAndSoftmaxMatchTheReference) {
  const std::vector<const FloatOps*> all = AllOps();
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

TEST(FloatOps, RmsNormMatchesTheDefinition) {
  const std::vector<const FloatOps*> all = AllOps();
  std::mt19937 rng(11);
  for (float range : {1e-3f, 1.0f, 300.0f}) {
    std::uniform_real_distribution<float> u(-range, range);
    for (int64_t n : {1, 7, 8, 9, 64, 1536, 1539}) {
      std::vector<float> x(n), w(n), y(n);
      double squares = 0;
      for (int64_t i = 0; i < n; ++i) x[i] = u(rng), w[i] = u(rng) / range, squares += double(x[i]) * x[i];
      const float eps = 1e-6f;
      const double scale = 1.0 / std::sqrt(squares / n + eps);
      for (const FloatOps* ops : all) {
        ops->rms_norm(x.data(), w.data(), eps, n, y.data());
        for (int64_t i = 0; i < n; ++i) {
          const double expect = x[i] * scale * w[i];
          ASSERT_NEAR(y[i], expect, 1e-6 * std::fabs(expect) + 1e-30) << ops->isa << " n " << n << " at " << i;
        }
      }
    }
  }
}

// Plain double-precision attention of one head.
std::vector<double> ReferenceAttention(const float* q, const float* keys, const float* values, int64_t stride,
                                       int64_t seen, int64_t hd, float scale) {
  std::vector<double> p(seen), out(hd, 0.0);
  double mx = -1e300, total = 0;
  for (int64_t j = 0; j < seen; ++j) {
    double d = 0;
    for (int64_t i = 0; i < hd; ++i) d += double(q[i]) * keys[j * stride + i];
    mx = std::max(mx, p[j] = d * scale);
  }
  for (double& v : p) total += (v = std::exp(v - mx));
  for (int64_t j = 0; j < seen; ++j) {
    for (int64_t i = 0; i < hd; ++i) out[i] += p[j] / total * values[j * stride + i];
  }
  return out;
}

TEST(FloatOps, AttendMatchesTheReference) {
  const std::vector<const FloatOps*> all = AllOps();
  std::mt19937 rng(9);
  std::normal_distribution<float> normal(0, 1);
  for (int64_t hd : {6, 8, 64, 80, 128}) {
    for (int64_t seen : {1, 3, 4, 9, 12, 15, 130}) {
      const int64_t stride = 3 * hd + 8;  // heads of other positions in between
      std::vector<float> q(hd), keys(seen * stride), values(seen * stride);
      for (float& v : q) v = normal(rng);
      for (float& v : keys) v = normal(rng);
      for (float& v : values) v = normal(rng);
      const float scale = 1.0f / std::sqrt(float(hd));
      const std::vector<double> expect = ReferenceAttention(q.data(), keys.data(), values.data(), stride, seen, hd, scale);
      for (const FloatOps* ops : all) {
        std::vector<float> scores(seen), out(hd, NAN);
        ops->attend(q.data(), keys.data(), values.data(), stride, seen, hd, scale, scores.data(), out.data());
        for (int64_t i = 0; i < hd; ++i) {
          ASSERT_NEAR(out[i], expect[i], 1e-5) << ops->isa << " hd " << hd << " seen " << seen << " at " << i;
        }
      }
    }
  }
}

TEST(FloatOps, AttendGroupIsEachHeadsAttention) {
  const std::vector<const FloatOps*> all = AllOps();
  std::mt19937 rng(10);
  std::normal_distribution<float> normal(0, 1);
  for (int64_t hd : {6, 8, 40, 64, 128}) {  // 40: a last chunk of fewer than 32 outputs
    for (int64_t heads : {1, 2, 3, 6}) {  // odd counts: one head alone at the end
      for (int64_t seen : {1, 5, 8, 130}) {
        const int64_t stride = 2 * hd + 8;
        std::vector<float> q(heads * hd), keys(seen * stride), values(seen * stride);
        for (float& v : q) v = normal(rng);
        for (float& v : keys) v = normal(rng);
        for (float& v : values) v = normal(rng);
        const float scale = 1.0f / std::sqrt(float(hd));
        for (const FloatOps* ops : all) {
          std::vector<float> scores(heads * seen), out(heads * hd, NAN);
          ops->attend_group(q.data(), heads, keys.data(), values.data(), stride, seen, hd, scale, scores.data(),
                            out.data());
          for (int64_t h = 0; h < heads; ++h) {
            const std::vector<double> expect =
                ReferenceAttention(q.data() + h * hd, keys.data(), values.data(), stride, seen, hd, scale);
            for (int64_t i = 0; i < hd; ++i) {
              ASSERT_NEAR(out[h * hd + i], expect[i], 1e-5)
                  << ops->isa << " hd " << hd << " heads " << heads << " seen " << seen << " head " << h;
            }
          }
        }
      }
    }
  }
}

}  // namespace
}  // namespace simd
