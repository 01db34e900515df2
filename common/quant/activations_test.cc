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
// exact ties (x * id lands on k + 0.5), tiny values; and one of 1280.
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
  std::vector<float> odd(1280);  // 5 blocks of 256: Q8_KI32's two pairs and a lone block
  for (float& v : odd) v = normal(rng);
  rows.push_back(odd);
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

// Q8_KI32's pairs (repack.h): every block's vectors are where
// Q8_KI32Base and Q8_KI32Offset say, holding Q8_K's values in Q8_KI's order, and each
// pair's `pair` fields hold its two blocks' scales and sums. Runs on any CPU.
TEST(Q8_KI32Pairs, EachBlockKeepsItsValuesScaleAndSums) {
  for (int64_t nb : {1, 2, 3, 4, 5}) {
    std::mt19937 rng(static_cast<uint32_t>(nb));
    std::normal_distribution<float> normal(0.0f, 1.0f);
    std::vector<float> x(nb * kQKK);
    for (float& v : x) v = normal(rng);
    std::vector<BlockQ8_KI> y(nb);
    QuantizeQ8_KI32(x.data(), y.data(), nb * kQKK);
    for (int64_t b = 0; b < nb; ++b) {
      BlockQ8_K plain;
      QuantizeQ8_K(x.data() + b * kQKK, &plain, kQKK);
      int8_t expect[kQKK];
      InterleaveQ8_KI(plain.qs, 32, expect);
      const bool paired = Q8_KI32Paired(nb, b);
      ASSERT_EQ(paired, b + 1 < nb || b % 2 == 1);
      const int8_t* base = Q8_KI32Base(y.data(), b, paired);
      for (int u = 0; u < 8; ++u) {
        ASSERT_EQ(std::memcmp(base + Q8_KI32Offset(paired, u), expect + 32 * u, 32), 0)
            << "blocks " << nb << " block " << b << " vector " << u;
      }
      ASSERT_EQ(y[b].d, plain.d);
      for (int i = 0; i < 8; ++i) {
        int sum = 0;
        for (int l = 0; l < 32; ++l) sum += plain.qs[32 * i + l];
        ASSERT_EQ(y[b].q4.sums[i], plain.d * sum);
      }
      const int64_t first = b & ~int64_t{1};
      if (first + 1 >= nb) continue;  // a lone block
      const int half = static_cast<int>(b - first);
      for (int i = 0; i < 8; ++i) {
        EXPECT_EQ(y[first].q4.pair[8 * half + i], plain.d);
        EXPECT_EQ(y[first + 1].q4.pair[8 * half + i], y[b].q4.sums[i]);
      }
    }
  }
}

}  // namespace
}  // namespace quant
