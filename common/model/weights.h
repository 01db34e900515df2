// A model's weights from a memory-mapped GGUF file: every matrix a
// quant::WeightMatrix, by default copied once into the engine's own memory
// (quant::WeightBuffer: huge pages where granted, which decode streams faster
// than the file's 4 KiB pages) and repacked there into the kernels' layout
// where one exists; norms and biases converted to float once. The embedding
// table is copied last, in the file's layout (Embed dequantizes a row of
// it). Loading checks the whole model first: metadata,
// every required tensor present with the shape its config implies, a type the
// kernels run, and data inside the file.
//
//   auto w = ModelWeights::Load("model.gguf");
//   const LayerWeights& l = (*w)->layer(0);   // l.q, l.k, l.v, l.o, l.gate, l.up, l.down
#ifndef APR_COMMON_MODEL_WEIGHTS_H_
#define APR_COMMON_MODEL_WEIGHTS_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/gguf/gguf_file.h"
#include "common/model/model_config.h"
#include "common/model/tensor_layout.h"
#include "common/quant/matmul.h"

namespace model {

// A file's fused tensors (phi3's attn_qkv, its gate|up ffn_up) appear here
// as views of their rows: q, k and v (gate and up) point into one tensor.
// A mixture of experts has a router and the experts' stacks instead of
// gate, up and down; ExpertRows views one expert of a stack.
struct LayerWeights {
  std::vector<float> attn_norm, ffn_norm;
  std::vector<float> q_bias, k_bias, v_bias;  // empty without qkv bias
  std::vector<float> q_norm, k_norm;           // per head (qwen3, gemma3); empty otherwise
  std::vector<float> post_attn_norm, post_ffn_norm;  // gemma3; empty otherwise
  quant::WeightMatrix q, k, v, o, gate, up, down;
  quant::WeightMatrix router, gate_exps, up_exps, down_exps;  // qwen3moe; empty otherwise
};

// Expert e's matrix of a stack of `experts` matrices of equal rows.
quant::WeightMatrix ExpertRows(const quant::WeightMatrix& stack, int64_t experts, int64_t e);

class ModelWeights {
 public:
  // `repack`: copy every matrix once into a WeightBuffer, in repack.h's
  // layout where its type has one, while the copies fit in `copy_budget`
  // bytes (by default CopyBudgetBytes(), memory_budget.h; matrices without
  // a layout also stop at half the machine's memory); matrices past it are
  // read in place (in_place_bytes()). Without `repack`, the file's bytes in
  // place.
  // `f16_as_bf16` (with `repack`): F16 matrices are copied rounded to bf16
  // (to nearest even), as ik_llama.cpp's -rtr 1 does, so that prefill runs
  // on the CPU's bf16 dot product; another model than the file's, by
  // bf16's rounding. The embedding table stays F16.
  static constexpr uint64_t kMachineBudget = ~uint64_t{0};
  static absl::StatusOr<std::unique_ptr<ModelWeights>> Load(const std::string& path, bool repack = true,
                                                            uint64_t copy_budget = kMachineBudget,
                                                            bool f16_as_bf16 = false);
  // Takes ownership of an already opened file.
  static absl::StatusOr<std::unique_ptr<ModelWeights>> FromFile(std::unique_ptr<gguf::GgufFile> file,
                                                                bool repack = true,
                                                                uint64_t copy_budget = kMachineBudget,
                                                                bool f16_as_bf16 = false);
  // F16 matrices copied as bf16 (f16_as_bf16).
  int rounded_to_bf16() const { return rounded_to_bf16_; }
  // Bytes of matrices read in place from the file because the copies would
  // have passed the budget.
  uint64_t in_place_bytes() const { return in_place_bytes_; }

  const ModelConfig& config() const { return config_; }
  const gguf::GgufFile& file() const { return *file_; }
  const std::vector<TensorSpec>& tensors() const { return tensors_; }
  const LayerWeights& layer(int i) const { return layers_[i]; }
  const std::vector<float>& output_norm() const { return output_norm_; }
  // The output head: output.weight, or token_embd.weight when tied.
  const quant::WeightMatrix& output() const { return output_; }
  const quant::WeightMatrix& token_embd() const { return token_embd_; }
  // Rope frequency divisors, head_dim / 2 of them, for a context of
  // `context` tokens: the file's rope_freqs (Llama 3.x), or its
  // rope_factors_short / _long (phi3 LongRoPE; long past the original
  // context); empty when the file has none.
  const std::vector<float>& RopeFactors(int context) const;
  // The matrices one decoded token multiplies, in the order it does: each
  // layer's q, k, v, o and its FFN (a mixture's router and its first
  // n_experts_used experts, as many as a token is routed to), then the
  // output head.
  std::vector<quant::WeightMatrix> DecodeMatrices() const;
  // The share of the copied matrices' bytes on transparent huge pages now
  // (0 when nothing was copied).
  absl::StatusOr<double> HugePageShare() const;
  // Row `token` of the embedding table as floats; InvalidArgument past vocab.
  absl::Status Embed(int32_t token, float* out) const;

 private:
  ModelWeights() = default;
  // The copies smaller than a huge page, side by side in one buffer that
  // gets huge pages, as the calibration's copies are: each in a buffer of
  // its own sat on 4 KiB pages, and right after a build the default model's
  // decode ran at 0.79-0.95 of its calibrated expectation, 0.90-0.98 once
  // gathered (docs/lab-notes/2026-12-zen4.md, fifth session).
  void GatherSmallCopies();
  std::unique_ptr<gguf::GgufFile> file_;
  ModelConfig config_;
  std::vector<TensorSpec> tensors_;
  std::vector<LayerWeights> layers_;
  std::vector<float> output_norm_;
  std::vector<float> rope_factors_, rope_factors_long_;
  int rope_original_context_ = 0;
  quant::WeightMatrix output_, token_embd_;
  std::vector<quant::WeightBuffer> copies_;  // the matrices copied at load
  int rounded_to_bf16_ = 0;
  uint64_t in_place_bytes_ = 0;
};

}  // namespace model

#endif  // APR_COMMON_MODEL_WEIGHTS_H_
