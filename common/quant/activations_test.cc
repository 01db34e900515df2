// The AVX2 activation quantizers write exactly the bytes of their scalar
// references (repack.h, quantize.h).
#include "common/quant/activations_avx2.h"

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "common/cpu/cpu_features.h"
#include "common/quant/quantize.h"
#include "common/quant/repack.h"
#include "gtest/gtest.h"

namespace quant {
namespace {

// Rows of 1024 floats: Gaussian at several scales, an outlier, zeros,
// exact ties (x * id lands on k + 0.5), tiny values.
std::vector<std::vector<float>> Inputs() {
  std::vector<std::vector<float>> rows;
  std::mt19937 rng(7);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  for (float scale : {1e-3f, 1.0f, 300.0f}) {
    std::vector<float> r(1024);
    for (float& v : r) v = normal(rng) * scale;
    rows.push_back(r);
  }
  std::vector<float> outlier(1024);
  for (float& v : outlier) v = normal(rng) * 0.01f;
  outlier[77] = 500.0f;
  outlier[600] = -800.0f;
  rows.push_back(outlier);
  rows.push_back(std::vector<float>(1024, 0.0f));
  std::vector<float> ties(1024);
  for (size_t i = 0; i < ties.size(); ++i) ties[i] = i % 32 == 0 ? 127.0f : float(int(i % 50) - 25) + 0.5f;
  rows.push_back(ties);
  std::vector<float> tiny(1024);
  for (float& v : tiny) v = normal(rng) * 1e-30f;
  rows.push_back(tiny);
  return rows;
}

class ActivationsAvx2Test : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!cpu::GetCpuFeatures().HasAvx2Fma()) GTEST_SKIP() << "no AVX2 on this CPU";
  }
};

template <class Block, class Ref, class Simd>
void ExpectSameBytes(int64_t values_per_block, Ref ref, Simd simd) {
  for (const std::vector<float>& x : Inputs()) {
    const int64_t n = static_cast<int64_t>(x.size());
    std::vector<Block> a(n / values_per_block), b(n / values_per_block);
    std::memset(a.data(), 0xAB, a.size() * sizeof(Block));  // padding too must not differ by chance
    std::memset(b.data(), 0xAB, b.size() * sizeof(Block));
    ref(x.data(), a.data(), n);
    simd(x.data(), b.data(), n);
    ASSERT_EQ(std::memcmp(a.data(), b.data(), a.size() * sizeof(Block)), 0) << "first value " << x[0];
  }
}

TEST_F(ActivationsAvx2Test, Q8_KI32IsTheReference) {
  ExpectSameBytes<BlockQ8_KI>(kQKK, QuantizeQ8_KI32,
                              [](const float* x, BlockQ8_KI* y, int64_t n) { internal::QuantizeQ8_KIAvx2(x, y, n, 32); });
}

TEST_F(ActivationsAvx2Test, Q8_KI16IsTheReference) {
  ExpectSameBytes<BlockQ8_KI>(kQKK, QuantizeQ8_KI16,
                              [](const float* x, BlockQ8_KI* y, int64_t n) { internal::QuantizeQ8_KIAvx2(x, y, n, 16); });
}

TEST_F(ActivationsAvx2Test, Q8_0IsTheReference) {
  ExpectSameBytes<BlockQ8_0>(kQK, QuantizeQ8_0, internal::QuantizeQ8_0Avx2);
}

TEST_F(ActivationsAvx2Test, Q8_0SIsTheReference) {
  ExpectSameBytes<BlockQ8_0S>(kQK, QuantizeQ8_0S, internal::QuantizeQ8_0SAvx2);
}

}  // namespace
}  // namespace quant
