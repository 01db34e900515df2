#include "chapters/ch13_profiling/decode_roofline.h"

#include "gtest/gtest.h"

namespace ch13 {
namespace {

TEST(DecodeRoofline, ReproducesTheBooksArithmetic) {
  // The book: 7B params at ~0.5 bytes/param, 50 GB/s.
  DecodeFootprint book = BookFootprint(7e9, 0.5);
  EXPECT_DOUBLE_EQ(book.OperationalIntensity(), 4.0);
  EXPECT_NEAR(BandwidthCeilingTps(book.bytes_per_token, 50e9), 14.3, 0.05);
}

TEST(DecodeRoofline, Q4KStoresFourAndAHalfBits) {
  // 144 bytes per 256 weights: 2 FLOPs / 0.5625 bytes.
  DecodeFootprint exact = BookFootprint(7e9, 144.0 / 256);
  EXPECT_NEAR(exact.OperationalIntensity(), 3.56, 0.005);
}

TEST(DecodeRoofline, SevenBPresetInQ4K) {
  DecodeFootprint f = DecodeFootprintOf(*model::FindPreset("llama-2-7b"), gguf::GgmlType::kQ4_K);
  // 6.74e9 weights minus the embedding table (looked up, not multiplied).
  EXPECT_NEAR(f.flops_per_token / 2, 6.607e9, 0.01e9);
  EXPECT_NEAR(f.OperationalIntensity(), 3.556, 0.001);
  EXPECT_NEAR(BandwidthCeilingTps(f.bytes_per_token, 50e9), 13.45, 0.05);
}

TEST(DecodeRoofline, WiderTypesLowerTheIntensity) {
  const model::ModelConfig c = *model::FindPreset("qwen2.5-1.5b");
  EXPECT_GT(DecodeFootprintOf(c, gguf::GgmlType::kQ4_0).OperationalIntensity(),
            DecodeFootprintOf(c, gguf::GgmlType::kQ8_0).OperationalIntensity());
  EXPECT_NEAR(DecodeFootprintOf(c, gguf::GgmlType::kF32).OperationalIntensity(), 0.5, 0.001);
}

TEST(DecodeRoofline, RidgePointIsPeakOverBandwidth) {
  EXPECT_DOUBLE_EQ(RidgePoint(300e9, 30e9), 10.0);
}

}  // namespace
}  // namespace ch13
