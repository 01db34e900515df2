// The shape of a decoder-only transformer, and presets of real models.
//
//   absl::StatusOr<ModelConfig> c = FindPreset("qwen2.5-1.5b");
//   uint64_t n = c->ParameterCount();
#ifndef APR_COMMON_MODEL_MODEL_CONFIG_H_
#define APR_COMMON_MODEL_MODEL_CONFIG_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace model {

// What a feed-forward block applies to its gate before multiplying by up.
enum class FfnActivation { kSilu, kGeluTanh };

// What distinguishes a family's forward pass: data, not code of its own.
struct ArchTraits {
  const char* arch;
  bool rope_neox;         // rotate pairs (i, i + d/2), not (2i, 2i + 1)
  bool qk_norm;           // RMSNorm of each q and k head before rope (qwen3, gemma3)
  bool post_norms;        // RMSNorm of attention's and the FFN's outputs (gemma3)
  bool scale_embeddings;  // embeddings times sqrt(hidden) (gemma3)
  bool fused_qkv;         // one attn_qkv tensor (phi3)
  bool fused_gate_up;     // ffn_up holds the gate rows then the up rows, no ffn_gate (phi3)
  FfnActivation activation;
  bool moe = false;       // routed experts in place of the FFN (qwen3moe)
};
// The traits of a supported architecture; null for any other.
const ArchTraits* FindArch(const std::string& arch);
std::vector<std::string> SupportedArchitectures();

struct ModelConfig {
  std::string name;           // "qwen2.5-1.5b"
  std::string arch;           // GGUF general.architecture: "llama", "qwen2", "qwen3", "gemma3", "phi3"
  uint32_t n_layers = 0;
  uint32_t hidden = 0;        // embedding length
  uint32_t n_heads = 0;
  uint32_t n_kv_heads = 0;    // < n_heads under grouped-query attention
  uint32_t head_dim = 0;      // key/value length per head; not always hidden / n_heads
  uint32_t ffn = 0;           // feed-forward length
  uint32_t vocab = 0;
  uint32_t context_length = 0;
  bool tied_embeddings = false;  // output head reads token_embd
  bool qkv_bias = false;         // qwen2 has q/k/v biases
  float rope_theta = 10000.0f;
  float norm_eps = 1e-5f;

  // Sliding-window attention: a layer with a window sees its last
  // `sliding_window` positions; every `swa_period`-th layer (the last of
  // each period) sees all of them, with rope_theta, the others rope_theta_swa.
  uint32_t sliding_window = 0;   // 0: every layer sees everything
  uint32_t swa_period = 0;
  float rope_theta_swa = 10000.0f;
  // Linear rope scaling of the full-attention layers (positions / factor).
  float rope_linear_factor = 1.0f;
  float rope_attn_factor = 1.0f;  // rope's cos and sin scaled by it (phi3 LongRoPE)
  float final_logit_softcap = 0;  // 0: none
  // A mixture of experts (qwen3moe): each token's FFN is the weighted sum of
  // the n_experts_used experts (of n_experts, each a SwiGLU of width
  // expert_ffn) with the largest router probabilities, the weights those
  // probabilities renormalized to sum to 1. 0 experts: a dense FFN.
  uint32_t n_experts = 0, n_experts_used = 0, expert_ffn = 0;
  // Llama 3.x's rope scaling, which a GGUF file carries as rope_freqs (one
  // divisor per frequency); a preset's parameters, from which synth writes
  // that tensor as llama.cpp's converter does. factor 0: none.
  struct Llama3Rope {
    float factor = 0, low_freq_factor = 1, high_freq_factor = 4;
    uint32_t original_context = 8192;
  } llama3_rope;

  // The traits of `arch` (CHECK-fails for an unsupported one: configs are
  // validated when read).
  const ArchTraits& traits() const;
  // The softmax's scale: 1/sqrt(head_dim), except gemma3's 27B, which
  // divides by sqrt(hidden / heads) (as llama.cpp reads its checkpoint).
  float AttentionScale() const;
  bool IsSlidingLayer(uint32_t layer) const {
    return sliding_window > 0 && swa_period > 0 && layer % swa_period < swa_period - 1;
  }

  uint64_t QDim() const { return uint64_t(n_heads) * head_dim; }
  uint64_t KvDim() const { return uint64_t(n_kv_heads) * head_dim; }
  bool IsMoe() const { return n_experts > 0; }
  // Weights of the matrices one layer multiplies by (q, k, v, o, gate, up,
  // down; for a mixture of experts, the router and every expert).
  uint64_t LayerMatrixParams() const;
  // Every parameter, embedding and (untied) output head included.
  uint64_t ParameterCount() const;
  // The parameters one token's pass reads: for a mixture of experts only the
  // n_experts_used routed experts of each layer (ParameterCount otherwise).
  uint64_t ActiveParameterCount() const;
};

// Checks the fields are consistent (non-zero, heads divisible by kv heads...).
absl::Status ValidateConfig(const ModelConfig& config);

// Llama 3's rope_freqs: per frequency i (head_dim / 2 of them), 1 for
// wavelengths shorter than original_context / high_freq_factor, `factor` for
// those longer than original_context / low_freq_factor, and a smooth blend
// between.
std::vector<float> Llama3RopeFactors(const ModelConfig& config);

absl::StatusOr<ModelConfig> FindPreset(const std::string& name);
std::vector<std::string> PresetNames();

}  // namespace model

#endif  // APR_COMMON_MODEL_MODEL_CONFIG_H_
