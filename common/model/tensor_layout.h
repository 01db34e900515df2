// The tensors a model holds, in llama.cpp's GGUF names and shapes (dims[0] is
// the row length, the input dimension of a matrix), for llama and qwen2:
//
//   token_embd.weight   [hidden, vocab]      output.weight [hidden, vocab] (absent when tied)
//   output_norm.weight  [hidden]
//   blk.N.attn_norm.weight [hidden]          blk.N.ffn_norm.weight [hidden]
//   blk.N.attn_q.weight [hidden, q_dim]      blk.N.attn_k/v.weight [hidden, kv_dim]
//   blk.N.attn_q/k/v.bias (qwen2)            blk.N.attn_output.weight [q_dim, hidden]
//   blk.N.ffn_gate/up.weight [hidden, ffn]   blk.N.ffn_down.weight [ffn, hidden]
//
// qwen3 and gemma3 add blk.N.attn_q_norm/attn_k_norm.weight [head_dim];
// qwen3moe has, in place of ffn_gate/up/down, a router
// blk.N.ffn_gate_inp.weight [hidden, experts] (F32 in every file type, as
// llama.cpp keeps it) and the experts stacked: ffn_gate_exps/ffn_up_exps
// [hidden, expert_ffn, experts], ffn_down_exps [expert_ffn, hidden, experts];
// gemma3 blk.N.post_attention_norm/post_ffw_norm.weight [hidden]; phi3 has
// blk.N.attn_qkv.weight [hidden, q_dim + 2 kv_dim] for q, k and v, and an
// ffn_up.weight [hidden, 2 ffn] holding the gate's rows then up's.
//
// Quantization schemes name the type of each tensor. llama-quantize's file
// types ("q4_k_m", "q3_k_s", "q4_0", "iq4_xs", ...) take its per-tensor
// rules (e.g. Q4_K_M: Q6_K for the output and for half of attn_v and
// ffn_down) and its fallbacks for rows that are not whole blocks; "f32",
// "f16", "bf16", "q4_k" and "q5_k" put one type in every matrix.
// SchemeNames() lists them.
#ifndef APR_COMMON_MODEL_TENSOR_LAYOUT_H_
#define APR_COMMON_MODEL_TENSOR_LAYOUT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/gguf/gguf_file.h"
#include "common/gguf/tensor_type.h"
#include "common/model/model_config.h"

namespace model {

struct TensorSpec {
  std::string name;
  std::vector<uint64_t> dims;
  gguf::GgmlType type = gguf::GgmlType::kF32;
  uint64_t n_bytes = 0;
  int layer = -1;  // -1 for tensors outside the blocks
  // A matrix, or a stack of them (a mixture's experts: [cols, rows, experts]).
  bool IsMatrix() const { return dims.size() >= 2; }
  // Rows of the matrix, every expert's together for a stack.
  uint64_t Rows() const {
    uint64_t rows = 1;
    for (size_t i = 1; i < dims.size(); ++i) rows *= dims[i];
    return rows;
  }
};

struct TensorName {
  static std::string Block(int layer, const std::string& what) {
    return "blk." + std::to_string(layer) + "." + what;
  }
};

// The tensors `config` implies, without types.
std::vector<TensorSpec> ExpectedShapes(const ModelConfig& config);

// Tensor types for a quantization scheme ("q4_k_m", "q8_0", ...).
absl::StatusOr<std::vector<TensorSpec>> LayoutForScheme(const ModelConfig& config,
                                                        const std::string& scheme);
const std::vector<std::string>& SchemeNames();
// llama.cpp's llama_ftype number for general.file_type (1024 when unknown).
uint32_t SchemeFileType(const std::string& scheme);

// The file's tensors, checked against what `config` implies: every expected
// tensor present with its shape, nothing required missing. Extra tensors
// (e.g. rope_freqs) are ignored. Errors name the tensor.
absl::StatusOr<std::vector<TensorSpec>> LayoutFromGguf(const gguf::GgufFile& file,
                                                       const ModelConfig& config);

}  // namespace model

#endif  // APR_COMMON_MODEL_TENSOR_LAYOUT_H_
