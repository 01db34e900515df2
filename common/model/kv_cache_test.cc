#include "common/model/kv_cache.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <tuple>
#include <vector>

#include "gtest/gtest.h"

namespace model {
namespace {

ModelConfig TwoHeads(uint32_t head_dim) {
  ModelConfig c;
  c.name = "two-heads";
  c.n_layers = 2;
  c.n_kv_heads = 2;
  c.head_dim = head_dim;
  return c;
}

TEST(KvCache, NamesAsLlamaCppDoes) {
  for (const char* name : {"f32", "f16", "bf16", "q8_0"}) {
    auto type = ParseKvCacheType(name);
    ASSERT_TRUE(type.ok()) << name;
    EXPECT_STREQ(KvCacheTypeName(*type), name);
  }
  auto bad = ParseKvCacheType("q4_0");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("f32, f16, bf16, q8_0"), std::string::npos) << bad.status();
  EXPECT_EQ(KvCacheBytesPerElement(KvCacheType::kQ8_0), 34.0 / 32);
  EXPECT_EQ(KvCacheBytesPerElement(KvCacheType::kBF16), 2.0);
}

TEST(KvCache, KeysAndValuesMayDiffer) {
  const KvCacheTypes mixed(KvCacheType::kQ8_0, KvCacheType::kF16);
  EXPECT_TRUE(mixed.mixed());
  EXPECT_FALSE(KvCacheTypes(KvCacheType::kF16).mixed());
  EXPECT_EQ(KvCacheTypesName(mixed), "q8_0/f16");
  EXPECT_EQ(KvCacheTypesName(KvCacheType::kBF16), "bf16");
  EXPECT_EQ(KvCacheBytesPerElement(mixed), (34.0 / 32 + 2) / 2);
  KvCache cache(TwoHeads(64), 8, mixed);
  EXPECT_EQ(cache.Keys(1, 1, 0).row_bytes, 2u * 34);
  EXPECT_EQ(cache.Keys(1, 1, 0).element, simd::KvElement::kQ8_0);
  EXPECT_EQ(cache.Values(1, 1, 0).row_bytes, 64u * 2);
  EXPECT_EQ(cache.Values(1, 1, 0).element, simd::KvElement::kF16);
  EXPECT_FALSE(CheckKvCacheType(TwoHeads(72), {KvCacheType::kF16, KvCacheType::kQ8_0}).ok());
}

TEST(KvCache, Q8_0NeedsWholeBlocksPerHead) {
  EXPECT_TRUE(CheckKvCacheType(TwoHeads(64), KvCacheType::kQ8_0).ok());
  const absl::Status s = CheckKvCacheType(TwoHeads(72), KvCacheType::kQ8_0);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("72"), std::string::npos) << s;
  EXPECT_TRUE(CheckKvCacheType(TwoHeads(72), KvCacheType::kF16).ok());
}

// What a type keeps of a value, read back through a copy into an F32 cache:
// F32 exactly, F16 and BF16 to half a unit in their last place, Q8_0 to half
// a step of its block's scale (amax / 127) plus the scale's own rounding to
// a half; keys and values each to their own type's.
TEST(KvCache, EachTypeKeepsItsValuesToItsPrecision) {
  const ModelConfig c = TwoHeads(64);
  std::mt19937 rng(7);
  std::normal_distribution<float> normal(0.0f, 2.0f);
  const int positions = 5;
  const KvCacheTypes kTypes[] = {KvCacheType::kF32,
                                 KvCacheType::kF16,
                                 KvCacheType::kBF16,
                                 KvCacheType::kQ8_0,
                                 {KvCacheType::kQ8_0, KvCacheType::kF16},
                                 {KvCacheType::kF16, KvCacheType::kBF16}};
  for (KvCacheTypes types : kTypes) {
    KvCache cache(c, 8, types);
    ASSERT_EQ(cache.types(), types);
    std::vector<float> keys(c.n_layers * c.n_kv_heads * positions * 64), values(keys.size());
    for (size_t i = 0; i < keys.size(); ++i) keys[i] = normal(rng), values[i] = normal(rng);
    size_t at = 0;
    for (int layer = 0; layer < 2; ++layer) {
      for (int h = 0; h < 2; ++h) {
        for (int p = 0; p < positions; ++p, at += 64) cache.Store(layer, h, p, &keys[at], &values[at]);
      }
    }
    KvCache wide(c, 8, KvCacheType::kF32);
    wide.CopyFrom(cache, positions);
    at = 0;
    for (int layer = 0; layer < 2; ++layer) {
      for (int h = 0; h < 2; ++h) {
        const simd::KvRows k = wide.Keys(layer, h, 0), v = wide.Values(layer, h, 0);
        ASSERT_EQ(k.row_bytes, 64u * 4);
        for (int p = 0; p < positions; ++p, at += 64) {
          for (int i = 0; i < 64; ++i) {
            float got_k, got_v;
            std::memcpy(&got_k, static_cast<const char*>(k.data) + p * k.row_bytes + 4 * i, 4);
            std::memcpy(&got_v, static_cast<const char*>(v.data) + p * v.row_bytes + 4 * i, 4);
            for (auto [want, got, all, type] : {std::tuple{keys[at + i], got_k, &keys, types.key},
                                                {values[at + i], got_v, &values, types.value}}) {
              const float* block = all->data() + at + i / 32 * 32;
              float amax = 0;
              for (int j = 0; j < 32; ++j) amax = std::max(amax, std::fabs(block[j]));
              const double bound = type == KvCacheType::kF32    ? 0
                                   : type == KvCacheType::kF16  ? std::fabs(want) * 0x1p-11
                                   : type == KvCacheType::kBF16 ? std::fabs(want) * 0x1p-8
                                                                : amax / 127 * (0.5 + 127 * 0x1p-11);
              ASSERT_LE(std::fabs(got - want), bound) << KvCacheTypesName(types) << " layer " << layer << " head " << h
                                                      << " position " << p << " value " << i;
            }
          }
        }
      }
    }
  }
}

}  // namespace
}  // namespace model
