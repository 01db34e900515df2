#include "common/model/model_config.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace model {
namespace {

ModelConfig Make(const char* name, const char* arch, uint32_t layers, uint32_t hidden,
                 uint32_t heads, uint32_t kv_heads, uint32_t head_dim, uint32_t ffn,
                 uint32_t vocab, uint32_t ctx, bool tied, bool bias, float theta, float eps) {
  ModelConfig c;
  c.name = name;
  c.arch = arch;
  c.n_layers = layers;
  c.hidden = hidden;
  c.n_heads = heads;
  c.n_kv_heads = kv_heads;
  c.head_dim = head_dim;
  c.ffn = ffn;
  c.vocab = vocab;
  c.context_length = ctx;
  c.tied_embeddings = tied;
  c.qkv_bias = bias;
  c.rope_theta = theta;
  c.norm_eps = eps;
  return c;
}

// Shapes as published in each model's configuration.
const std::vector<ModelConfig>& Presets() {
  static const auto* presets = new std::vector<ModelConfig>{
      Make("qwen2.5-0.5b", "qwen2", 24, 896, 14, 2, 64, 4864, 151936, 32768, true, true, 1e6f, 1e-6f),
      Make("qwen2.5-1.5b", "qwen2", 28, 1536, 12, 2, 128, 8960, 151936, 32768, true, true, 1e6f, 1e-6f),
      Make("llama-3.2-1b", "llama", 16, 2048, 32, 8, 64, 8192, 128256, 131072, true, false, 5e5f, 1e-5f),
      Make("llama-2-7b", "llama", 32, 4096, 32, 32, 128, 11008, 32000, 4096, false, false, 1e4f, 1e-5f),
  };
  return *presets;
}

}  // namespace

uint64_t ModelConfig::LayerMatrixParams() const {
  const uint64_t h = hidden;
  return h * QDim() + 2 * h * KvDim() + QDim() * h + 3 * h * ffn;
}

uint64_t ModelConfig::ParameterCount() const {
  const uint64_t h = hidden;
  uint64_t per_layer = LayerMatrixParams() + 2 * h;  // + two norm weights
  if (qkv_bias) per_layer += QDim() + 2 * KvDim();
  uint64_t embeddings = uint64_t(vocab) * h * (tied_embeddings ? 1 : 2);
  return per_layer * n_layers + embeddings + h;  // + output norm
}

absl::Status ValidateConfig(const ModelConfig& c) {
  auto bad = [&](const std::string& why) {
    return absl::InvalidArgumentError(absl::StrCat("model config '", c.name, "': ", why));
  };
  if (c.n_layers == 0 || c.hidden == 0 || c.n_heads == 0 || c.n_kv_heads == 0 ||
      c.head_dim == 0 || c.ffn == 0 || c.vocab == 0) {
    return bad("layers, hidden, heads, kv heads, head dim, ffn and vocab must all be > 0");
  }
  if (c.n_heads % c.n_kv_heads != 0) {
    return bad(absl::StrCat(c.n_heads, " heads are not a multiple of ", c.n_kv_heads, " kv heads"));
  }
  if (c.head_dim % 2 != 0) return bad("head dim must be even for RoPE");
  // Bounds that keep every product of dimensions far from overflow.
  if (c.n_layers > 4096 || c.hidden > (1u << 17) || c.n_heads > 4096 || c.head_dim > 4096 ||
      c.ffn > (1u << 20) || c.vocab > (1u << 22)) {
    return bad("a dimension is larger than any model this tool supports");
  }
  if (!(c.norm_eps > 0 && c.norm_eps < 1)) return bad("norm epsilon must be in (0, 1)");
  if (!(c.rope_theta > 0)) return bad("rope theta must be > 0");
  return absl::OkStatus();
}

absl::StatusOr<ModelConfig> FindPreset(const std::string& name) {
  for (const ModelConfig& c : Presets()) {
    if (c.name == name) return c;
  }
  return absl::NotFoundError(absl::StrCat("unknown preset '", name, "' (known: ",
                                          absl::StrJoin(PresetNames(), ", "), ")"));
}

std::vector<std::string> PresetNames() {
  std::vector<std::string> names;
  for (const ModelConfig& c : Presets()) names.push_back(c.name);
  return names;
}

}  // namespace model
