#include "common/model/gguf_config.h"

#include <algorithm>
#include <cstdio>
#include <limits>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace model {
namespace {

absl::StatusOr<uint32_t> ReadU32(const gguf::GgufFile& f, const std::string& key) {
  auto v = f.GetUint(key);
  if (!v.ok()) return v.status();
  if (*v > std::numeric_limits<uint32_t>::max()) {
    return absl::InvalidArgumentError(absl::StrCat(f.path(), ": metadata '", key, "' = ", *v, " is too large"));
  }
  return static_cast<uint32_t>(*v);
}

// The value of `key` if present; `fallback` if missing; an error if malformed.
absl::StatusOr<uint32_t> ReadU32Or(const gguf::GgufFile& f, const std::string& key, uint32_t fallback) {
  if (f.Find(key) == nullptr) return fallback;
  return ReadU32(f, key);
}

absl::StatusOr<float> ReadFloatOr(const gguf::GgufFile& f, const std::string& key, float fallback) {
  if (f.Find(key) == nullptr) return fallback;
  auto v = f.GetFloat(key);
  if (!v.ok()) return v.status();
  return static_cast<float>(*v);
}

}  // namespace

absl::StatusOr<ModelConfig> ConfigFromGguf(const gguf::GgufFile& f) {
  auto arch = f.GetString("general.architecture");
  if (!arch.ok()) return arch.status();
  if (FindArch(*arch) == nullptr) {
    return absl::UnimplementedError(absl::StrCat(f.path(), ": architecture '", *arch,
                                                 "' is not supported (supported: ",
                                                 absl::StrJoin(SupportedArchitectures(), ", "), ")"));
  }
  const std::string& a = *arch;
  ModelConfig c;
  c.arch = a;
  auto name = f.GetString("general.name");
  c.name = name.ok() ? *name : f.path();

#define APR_READ(field, expr)            \
  {                                      \
    auto v = (expr);                     \
    if (!v.ok()) return v.status();      \
    c.field = *v;                        \
  }
  APR_READ(n_layers, ReadU32(f, a + ".block_count"));
  APR_READ(hidden, ReadU32(f, a + ".embedding_length"));
  APR_READ(ffn, ReadU32(f, a + ".feed_forward_length"));
  APR_READ(n_heads, ReadU32(f, a + ".attention.head_count"));
  APR_READ(n_kv_heads, ReadU32Or(f, a + ".attention.head_count_kv", c.n_heads));
  APR_READ(context_length, ReadU32Or(f, a + ".context_length", 2048));
  if (c.n_heads == 0) {
    return absl::InvalidArgumentError(absl::StrCat(f.path(), ": metadata '", a, ".attention.head_count' is 0"));
  }
  APR_READ(head_dim, ReadU32Or(f, a + ".attention.key_length", c.hidden / c.n_heads));
  auto value_length = ReadU32Or(f, a + ".attention.value_length", c.head_dim);
  if (!value_length.ok()) return value_length.status();
  if (*value_length != c.head_dim) {
    return absl::UnimplementedError(absl::StrCat(f.path(), ": value_length ", *value_length,
                                                 " differs from key_length ", c.head_dim));
  }
  auto eps = f.GetFloat(a + ".attention.layer_norm_rms_epsilon");
  if (!eps.ok()) return eps.status();
  c.norm_eps = static_cast<float>(*eps);
  APR_READ(rope_theta, ReadFloatOr(f, a + ".rope.freq_base", c.rope_theta));
  // Sliding windows, as llama.cpp reads them for gemma3 (its defaults where
  // a key is absent; other families' windows it ignores, as here).
  if (a == "gemma3") {
    APR_READ(sliding_window, ReadU32Or(f, a + ".attention.sliding_window", 0));
    APR_READ(swa_period, ReadU32Or(f, a + ".attention.sliding_window_pattern", c.sliding_window > 0 ? 6 : 0));
    APR_READ(rope_theta_swa, ReadFloatOr(f, a + ".rope.freq_base_swa", 10000.0f));
  }
  if (FindArch(a)->moe) {
    APR_READ(n_experts, ReadU32(f, a + ".expert_count"));
    APR_READ(n_experts_used, ReadU32(f, a + ".expert_used_count"));
    // llama.cpp's fallback when the width is absent: the dense width shared
    // among the routed experts.
    APR_READ(expert_ffn, ReadU32Or(f, a + ".expert_feed_forward_length",
                                   c.n_experts_used > 0 ? c.ffn / c.n_experts_used : 0));
  }
  APR_READ(final_logit_softcap, ReadFloatOr(f, a + ".final_logit_softcapping", 0.0f));
  APR_READ(rope_attn_factor, ReadFloatOr(f, a + ".rope.scaling.attn_factor", 1.0f));
  // Rope scaling: linear (positions / factor) runs; what else a file names
  // would rotate differently, so it is refused rather than ignored.
  if (f.Find(a + ".rope.scaling.type") != nullptr) {
    auto type = f.GetString(a + ".rope.scaling.type");
    if (!type.ok()) return type.status();
    if (*type == "linear") {
      APR_READ(rope_linear_factor, ReadFloatOr(f, a + ".rope.scaling.factor", 1.0f));
    } else if (*type != "none") {
      return absl::UnimplementedError(absl::StrCat(f.path(), ": rope scaling type '", *type,
                                                   "' is not supported (supported: linear, none)"));
    }
  }
#undef APR_READ

  // Vocabulary: the tokenizer's list, else the embedding table's rows.
  const gguf::GgufTensor* embd = f.FindTensor("token_embd.weight");
  if (const gguf::GgufValue* tokens = f.Find("tokenizer.ggml.tokens")) {
    if (tokens->type != gguf::ValueType::kArray) {
      return absl::InvalidArgumentError(absl::StrCat(f.path(), ": metadata 'tokenizer.ggml.tokens' is not an array"));
    }
    c.vocab = static_cast<uint32_t>(std::min<size_t>(tokens->array.size(), UINT32_MAX));
  } else if (embd != nullptr && embd->dims.size() == 2 && embd->dims[1] <= UINT32_MAX) {
    c.vocab = static_cast<uint32_t>(embd->dims[1]);
  } else {
    return absl::InvalidArgumentError(absl::StrCat(
        f.path(), ": no vocabulary size (neither 'tokenizer.ggml.tokens' nor a 2-D token_embd.weight)"));
  }
  c.tied_embeddings = f.FindTensor("output.weight") == nullptr;
  c.qkv_bias = f.FindTensor("blk.0.attn_q.bias") != nullptr || f.FindTensor("blk.0.attn_qkv.bias") != nullptr;
  if (auto s = ValidateConfig(c); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(f.path(), ": ", s.message()));
  }
  return c;
}

void AddConfigMetadata(const ModelConfig& c, gguf::GgufWriter* w) {
  const std::string& a = c.arch;
  w->SetString("general.architecture", a);
  w->SetString("general.name", c.name);
  w->SetUint32(a + ".block_count", c.n_layers);
  w->SetUint32(a + ".context_length", c.context_length);
  w->SetUint32(a + ".embedding_length", c.hidden);
  w->SetUint32(a + ".feed_forward_length", c.ffn);
  w->SetUint32(a + ".attention.head_count", c.n_heads);
  w->SetUint32(a + ".attention.head_count_kv", c.n_kv_heads);
  w->SetUint32(a + ".attention.key_length", c.head_dim);
  w->SetUint32(a + ".attention.value_length", c.head_dim);
  w->SetFloat32(a + ".rope.freq_base", c.rope_theta);
  w->SetFloat32(a + ".attention.layer_norm_rms_epsilon", c.norm_eps);
  w->SetUint32(a + ".rope.dimension_count", c.head_dim);
  w->SetUint32(a + ".vocab_size", c.vocab);
  if (c.sliding_window > 0) {
    w->SetUint32(a + ".attention.sliding_window", c.sliding_window);
    w->SetUint32(a + ".attention.sliding_window_pattern", c.swa_period);
    w->SetFloat32(a + ".rope.freq_base_swa", c.rope_theta_swa);
  }
  if (c.rope_linear_factor != 1.0f) {
    w->SetString(a + ".rope.scaling.type", "linear");
    w->SetFloat32(a + ".rope.scaling.factor", c.rope_linear_factor);
  }
  if (c.IsMoe()) {
    w->SetUint32(a + ".expert_count", c.n_experts);
    w->SetUint32(a + ".expert_used_count", c.n_experts_used);
    w->SetUint32(a + ".expert_feed_forward_length", c.expert_ffn);
  }
  if (c.final_logit_softcap > 0) w->SetFloat32(a + ".final_logit_softcapping", c.final_logit_softcap);
  // A byte-level vocabulary: the 256 bytes as <0xNN> tokens, then fillers.
  std::vector<std::string> tokens;
  std::vector<float> scores;
  std::vector<int32_t> types;
  tokens.reserve(c.vocab);
  for (uint32_t i = 0; i < c.vocab; ++i) {
    if (i < 3) {
      tokens.push_back(i == 0 ? "<unk>" : i == 1 ? "<s>" : "</s>");
      types.push_back(i == 0 ? 2 : 3);  // unknown, control
    } else if (i < 259) {
      char byte[8];
      std::snprintf(byte, sizeof(byte), "<0x%02X>", i - 3);
      tokens.push_back(byte);
      types.push_back(6);  // byte
    } else if (i == c.vocab - 1 && c.arch == "phi3") {
      // llama.cpp's loader looks this token up in any model named phi-3.
      tokens.push_back("<|endoftext|>");
      types.push_back(3);  // control
    } else {
      tokens.push_back(absl::StrCat("<tok", i, ">"));
      types.push_back(1);  // normal
    }
    scores.push_back(-static_cast<float>(i));
  }
  w->SetString("tokenizer.ggml.model", "llama");
  w->SetStringArray("tokenizer.ggml.tokens", tokens);
  w->SetFloat32Array("tokenizer.ggml.scores", scores);
  w->SetInt32Array("tokenizer.ggml.token_type", types);
  w->SetUint32("tokenizer.ggml.unknown_token_id", 0);
  w->SetUint32("tokenizer.ggml.bos_token_id", 1);
  w->SetUint32("tokenizer.ggml.eos_token_id", 2);
}

}  // namespace model
