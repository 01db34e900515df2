#include "common/quant/decode_prefetch_tuning.h"

#include <random>
#include <vector>

#include "common/quant/decode_prefetch.h"
#include "common/quant/quantize.h"
#include "common/quant/repack.h"
#include "gtest/gtest.h"

namespace quant {
namespace {

using gguf::GgmlType;

struct Matrix {
  std::vector<uint8_t> bytes;
  RepackedRows repacked;
  WeightMatrix w;
};

Matrix Make(GgmlType type, int64_t rows, int64_t cols, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 0.05f);
  std::vector<float> dense(size_t(rows * cols));
  for (float& v : dense) v = normal(rng);
  Matrix m;
  WeightMatrix w{type, nullptr, rows, cols};
  m.bytes.resize(w.RowBytes() * rows);
  for (int64_t r = 0; r < rows; ++r) {
    EXPECT_TRUE(QuantizeRow(type, dense.data() + r * cols, m.bytes.data() + r * w.RowBytes(), cols).ok());
  }
  w.data = m.bytes.data();
  m.repacked = RepackRows(w);
  m.w = m.repacked.storage.empty() ? w : m.repacked.matrix;
  return m;
}

TEST(DecodePrefetch, SettingIsClampedToWholeLines) {
  const int64_t before = DecodePrefetchBytes();
  SetDecodePrefetchBytes(2000);
  EXPECT_EQ(DecodePrefetchBytes(), 1984);
  SetDecodePrefetchBytes(0);
  EXPECT_EQ(DecodePrefetchBytes(), kMinDecodePrefetchBytes);
  SetDecodePrefetchBytes(int64_t{1} << 40);
  EXPECT_EQ(DecodePrefetchBytes(), kMaxDecodePrefetchBytes);
  SetDecodePrefetchBytes(before);
}

// The distance moves only prefetches: every format's products, decode and
// prefill, are the same bits at the shortest and the longest.
TEST(DecodePrefetch, DistanceLeavesResultsUnchanged) {
  parallel::ThreadPool pool(2);
  const int64_t before = DecodePrefetchBytes();
  for (GgmlType type : {GgmlType::kQ4_K, GgmlType::kQ6_K, GgmlType::kQ5_K, GgmlType::kQ8_0, GgmlType::kQ4_0,
                        GgmlType::kIQ4_XS}) {
    const Matrix m = Make(type, 96, 2048, 5);
    for (int64_t tokens : {1, 9}) {
      std::vector<float> x(size_t(tokens * 2048));
      std::mt19937 rng(7);
      std::normal_distribution<float> normal(0.0f, 1.0f);
      for (float& v : x) v = normal(rng);
      std::vector<float> near(size_t(tokens * 96)), far(size_t(tokens * 96));
      SetDecodePrefetchBytes(kMinDecodePrefetchBytes);
      MatMul(pool, "test.near", m.w, x.data(), tokens, near.data());
      SetDecodePrefetchBytes(kMaxDecodePrefetchBytes);
      MatMul(pool, "test.far", m.w, x.data(), tokens, far.data());
      EXPECT_EQ(near, far) << gguf::TypeInfo(type).name << ", " << tokens << " tokens";
    }
  }
  SetDecodePrefetchBytes(before);
}

TEST(DecodePrefetch, MeasureTimesEveryCandidateAndChoosesAmongThem) {
  parallel::ThreadPool pool(2);
  const Matrix a = Make(GgmlType::kQ4_K, 256, 1536, 1), b = Make(GgmlType::kQ6_K, 128, 2048, 2);
  SetDecodePrefetchBytes(3072);
  const DecodePrefetchChoice c = MeasureDecodePrefetch(pool, {a.w, b.w}, {1024, 2048, 4096}, 2);
  EXPECT_EQ(DecodePrefetchBytes(), 3072) << "measuring leaves the distance in use alone";
  ASSERT_EQ(c.trials.size(), 3u);
  EXPECT_EQ(c.trials[0].bytes, 1024);
  EXPECT_EQ(c.trials[2].bytes, 4096);
  for (const DecodePrefetchTrial& t : c.trials) EXPECT_GT(t.pass_seconds, 0);
  EXPECT_EQ(c.bytes, ChooseDecodePrefetch(c.trials));
  EXPECT_EQ(c.pass_bytes, int64_t{64} << 20) << "small matrices are cycled to the shortest pass";
  EXPECT_NE(c.Describe().find("1024 B"), std::string::npos) << c.Describe();
  SetDecodePrefetchBytes(kDefaultDecodePrefetchBytes);
}

// Ties go to the longest distance; a clear win to the fastest.
TEST(DecodePrefetch, ChoosesTheLongestDistanceWithinThreePercentOfTheFastest) {
  EXPECT_EQ(ChooseDecodePrefetch({{1024, 3.0e-3}, {2048, 2.8e-3}, {4096, 2.7e-3}, {8192, 2.76e-3}}), 8192);
  EXPECT_EQ(ChooseDecodePrefetch({{1024, 3.0e-3}, {2048, 2.7e-3}, {4096, 2.77e-3}, {8192, 2.9e-3}}), 4096);
  EXPECT_EQ(ChooseDecodePrefetch({{2048, 1.0e-3}, {4096, 1.35e-3}, {8192, 1.4e-3}}), 2048);
  EXPECT_EQ(ChooseDecodePrefetch({{8192, 2.0e-3}, {1024, 2.0e-3}}), 8192) << "in any order";
}

TEST(DecodePrefetch, EnsureTunesOncePerProcess) {
  parallel::ThreadPool pool(2);
  auto none = [] { return std::vector<WeightMatrix>{}; };
  EXPECT_TRUE(EnsureDecodePrefetchTuned(pool, none).trials.empty()) << "nothing to time: nothing chosen";
  const Matrix a = Make(GgmlType::kQ4_K, 64, 1024, 3);
  int listed = 0;
  auto matrices = [&] {
    ++listed;
    return std::vector<WeightMatrix>{a.w};
  };
  const DecodePrefetchChoice& first = EnsureDecodePrefetchTuned(pool, matrices);
  EXPECT_EQ(first.trials.size(), DecodePrefetchCandidates().size());
  EXPECT_EQ(DecodePrefetchBytes(), first.bytes);
  const DecodePrefetchChoice& again = EnsureDecodePrefetchTuned(pool, matrices);
  EXPECT_EQ(&first, &again);
  EXPECT_EQ(listed, 1) << "once chosen, the matrices are not listed again";
}

}  // namespace
}  // namespace quant
