#include "common/model/model_config.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

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

ModelConfig Llama3(ModelConfig c, float factor) {
  c.llama3_rope.factor = factor;
  return c;
}

// Gemma 3's sliding-window layers: five local (window, rope base 10^4) to
// one global.
ModelConfig Gemma3(ModelConfig c, uint32_t window, float linear_factor) {
  c.sliding_window = window;
  c.swa_period = 6;
  c.rope_theta_swa = 1e4f;
  c.rope_linear_factor = linear_factor;
  return c;
}

ModelConfig Moe(ModelConfig c, uint32_t experts, uint32_t used, uint32_t expert_ffn) {
  c.n_experts = experts;
  c.n_experts_used = used;
  c.expert_ffn = expert_ffn;
  return c;
}

// Shapes as published in each model's configuration.
const std::vector<ModelConfig>& Presets() {
  static const auto* presets = new std::vector<ModelConfig>{
      Make("qwen2.5-0.5b", "qwen2", 24, 896, 14, 2, 64, 4864, 151936, 32768, true, true, 1e6f, 1e-6f),
      Make("qwen2.5-1.5b", "qwen2", 28, 1536, 12, 2, 128, 8960, 151936, 32768, true, true, 1e6f, 1e-6f),
      Llama3(Make("llama-3.2-1b", "llama", 16, 2048, 32, 8, 64, 8192, 128256, 131072, true, false, 5e5f, 1e-5f),
             32.0f),
      Make("llama-2-7b", "llama", 32, 4096, 32, 32, 128, 11008, 32000, 4096, false, false, 1e4f, 1e-5f),
      Llama3(Make("llama-3.1-8b", "llama", 32, 4096, 32, 8, 128, 14336, 128256, 131072, false, false, 5e5f, 1e-5f),
             8.0f),
      Make("qwen3-0.6b", "qwen3", 28, 1024, 16, 8, 128, 3072, 151936, 40960, true, false, 1e6f, 1e-6f),
      Make("qwen3-1.7b", "qwen3", 28, 2048, 16, 8, 128, 6144, 151936, 40960, true, false, 1e6f, 1e-6f),
      Make("qwen3-8b", "qwen3", 36, 4096, 32, 8, 128, 12288, 151936, 40960, false, false, 1e6f, 1e-6f),
      Gemma3(Make("gemma-3-1b", "gemma3", 26, 1152, 4, 1, 256, 6912, 262144, 32768, true, false, 1e6f, 1e-6f),
             512, 1.0f),
      Gemma3(Make("gemma-3-4b", "gemma3", 34, 2560, 8, 4, 256, 10240, 262208, 131072, true, false, 1e6f, 1e-6f),
             1024, 8.0f),
      Make("phi-3-mini", "phi3", 32, 3072, 32, 32, 96, 8192, 32064, 4096, false, false, 1e4f, 1e-5f),
      Moe(Make("qwen3-30b-a3b", "qwen3moe", 48, 2048, 32, 4, 128, 6144, 151936, 40960, false, false, 1e6f, 1e-6f),
          128, 8, 768),
      // Not a published model: qwen3-30b-a3b's experts (128, 8 routed) and
      // attention at a size the tests and the chapter can afford (~350 MB
      // at Q4_K_M).
      Moe(Make("qwen3-moe-mini", "qwen3moe", 8, 768, 12, 4, 64, 3072, 32768, 32768, true, false, 1e6f, 1e-6f),
          128, 8, 256),
  };
  return *presets;
}

}  // namespace

uint64_t ModelConfig::LayerMatrixParams() const {
  const uint64_t h = hidden;
  const uint64_t ffn_params = IsMoe() ? h * n_experts + 3 * h * expert_ffn * n_experts : 3 * h * ffn;
  return h * QDim() + 2 * h * KvDim() + QDim() * h + ffn_params;
}

uint64_t ModelConfig::ActiveParameterCount() const {
  const uint64_t idle_experts = IsMoe() ? uint64_t(n_experts - n_experts_used) : 0;
  return ParameterCount() - uint64_t(n_layers) * idle_experts * 3 * hidden * expert_ffn;
}

const ArchTraits kArchs[] = {
    // arch     neox   qk_norm post   scale  qkv    gate_up activation           moe
    {"llama", false, false, false, false, false, false, FfnActivation::kSilu, false},
    {"qwen2", true, false, false, false, false, false, FfnActivation::kSilu, false},
    {"qwen3", true, true, false, false, false, false, FfnActivation::kSilu, false},
    {"qwen3moe", true, true, false, false, false, false, FfnActivation::kSilu, true},
    {"gemma3", true, true, true, true, false, false, FfnActivation::kGeluTanh, false},
    {"phi3", true, false, false, false, true, true, FfnActivation::kSilu, false},
};

const ArchTraits* FindArch(const std::string& arch) {
  for (const ArchTraits& t : kArchs) {
    if (arch == t.arch) return &t;
  }
  return nullptr;
}

std::vector<std::string> SupportedArchitectures() {
  std::vector<std::string> names;
  for (const ArchTraits& t : kArchs) names.push_back(t.arch);
  return names;
}

const ArchTraits& ModelConfig::traits() const {
  const ArchTraits* t = FindArch(arch);
  if (t == nullptr) {
    std::fprintf(stderr, "ModelConfig: unsupported architecture '%s'\n", arch.c_str());
    std::abort();  // a programmer's error: configs are validated when read
  }
  return *t;
}

std::vector<float> Llama3RopeFactors(const ModelConfig& c) {
  const ModelConfig::Llama3Rope& r = c.llama3_rope;
  std::vector<float> factors;
  const double low_wavelen = r.original_context / r.low_freq_factor;
  const double high_wavelen = r.original_context / r.high_freq_factor;
  for (uint32_t i = 0; i < c.head_dim / 2; ++i) {
    const double wavelen = 2 * M_PI / std::pow(double(c.rope_theta), -2.0 * i / c.head_dim);
    double divisor = 1;
    if (wavelen > low_wavelen) {
      divisor = r.factor;
    } else if (wavelen >= high_wavelen) {
      const double smooth = (r.original_context / wavelen - r.low_freq_factor) / (r.high_freq_factor - r.low_freq_factor);
      divisor = 1 / ((1 - smooth) / r.factor + smooth);
    }
    factors.push_back(static_cast<float>(divisor));
  }
  return factors;
}

float ModelConfig::AttentionScale() const {
  const bool gemma3_27b = arch == "gemma3" && n_layers == 62;
  return 1.0f / std::sqrt(static_cast<float>(gemma3_27b ? hidden / n_heads : head_dim));
}

uint64_t ModelConfig::ParameterCount() const {
  const uint64_t h = hidden;
  uint64_t per_layer = LayerMatrixParams() + 2 * h;  // + two norm weights
  if (qkv_bias) per_layer += QDim() + 2 * KvDim();
  if (traits().qk_norm) per_layer += 2 * head_dim;
  if (traits().post_norms) per_layer += 2 * h;
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
  if (FindArch(c.arch) == nullptr) {
    return bad(absl::StrCat("architecture '", c.arch, "' is not supported (supported: ",
                            absl::StrJoin(SupportedArchitectures(), ", "), ")"));
  }
  if (c.n_heads % c.n_kv_heads != 0) {
    return bad(absl::StrCat(c.n_heads, " heads are not a multiple of ", c.n_kv_heads, " kv heads"));
  }
  if (c.head_dim % 2 != 0) return bad("head dim must be even for RoPE");
  if (FindArch(c.arch)->moe != c.IsMoe()) {
    return bad(c.IsMoe() ? absl::StrCat("architecture '", c.arch, "' has no experts")
                         : absl::StrCat("architecture '", c.arch, "' needs an expert count > 0"));
  }
  if (c.IsMoe() && (c.n_experts_used == 0 || c.n_experts_used > c.n_experts || c.expert_ffn == 0 ||
                    c.n_experts > 4096 || c.expert_ffn > (1u << 20))) {
    return bad(absl::StrCat("experts: ", c.n_experts_used, " used of ", c.n_experts, ", width ", c.expert_ffn,
                            " (need 0 < used <= experts <= 4096 and a width > 0)"));
  }
  // Bounds that keep every product of dimensions far from overflow.
  if (c.n_layers > 4096 || c.hidden > (1u << 17) || c.n_heads > 4096 || c.head_dim > 4096 ||
      c.ffn > (1u << 20) || c.vocab > (1u << 22)) {
    return bad("a dimension is larger than any model this tool supports");
  }
  if (!(c.norm_eps > 0 && c.norm_eps < 1)) return bad("norm epsilon must be in (0, 1)");
  if (!(c.rope_theta > 0) || !(c.rope_theta_swa > 0)) return bad("rope theta must be > 0");
  if (c.llama3_rope.factor != 0 &&
      !(c.llama3_rope.factor >= 1 && c.llama3_rope.high_freq_factor > c.llama3_rope.low_freq_factor &&
        c.llama3_rope.low_freq_factor > 0 && c.llama3_rope.original_context > 0)) {
    return bad("llama3 rope scaling needs factor >= 1 and high_freq_factor > low_freq_factor > 0");
  }
  if (!(c.rope_attn_factor > 0 && c.rope_attn_factor < 100)) return bad("rope attention factor must be in (0, 100)");
  if (!(c.rope_linear_factor >= 1 && c.rope_linear_factor <= 1024)) return bad("rope scaling factor must be in [1, 1024]");
  if (c.sliding_window > 0 && c.swa_period == 0) return bad("a sliding window needs a layer pattern (period > 0)");
  if (!(c.final_logit_softcap >= 0 && c.final_logit_softcap < 1e6f)) return bad("logit softcap must be >= 0");
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
