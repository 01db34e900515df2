#include <cstring>
#include <map>

#include "common/gguf/gguf_file.h"
#include "common/gguf/gguf_writer.h"
#include "common/model/gguf_config.h"
#include "common/model/tensor_layout.h"
#include "gtest/gtest.h"

namespace model {
namespace {

ModelConfig Tiny(const std::string& arch) {
  ModelConfig c;
  c.name = "tiny-" + arch;
  c.arch = arch;
  c.n_layers = 2;
  c.hidden = 256;
  c.n_heads = 4;
  c.n_kv_heads = 2;
  c.head_dim = 32;  // not hidden / heads (64)
  c.ffn = 512;
  c.vocab = 300;
  c.context_length = 128;
  c.tied_embeddings = arch == "qwen2";
  c.qkv_bias = arch == "qwen2";
  c.rope_theta = 1e6f;
  c.norm_eps = 1e-6f;
  return c;
}

std::string WriteModel(const ModelConfig& c, const std::string& scheme,
                       const std::string& drop = "", const std::string& reshape = "") {
  gguf::GgufWriter w;
  AddConfigMetadata(c, &w);
  auto layout = LayoutForScheme(c, scheme);
  EXPECT_TRUE(layout.ok()) << layout.status();
  for (TensorSpec t : *layout) {
    if (t.name == drop) continue;
    if (t.name == reshape) {
      t.dims[1] += 1;
      t.n_bytes = *gguf::RowBytes(t.type, t.dims[0]) * t.dims[1];
    }
    EXPECT_TRUE(w.AddTensor(t.name, t.dims, t.type, std::vector<uint8_t>(t.n_bytes)).ok()) << t.name;
  }
  return w.Serialize();
}

TEST(GgufConfig, RoundTripsBothArchitectures) {
  for (const char* arch : {"llama", "qwen2"}) {
    const ModelConfig c = Tiny(arch);
    const std::string bytes = WriteModel(c, "q8_0");
    auto f = gguf::GgufFile::Parse(bytes);
    ASSERT_TRUE(f.ok()) << f.status();
    auto back = ConfigFromGguf(**f);
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_EQ(back->arch, arch);
    EXPECT_EQ(back->n_layers, 2u);
    EXPECT_EQ(back->head_dim, 32u);
    EXPECT_EQ(back->n_kv_heads, 2u);
    EXPECT_EQ(back->vocab, 300u);
    EXPECT_EQ(back->tied_embeddings, c.tied_embeddings);
    EXPECT_EQ(back->qkv_bias, c.qkv_bias);
    EXPECT_FLOAT_EQ(back->rope_theta, 1e6f);
    auto layout = LayoutFromGguf(**f, *back);
    ASSERT_TRUE(layout.ok()) << layout.status();
    uint64_t total = 0;
    for (const TensorSpec& t : *layout) total += t.n_bytes;
    EXPECT_EQ(total, (*f)->TensorDataBytes());
  }
}

TEST(GgufConfig, MissingOrWrongMetadataNamesTheKey) {
  gguf::GgufWriter w;
  AddConfigMetadata(Tiny("llama"), &w);
  w.SetString("general.architecture", "gpt-j");
  auto f = gguf::GgufFile::Parse(w.Serialize());
  ASSERT_TRUE(f.ok());
  auto c = ConfigFromGguf(**f);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("architecture 'gpt-j' is not supported"), std::string::npos);

  gguf::GgufWriter w2;
  AddConfigMetadata(Tiny("llama"), &w2);
  w2.SetString("llama.block_count", "two");
  f = gguf::GgufFile::Parse(w2.Serialize());
  c = ConfigFromGguf(**f);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("'llama.block_count'"), std::string::npos) << c.status();

  gguf::GgufWriter w3;
  AddConfigMetadata(Tiny("llama"), &w3);
  w3.SetUint32("llama.attention.head_count_kv", 3);  // 4 heads not divisible by 3
  f = gguf::GgufFile::Parse(w3.Serialize());
  EXPECT_FALSE(ConfigFromGguf(**f).ok());
}

TEST(TensorLayout, MissingOrMisshapenTensorsAreNamed) {
  const ModelConfig c = Tiny("llama");
  auto f = gguf::GgufFile::Parse(WriteModel(c, "f32", "blk.1.ffn_up.weight"));
  ASSERT_TRUE(f.ok());
  auto layout = LayoutFromGguf(**f, c);
  ASSERT_FALSE(layout.ok());
  EXPECT_NE(layout.status().message().find("'blk.1.ffn_up.weight' is missing"), std::string::npos);

  const std::string reshaped = WriteModel(c, "f32", "", "blk.0.attn_k.weight");
  f = gguf::GgufFile::Parse(reshaped);
  ASSERT_TRUE(f.ok());
  layout = LayoutFromGguf(**f, c);
  ASSERT_FALSE(layout.ok());
  EXPECT_NE(layout.status().message().find("'blk.0.attn_k.weight' has shape [256, 65]"),
            std::string::npos)
      << layout.status();
}

TEST(TensorLayout, Q4KMMixesTypesAsLlamaCppDoes) {
  ModelConfig c = *FindPreset("qwen2.5-1.5b");
  auto layout = LayoutForScheme(c, "q4_k_m");
  ASSERT_TRUE(layout.ok());
  int q6 = 0, q4 = 0;
  for (const TensorSpec& t : *layout) {
    if (t.name == "blk.0.attn_v.weight" || t.name == "blk.0.ffn_down.weight") {
      EXPECT_EQ(t.type, gguf::GgmlType::kQ6_K);
    }
    if (t.name == "blk.4.ffn_down.weight") {
      EXPECT_EQ(t.type, gguf::GgmlType::kQ4_K) << t.name;
    }
    if (t.name == "blk.5.ffn_down.weight") {
      EXPECT_EQ(t.type, gguf::GgmlType::kQ6_K) << t.name;
    }
    if (t.name == "token_embd.weight") {
      EXPECT_EQ(t.type, gguf::GgmlType::kQ6_K);  // tied output
    }
    if (t.name == "blk.0.attn_norm.weight") {
      EXPECT_EQ(t.type, gguf::GgmlType::kF32);
    }
    q6 += t.type == gguf::GgmlType::kQ6_K;
    q4 += t.type == gguf::GgmlType::kQ4_K;
  }
  EXPECT_GT(q4, q6);
  // qwen2.5-0.5b's 896-wide rows are not whole 256-blocks: fall back to Q5_0 / Q8_0.
  auto small = LayoutForScheme(*FindPreset("qwen2.5-0.5b"), "q4_k_m");
  ASSERT_TRUE(small.ok());
  for (const TensorSpec& t : *small) {
    if (t.name == "blk.3.attn_q.weight") {
      EXPECT_EQ(t.type, gguf::GgmlType::kQ5_0);
    }
    if (t.name == "blk.0.attn_v.weight") {
      EXPECT_EQ(t.type, gguf::GgmlType::kQ8_0);
    }
  }
  EXPECT_FALSE(LayoutForScheme(c, "q3_x").ok());
}

// The matrices' types per file type, as llama-quantize wrote them (llama.cpp
// snapshot d32676d, 2026-12-05) for the qwen2.5-0.5b shape, whose 896-wide
// rows fall back to 32-weight formats while ffn_down's 4864-wide rows keep
// 256-blocks, and for qwen2.5-1.5b's.
TEST(TensorLayout, EveryFileTypeHoldsWhatLlamaQuantizeWrites) {
  using gguf::GgmlType;
  const std::map<std::string, std::map<GgmlType, int>> want = {
      {"q2_k", {{GgmlType::kQ3_K, 24}, {GgmlType::kQ4_0, 120}, {GgmlType::kQ5_0, 24}, {GgmlType::kQ8_0, 1}}},
      {"q3_k_s", {{GgmlType::kQ3_K, 24}, {GgmlType::kQ4_0, 144}, {GgmlType::kQ8_0, 1}}},
      {"q3_k_m",
       {{GgmlType::kQ4_0, 96}, {GgmlType::kQ4_K, 23}, {GgmlType::kQ5_0, 46}, {GgmlType::kQ5_1, 2},
        {GgmlType::kQ5_K, 1}, {GgmlType::kQ8_0, 1}}},
      {"q3_k_l", {{GgmlType::kQ4_0, 96}, {GgmlType::kQ5_1, 48}, {GgmlType::kQ5_K, 24}, {GgmlType::kQ8_0, 1}}},
      {"q4_k_s",
       {{GgmlType::kQ4_K, 21}, {GgmlType::kQ5_0, 140}, {GgmlType::kQ5_1, 4}, {GgmlType::kQ5_K, 3},
        {GgmlType::kQ8_0, 1}}},
      {"q4_k_m", {{GgmlType::kQ4_K, 12}, {GgmlType::kQ5_0, 132}, {GgmlType::kQ6_K, 12}, {GgmlType::kQ8_0, 13}}},
      {"q5_k_s", {{GgmlType::kQ5_1, 144}, {GgmlType::kQ5_K, 24}, {GgmlType::kQ8_0, 1}}},
      {"q5_k_m", {{GgmlType::kQ5_1, 132}, {GgmlType::kQ5_K, 12}, {GgmlType::kQ6_K, 12}, {GgmlType::kQ8_0, 13}}},
      {"q6_k", {{GgmlType::kQ6_K, 24}, {GgmlType::kQ8_0, 145}}},
      {"q8_0", {{GgmlType::kQ8_0, 169}}},
      {"q4_0", {{GgmlType::kQ4_0, 168}, {GgmlType::kQ8_0, 1}}},
      {"q4_1", {{GgmlType::kQ4_1, 168}, {GgmlType::kQ8_0, 1}}},
      {"q5_0", {{GgmlType::kQ5_0, 168}, {GgmlType::kQ8_0, 1}}},
      {"q5_1", {{GgmlType::kQ5_1, 168}, {GgmlType::kQ8_0, 1}}},
      {"iq4_nl", {{GgmlType::kIQ4_NL, 141}, {GgmlType::kQ5_1, 24}, {GgmlType::kQ5_K, 3}, {GgmlType::kQ8_0, 1}}},
      {"iq4_xs",
       {{GgmlType::kIQ4_NL, 120}, {GgmlType::kIQ4_XS, 21}, {GgmlType::kQ5_1, 24}, {GgmlType::kQ5_K, 3},
        {GgmlType::kQ8_0, 1}}},
  };
  // The qwen2.5-1.5b shape: 1536- and 8960-wide rows, no fallbacks.
  const std::map<std::string, std::map<GgmlType, int>> want_1_5b = {
      {"q2_k", {{GgmlType::kQ2_K, 112}, {GgmlType::kQ3_K, 56}, {GgmlType::kQ4_K, 28}, {GgmlType::kQ6_K, 1}}},
      {"q3_k_s", {{GgmlType::kQ3_K, 196}, {GgmlType::kQ6_K, 1}}},
      {"q3_k_m", {{GgmlType::kQ3_K, 112}, {GgmlType::kQ4_K, 81}, {GgmlType::kQ5_K, 3}, {GgmlType::kQ6_K, 1}}},
      {"q3_k_l", {{GgmlType::kQ3_K, 112}, {GgmlType::kQ5_K, 84}, {GgmlType::kQ6_K, 1}}},
      {"q4_k_s", {{GgmlType::kQ4_K, 189}, {GgmlType::kQ5_K, 7}, {GgmlType::kQ6_K, 1}}},
      {"q4_k_m", {{GgmlType::kQ4_K, 168}, {GgmlType::kQ6_K, 29}}},
      {"q5_k_s", {{GgmlType::kQ5_K, 196}, {GgmlType::kQ6_K, 1}}},
      {"iq4_xs", {{GgmlType::kIQ4_XS, 165}, {GgmlType::kQ5_K, 31}, {GgmlType::kQ6_K, 1}}},
      {"iq4_nl", {{GgmlType::kIQ4_NL, 165}, {GgmlType::kQ5_K, 31}, {GgmlType::kQ6_K, 1}}},
      {"q5_k_m", {{GgmlType::kQ5_K, 168}, {GgmlType::kQ6_K, 29}}},
      {"q6_k", {{GgmlType::kQ6_K, 197}}},
      {"q8_0", {{GgmlType::kQ8_0, 197}}},
      {"q4_0", {{GgmlType::kQ4_0, 196}, {GgmlType::kQ6_K, 1}}},
      {"q4_1", {{GgmlType::kQ4_1, 196}, {GgmlType::kQ6_K, 1}}},
      {"q5_0", {{GgmlType::kQ5_0, 196}, {GgmlType::kQ6_K, 1}}},
      {"q5_1", {{GgmlType::kQ5_1, 196}, {GgmlType::kQ6_K, 1}}},
  };
  // The other families' Q4_K_M: gemma-3-1b's 1152-wide rows fall back; phi3's
  // fused attn_qkv takes attn_v's rules; qwen3moe's routers stay F32 and its
  // expert stacks take gate's, up's and down's rules.
  const std::map<std::string, std::map<GgmlType, int>> want_families = {
      {"qwen3-0.6b", {{GgmlType::kQ4_K, 168}, {GgmlType::kQ6_K, 29}}},
      {"gemma-3-1b", {{GgmlType::kQ4_K, 39}, {GgmlType::kQ5_0, 117}, {GgmlType::kQ6_K, 13}, {GgmlType::kQ8_0, 14}}},
      {"llama-3.2-1b", {{GgmlType::kQ4_K, 96}, {GgmlType::kQ6_K, 17}}},
      {"phi-3-mini", {{GgmlType::kQ4_K, 97}, {GgmlType::kQ6_K, 33}}},
      {"qwen3-moe-mini", {{GgmlType::kF32, 8}, {GgmlType::kQ4_K, 48}, {GgmlType::kQ6_K, 9}}},
  };
  const auto matrix_types = [](const std::string& preset, const std::string& scheme) {
    auto layout = LayoutForScheme(*FindPreset(preset), scheme);
    std::map<GgmlType, int> got;
    EXPECT_TRUE(layout.ok()) << scheme << ": " << layout.status();
    for (const TensorSpec& t : layout.ok() ? *layout : std::vector<TensorSpec>{}) {
      if (t.IsMatrix()) ++got[t.type];
    }
    return got;
  };
  for (const auto& [scheme, counts] : want) EXPECT_EQ(matrix_types("qwen2.5-0.5b", scheme), counts) << scheme;
  for (const auto& [scheme, counts] : want_1_5b) EXPECT_EQ(matrix_types("qwen2.5-1.5b", scheme), counts) << scheme;
  for (const auto& [preset, counts] : want_families) EXPECT_EQ(matrix_types(preset, "q4_k_m"), counts) << preset;
  // The mixture in the other file types llama-quantize wrote for it.
  const std::map<std::string, std::map<GgmlType, int>> want_moe = {
      {"q2_k", {{GgmlType::kF32, 8}, {GgmlType::kQ2_K, 32}, {GgmlType::kQ3_K, 24}, {GgmlType::kQ6_K, 1}}},
      {"q3_k_m",
       {{GgmlType::kF32, 8}, {GgmlType::kQ3_K, 32}, {GgmlType::kQ4_K, 22}, {GgmlType::kQ5_K, 2}, {GgmlType::kQ6_K, 1}}},
      {"iq4_xs", {{GgmlType::kF32, 8}, {GgmlType::kIQ4_XS, 55}, {GgmlType::kQ5_K, 1}, {GgmlType::kQ6_K, 1}}},
      {"q5_k_m", {{GgmlType::kF32, 8}, {GgmlType::kQ5_K, 48}, {GgmlType::kQ6_K, 9}}},
  };
  for (const auto& [scheme, counts] : want_moe) EXPECT_EQ(matrix_types("qwen3-moe-mini", scheme), counts) << scheme;
}

}  // namespace
}  // namespace model
