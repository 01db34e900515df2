#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "common/quant/blocks.h"
#include "common/quant/dequantize.h"
#include "common/quant/fp16.h"
#include "common/quant/quantize.h"
#include "gtest/gtest.h"

namespace quant {
namespace {

using gguf::GgmlType;

TEST(Fp16, KnownValues) {
  EXPECT_EQ(F32ToF16(1.0f), 0x3c00);
  EXPECT_EQ(F32ToF16(-2.0f), 0xc000);
  EXPECT_EQ(F32ToF16(65504.0f), 0x7bff);
  EXPECT_EQ(F32ToF16(1e6f), 0x7c00);
  EXPECT_EQ(F32ToF16(5.9604645e-8f), 0x0001);  // smallest subnormal
  EXPECT_EQ(F32ToF16(1.0f + 1.0f / 2048), 0x3c00);  // tie rounds to even
  EXPECT_EQ(F32ToF16(1.0f + 3.0f / 2048), 0x3c02);
  EXPECT_FLOAT_EQ(F16ToF32(0x3555), 0.33325195f);
  EXPECT_TRUE(std::isnan(F16ToF32(0x7e00)));
  EXPECT_EQ(F32ToBf16(1.0f), 0x3f80);
  EXPECT_FLOAT_EQ(Bf16ToF32(0x4049), 3.140625f);
}

TEST(Fp16, EveryHalfRoundTrips) {
  for (uint32_t h = 0; h < 65536; ++h) {
    const float f = F16ToF32(static_cast<uint16_t>(h));
    if (std::isnan(f)) continue;
    ASSERT_EQ(F32ToF16(f), h) << std::hex << h;
  }
}

TEST(Dequantize, HandMadeBlocks) {
  BlockQ4_0 q4;
  q4.d = F32ToF16(0.5f);
  for (int j = 0; j < 16; ++j) q4.qs[j] = static_cast<uint8_t>(j | ((15 - j) << 4));
  float y[32];
  ASSERT_TRUE(DequantizeRow(GgmlType::kQ4_0, &q4, y, 32).ok());
  EXPECT_FLOAT_EQ(y[0], -4.0f);   // (0 - 8) * 0.5
  EXPECT_FLOAT_EQ(y[3], -2.5f);   // (3 - 8) * 0.5
  EXPECT_FLOAT_EQ(y[16], 3.5f);   // (15 - 8) * 0.5
  BlockQ5_0 q5;
  q5.d = F32ToF16(1.0f);
  std::memset(q5.qs, 0, 16);
  const uint32_t qh = (1u << 2) | (1u << 20);  // fifth bit of weights 2 and 20
  std::memcpy(q5.qh, &qh, 4);
  ASSERT_TRUE(DequantizeRow(GgmlType::kQ5_0, &q5, y, 32).ok());
  EXPECT_FLOAT_EQ(y[0], -16.0f);
  EXPECT_FLOAT_EQ(y[2], 0.0f);
  EXPECT_FLOAT_EQ(y[20], 0.0f);
  EXPECT_FLOAT_EQ(y[21], -16.0f);
  // IQ4_NL: nibble k is level k of the grid, the extreme codes included.
  BlockIQ4_NL nl;
  nl.d = F32ToF16(0.25f);
  for (int j = 0; j < 16; ++j) nl.qs[j] = static_cast<uint8_t>(j | ((15 - j) << 4));
  ASSERT_TRUE(DequantizeRow(GgmlType::kIQ4_NL, &nl, y, 32).ok());
  EXPECT_FLOAT_EQ(y[0], -31.75f);   // -127 * 0.25
  EXPECT_FLOAT_EQ(y[7], -2.5f);     // -10 * 0.25
  EXPECT_FLOAT_EQ(y[8], 0.25f);     // 1 * 0.25
  EXPECT_FLOAT_EQ(y[15], 28.25f);   // 113 * 0.25
  EXPECT_FLOAT_EQ(y[16], 28.25f);   // high nibble of byte 0: 15
  EXPECT_FLOAT_EQ(y[31], -31.75f);  // high nibble of byte 15: 0

  // Q4_1 and Q5_1: d * code + m, codes 0 and the largest.
  BlockQ4_1 o4;
  o4.d = F32ToF16(0.5f);
  o4.m = F32ToF16(-2.0f);
  for (int j = 0; j < 16; ++j) o4.qs[j] = static_cast<uint8_t>(j | ((15 - j) << 4));
  ASSERT_TRUE(DequantizeRow(GgmlType::kQ4_1, &o4, y, 32).ok());
  EXPECT_FLOAT_EQ(y[0], -2.0f);  // 0 * 0.5 - 2
  EXPECT_FLOAT_EQ(y[15], 5.5f);  // 15 * 0.5 - 2
  EXPECT_FLOAT_EQ(y[16], 5.5f);  // high nibble of byte 0
  BlockQ5_1 o5;
  o5.d = F32ToF16(1.0f);
  o5.m = F32ToF16(-16.0f);
  for (int j = 0; j < 16; ++j) o5.qs[j] = 0xFF;
  const uint32_t fifth = (1u << 0) | (1u << 31);  // weights 0 and 31: code 31; the rest 15
  std::memcpy(o5.qh, &fifth, 4);
  ASSERT_TRUE(DequantizeRow(GgmlType::kQ5_1, &o5, y, 32).ok());
  EXPECT_FLOAT_EQ(y[0], 15.0f);   // 31 - 16
  EXPECT_FLOAT_EQ(y[1], -1.0f);   // 15 - 16
  EXPECT_FLOAT_EQ(y[16], -1.0f);  // high nibble of byte 0, no fifth bit
  EXPECT_FLOAT_EQ(y[31], 15.0f);

  // Q5_K: scale 1 and min 2 for sub-block 0 (scales[0], scales[4]); the
  // fifth bit of weight l of chunk c is bit 2c of qh[l] (low half), 2c + 1
  // (high half).
  BlockQ5_K k5;
  std::memset(&k5, 0, sizeof(k5));
  k5.d = F32ToF16(0.5f);
  k5.dmin = F32ToF16(0.25f);
  k5.scales[0] = 1;  // sub-block 0: scale 1
  k5.scales[4] = 2;  // sub-block 0: min 2
  k5.scales[1] = 3;  // sub-block 1: scale 3, min 0
  k5.qs[0] = 0xFF;   // weight 0 nibble 15, weight 32 nibble 15
  k5.qh[0] = 0x02;   // fifth bit of weight 32 (not of weight 0)
  k5.qh[1] = 0x01;   // fifth bit of weight 1
  k5.qh[5] = 0x04;   // fifth bit of weight 64 + 5 (chunk 1, low): sub-block 2, scale 0
  std::vector<float> k(256);
  ASSERT_TRUE(DequantizeRow(GgmlType::kQ5_K, &k5, k.data(), 256).ok());
  EXPECT_FLOAT_EQ(k[0], 0.5f * 1 * 15 - 0.25f * 2);  // code 15
  EXPECT_FLOAT_EQ(k[1], 0.5f * 1 * 16 - 0.25f * 2);  // code 16: the fifth bit alone
  EXPECT_FLOAT_EQ(k[2], -0.5f);                      // code 0: -dmin * min
  EXPECT_FLOAT_EQ(k[32], 0.5f * 3 * 31);             // sub-block 1, code 31, the largest
  EXPECT_FLOAT_EQ(k[33], 0.0f);
  EXPECT_FLOAT_EQ(k[69], 0.0f);                      // sub-block 2 has scale 0
}

// Q2_K: scale (low nibble) and min (high) per 16 weights; weight 32j + l of
// a 128-weight half in bits 2j of qs[l].
TEST(Dequantize, Q2KHandMadeBlock) {
  BlockQ2_K b;
  std::memset(&b, 0, sizeof(b));
  b.d = F32ToF16(0.5f);
  b.dmin = F32ToF16(0.25f);
  b.scales[0] = 0xF1;   // sub-block 0: scale 1, min 15 (the largest)
  b.scales[1] = 0x0F;   // sub-block 1: scale 15, min 0
  b.scales[15] = 0x23;  // sub-block 15: scale 3, min 2
  b.qs[0] = 0x03;       // weight 0: code 3
  b.qs[16] = 0xC0;      // weight 16 + 96 = 112 (row 3 of half 0): code 3
  b.qs[17] = 0x02;      // weight 17: code 2
  b.qs[63] = 0xC0;      // weight 128 + 96 + 31 = 255: code 3
  std::vector<float> y(256);
  ASSERT_TRUE(DequantizeRow(GgmlType::kQ2_K, &b, y.data(), 256).ok());
  EXPECT_FLOAT_EQ(y[0], 0.5f * 1 * 3 - 0.25f * 15);
  EXPECT_FLOAT_EQ(y[1], -0.25f * 15);     // code 0: the min alone
  EXPECT_FLOAT_EQ(y[17], 0.5f * 15 * 2);  // sub-block 1
  EXPECT_FLOAT_EQ(y[16], 0.0f);
  EXPECT_FLOAT_EQ(y[112], 0.0f);          // sub-block 7 has scale 0 and min 0
  EXPECT_FLOAT_EQ(y[255], 0.5f * 3 * 3 - 0.25f * 2);
  EXPECT_FLOAT_EQ(y[254], -0.25f * 2);
}

// Q3_K: value d * scale * (code - 4); the third bit of weight i is bit i/32 of
// hmask[i % 32]; the scales' low nibbles in bytes 0-7, high bits in 8-11.
TEST(Dequantize, Q3KHandMadeBlock) {
  BlockQ3_K b;
  std::memset(&b, 0, sizeof(b));
  b.d = F32ToF16(0.5f);
  // Scale 0 = 63 - 32 = 31 (the largest): low nibble 15, high bits 3.
  b.scales[0] = 0x0F;
  b.scales[8] = 0x03;
  // Scale 9 = 0 - 32 = -32 (the smallest): low nibble 0 (high nibble of
  // byte 1), high bits 0 (bits 4-5 of byte 9).
  // Scale 15 = 0x25 - 32 = 5: low nibble 5 in byte 7's high nibble, high 2 at bits 6-7 of byte 11.
  b.scales[7] = 0x50;
  b.scales[11] = 0x80;
  b.qs[0] = 0x03;      // weight 0: low bits 3
  b.hmask[0] = 0x01;   // weight 0: third bit set, code 7
  b.hmask[31] = 0x80;  // weight 7 * 32 + 31 = 255: third bit, low bits 0 -> code 4
  std::vector<float> y(256);
  ASSERT_TRUE(DequantizeRow(GgmlType::kQ3_K, &b, y.data(), 256).ok());
  EXPECT_FLOAT_EQ(y[0], 0.5f * 31 * 3);    // code 7
  EXPECT_FLOAT_EQ(y[1], 0.5f * 31 * -4);   // code 0
  EXPECT_FLOAT_EQ(y[144], 0.5f * -32 * -4);  // sub-block 9
  EXPECT_FLOAT_EQ(y[255], 0.0f);           // code 4
  EXPECT_FLOAT_EQ(y[254], 0.5f * 5 * -4);  // sub-block 15, code 0
  EXPECT_EQ(Q3KScale(b.scales, 9), -32);
  EXPECT_EQ(Q3KScale(b.scales, 15), 5);
}

// IQ4_XS: IQ4_NL's levels per 32 weights, scale ls - 32 with ls's low 4 bits
// in scales_l (odd sub-blocks in the high nibble), high 2 in scales_h.
TEST(Dequantize, IQ4XSHandMadeBlock) {
  BlockIQ4_XS b;
  std::memset(&b, 0, sizeof(b));
  b.d = F32ToF16(0.25f);
  b.scales_l[0] = 0x0F;                           // sub-block 0: ls low 15, sub-block 1: 0
  b.scales_h = static_cast<uint16_t>(3 | 2 << 14);  // sub-block 0: ls 63 (31); sub-block 7: high 2
  b.scales_l[3] = 0x10;                           // sub-block 7: low 1 -> ls 33 (1)
  for (int j = 0; j < 16; ++j) b.qs[j] = static_cast<uint8_t>(j | ((15 - j) << 4));
  b.qs[16 * 7 + 15] = 0xF0;                       // sub-block 7: weight 15 level 0, weight 31 level 15
  std::vector<float> y(256);
  ASSERT_TRUE(DequantizeRow(GgmlType::kIQ4_XS, &b, y.data(), 256).ok());
  EXPECT_FLOAT_EQ(y[0], 0.25f * 31 * -127);
  EXPECT_FLOAT_EQ(y[15], 0.25f * 31 * 113);
  EXPECT_FLOAT_EQ(y[16], 0.25f * 31 * 113);
  EXPECT_FLOAT_EQ(y[32], 0.25f * -32 * -127);  // sub-block 1: ls 0, nibble 0
  EXPECT_FLOAT_EQ(y[224 + 15], 0.25f * 1 * -127);
  EXPECT_FLOAT_EQ(y[224 + 31], 0.25f * 1 * 113);
}

TEST(Dequantize, Q4KScalesUnpackAsPacked) {
  // Scales and mins 0..63 packed by the quantizer come back out.
  std::vector<float> x(256);
  for (int i = 0; i < 256; ++i) x[i] = (i / 32) * 0.1f + (i % 32) * 0.01f * ((i / 32) + 1) - 0.3f;
  BlockQ4_K b;
  ASSERT_TRUE(QuantizeRow(GgmlType::kQ4_K, x.data(), &b, 256).ok());
  for (int j = 0; j < 8; ++j) {
    uint8_t sc, m;
    Q4KScaleMin(j, b.scales, &sc, &m);
    EXPECT_LE(sc, 63);
    EXPECT_LE(m, 63);
  }
  std::vector<float> y(256);
  ASSERT_TRUE(DequantizeRow(GgmlType::kQ4_K, &b, y.data(), 256).ok());
  // Within about half a quantization step of each sub-block (plus the 6-bit
  // rounding of its scale and min).
  for (int i = 0; i < 256; ++i) {
    const int j = i / 32;
    const float lo = std::min(0.0f, x[32 * j]), hi = x[32 * j + 31];
    EXPECT_NEAR(y[i], x[i], 0.6 * (hi - lo) / 15 + 0.02) << i;
  }
}

double RelativeRms(const std::vector<float>& a, const std::vector<float>& b) {
  double err = 0, ref = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    err += (a[i] - b[i]) * (a[i] - b[i]);
    ref += a[i] * a[i];
  }
  return std::sqrt(err / ref);
}

TEST(Quantize, RoundTripErrorIsBoundedPerFormat) {
  std::mt19937 rng(42);
  std::normal_distribution<float> normal(0.0f, 0.02f);
  std::vector<float> x(4096);
  for (float& v : x) v = normal(rng);
  const struct {
    GgmlType type;
    double max_rms;  // of a Gaussian row, relative
  } cases[] = {{GgmlType::kF32, 0}, {GgmlType::kF16, 1e-3}, {GgmlType::kBF16, 5e-3},
               {GgmlType::kQ8_0, 0.01}, {GgmlType::kQ6_K, 0.03}, {GgmlType::kQ5_0, 0.06},
               {GgmlType::kQ5_K, 0.06}, {GgmlType::kQ5_1, 0.06}, {GgmlType::kQ4_K, 0.12},
               {GgmlType::kIQ4_NL, 0.12}, {GgmlType::kIQ4_XS, 0.12}, {GgmlType::kQ4_1, 0.15},
               {GgmlType::kQ4_0, 0.15}, {GgmlType::kQ3_K, 0.2}, {GgmlType::kQ2_K, 0.35}};
  for (const auto& c : cases) {
    std::vector<uint8_t> bytes(*gguf::RowBytes(c.type, x.size()));
    ASSERT_TRUE(QuantizeRow(c.type, x.data(), bytes.data(), x.size()).ok());
    std::vector<float> y(x.size());
    ASSERT_TRUE(DequantizeRow(c.type, bytes.data(), y.data(), y.size()).ok());
    const double rms = RelativeRms(x, y);
    EXPECT_LE(rms, c.max_rms) << gguf::TypeInfo(c.type).name;
    if (c.max_rms > 0) {
      EXPECT_GT(rms, 0) << gguf::TypeInfo(c.type).name << " lost nothing?";
    }
  }
}

TEST(Quantize, DegenerateRowsStayFinite) {
  for (GgmlType type : {GgmlType::kQ8_0, GgmlType::kQ4_0, GgmlType::kQ5_0, GgmlType::kQ4_1, GgmlType::kQ5_1,
                        GgmlType::kIQ4_NL, GgmlType::kIQ4_XS, GgmlType::kQ2_K, GgmlType::kQ3_K,
                        GgmlType::kQ4_K, GgmlType::kQ5_K, GgmlType::kQ6_K}) {
    for (float value : {0.0f, 1.0f, -3.0f, 1e-30f}) {
      std::vector<float> x(256, value);
      std::vector<uint8_t> bytes(*gguf::RowBytes(type, 256));
      ASSERT_TRUE(QuantizeRow(type, x.data(), bytes.data(), 256).ok());
      std::vector<float> y(256);
      ASSERT_TRUE(DequantizeRow(type, bytes.data(), y.data(), 256).ok());
      for (float v : y) {
        ASSERT_TRUE(std::isfinite(v));
        ASSERT_NEAR(v, value, std::fabs(value) * 0.1 + 1e-6) << gguf::TypeInfo(type).name;
      }
    }
  }
}

TEST(Quantize, RejectsPartialBlocksAndUnknownTypes) {
  std::vector<float> x(100);
  std::vector<uint8_t> out(1000);
  EXPECT_FALSE(QuantizeRow(GgmlType::kQ4_K, x.data(), out.data(), 100).ok());
  EXPECT_FALSE(DequantizeRow(GgmlType::kQ8_0, out.data(), x.data(), 33).ok());
  EXPECT_FALSE(QuantizeRow(GgmlType::kIQ2_XS, x.data(), out.data(), 256).ok());
  EXPECT_FALSE(IsSupportedType(GgmlType::kIQ3_S));
}

}  // namespace
}  // namespace quant
