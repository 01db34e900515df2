#include "common/model/model_config.h"

#include "gtest/gtest.h"

namespace model {
namespace {

TEST(ModelConfig, PresetParameterCountsMatchPublishedSizes) {
  // Published totals: Llama-2-7B 6.74e9, Qwen2.5-1.5B 1.54e9, Qwen2.5-0.5B 0.49e9,
  // Llama-3.2-1B 1.24e9, Llama-3.1-8B 8.03e9, Qwen3-0.6B 0.60e9, Qwen3-1.7B 1.72e9
  // (1.4e9 without embeddings), Qwen3-8B 8.19e9, Gemma-3-1B 1.00e9, Phi-3-mini 3.82e9.
  struct Case {
    const char* name;
    double billions;
  } cases[] = {{"llama-2-7b", 6.74}, {"qwen2.5-1.5b", 1.54}, {"qwen2.5-0.5b", 0.494},
               {"llama-3.2-1b", 1.236}, {"llama-3.1-8b", 8.03}, {"qwen3-0.6b", 0.596},
               {"qwen3-1.7b", 1.72},    {"qwen3-8b", 8.19},     {"gemma-3-1b", 1.0},
               {"phi-3-mini", 3.82}};
  for (const Case& c : cases) {
    auto config = FindPreset(c.name);
    ASSERT_TRUE(config.ok()) << config.status();
    EXPECT_NEAR(config->ParameterCount() / 1e9, c.billions, 0.01) << c.name;
    EXPECT_TRUE(ValidateConfig(*config).ok()) << c.name;
  }
}

TEST(ModelConfig, GqaShrinksKeyValueProjections) {
  auto qwen = FindPreset("qwen2.5-1.5b");
  ASSERT_TRUE(qwen.ok());
  EXPECT_EQ(qwen->QDim(), 1536u);
  EXPECT_EQ(qwen->KvDim(), 256u);
  // q + k + v + o + gate + up + down
  EXPECT_EQ(qwen->LayerMatrixParams(),
            1536ull * 1536 + 2 * 1536ull * 256 + 1536ull * 1536 + 3 * 1536ull * 8960);
}

TEST(ModelConfig, HeadDimIsNotAssumedFromHidden) {
  ModelConfig c = *FindPreset("qwen2.5-0.5b");
  c.head_dim = 128;  // hidden / heads would be 64
  EXPECT_EQ(c.QDim(), 14u * 128);
}

TEST(ModelConfig, UnknownPresetListsTheKnownOnes) {
  auto missing = FindPreset("gpt-5");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("qwen2.5-1.5b"), std::string::npos);
}

TEST(ModelConfig, FamiliesAreTheirTraits) {
  EXPECT_FALSE(FindPreset("llama-3.1-8b")->traits().rope_neox);
  EXPECT_TRUE(FindPreset("qwen3-8b")->traits().qk_norm);
  const ModelConfig gemma = *FindPreset("gemma-3-1b");
  EXPECT_TRUE(gemma.traits().post_norms);
  EXPECT_EQ(gemma.traits().activation, FfnActivation::kGeluTanh);
  // Five sliding-window layers, then a global one.
  for (uint32_t l = 0; l < 12; ++l) EXPECT_EQ(gemma.IsSlidingLayer(l), l % 6 != 5) << l;
  EXPECT_TRUE(FindPreset("phi-3-mini")->traits().fused_qkv);
  EXPECT_EQ(FindArch("gptj"), nullptr);
  ModelConfig c = *FindPreset("qwen3-0.6b");
  c.arch = "gptj";
  EXPECT_NE(ValidateConfig(c).message().find("architecture 'gptj' is not supported"), std::string::npos);
}

TEST(ModelConfig, ValidationRejectsInconsistentShapes) {
  ModelConfig c = *FindPreset("llama-2-7b");
  c.n_kv_heads = 5;
  EXPECT_FALSE(ValidateConfig(c).ok());
  c = *FindPreset("llama-2-7b");
  c.hidden = 0;
  EXPECT_FALSE(ValidateConfig(c).ok());
  c = *FindPreset("llama-2-7b");
  c.norm_eps = 0;
  EXPECT_FALSE(ValidateConfig(c).ok());
}

}  // namespace
}  // namespace model
