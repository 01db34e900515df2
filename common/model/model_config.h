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

struct ModelConfig {
  std::string name;           // "qwen2.5-1.5b"
  std::string arch;           // GGUF general.architecture: "llama", "qwen2"
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

  uint64_t QDim() const { return uint64_t(n_heads) * head_dim; }
  uint64_t KvDim() const { return uint64_t(n_kv_heads) * head_dim; }
  // Weights of the matrices one layer multiplies by (q, k, v, o, gate, up, down).
  uint64_t LayerMatrixParams() const;
  // Every parameter, embedding and (untied) output head included.
  uint64_t ParameterCount() const;
};

// Checks the fields are consistent (non-zero, heads divisible by kv heads...).
absl::Status ValidateConfig(const ModelConfig& config);

absl::StatusOr<ModelConfig> FindPreset(const std::string& name);
std::vector<std::string> PresetNames();

}  // namespace model

#endif  // APR_COMMON_MODEL_MODEL_CONFIG_H_
