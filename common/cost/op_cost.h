// What each op of a transformer forward pass computes and moves: FLOPs (int8
// multiply-adds where the kernel is int8), weight bytes at the tensor's real
// GGUF type, activation bytes and KV-cache bytes.
//
//   std::vector<OpCost> ops = DecodeOps(spec, /*ctx_depth=*/512);
//   std::vector<OpCost> ops = PrefillOps(spec, /*batch=*/91);
//
// Decode of one token at context depth d (d tokens already cached), per layer,
// with h = hidden, q = heads x head_dim, kv = kv_heads x head_dim, f = ffn:
//   attn_norm, ffn_norm  RMSNorm: ~4h FLOPs; reads x and the weight, writes y
//   attn_q/k/v/output    matrix x vector: 2 x rows x cols FLOPs; every weight once
//   rope                 rotate q and k: 3 FLOPs an element
//   attn_score           QK^T over d+1 keys: 2 x q x (d+1) FLOPs; reads K (d+1) x kv
//   softmax              ~5 FLOPs a score, heads x (d+1) scores
//   attn_value           scores x V: 2 x q x (d+1) FLOPs; reads V (d+1) x kv
//   ffn_gate, ffn_up, ffn_down  matrix x vector; silu_mul: ~5 FLOPs an element
//   residual (x2)        h adds
// plus token_embd (one row read), output_norm and the output head
// (vocab x hidden; reads token_embd when tied). Prefill of B tokens multiplies
// FLOPs and activations by B but reads each weight once; attention is causal
// (B(B+1)/2 query-key pairs); only the last token's logits are computed.
// The KV cache holds F32 (4 bytes an element), as the engine does.
// A mixture of experts (qwen3moe) replaces gate/up/down by ffn_router (the
// F32 router, 2 x hidden x experts FLOPs a token) and the expert stacks,
// whose FLOPs are the k routed experts' a token and whose bytes are the
// experts the batch touches: k for one token, under uniform routing
// E (1 - (1 - k/E)^B) for B tokens (ExpectedExpertsTouched).
#ifndef APR_COMMON_COST_OP_COST_H_
#define APR_COMMON_COST_OP_COST_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/gguf/tensor_type.h"
#include "common/model/model_config.h"
#include "common/model/tensor_layout.h"

namespace cost {

inline constexpr double kKvBytesPerElement = 4;  // an F32 cache, the engine's default

// What limits an op's working set: weights stream once per token, the KV
// cache is re-read per token, activations stay small.
enum class Traffic { kWeights, kKvCache, kActivations };

struct OpCost {
  std::string name;     // "attn_q", "ffn_gate", "output"
  int layer = -1;       // -1 outside the blocks
  std::string tensor;   // GGUF tensor it reads, if any
  gguf::GgmlType type = gguf::GgmlType::kF32;  // of that tensor
  bool int8 = false;    // the kernel runs int8 dot products (quantized weights)
  bool parallel = false;  // dispatched to the thread pool
  Traffic traffic = Traffic::kActivations;
  double flops = 0;
  double weight_bytes = 0;
  double act_bytes = 0;
  double kv_bytes = 0;

  double Bytes() const { return weight_bytes + act_bytes + kv_bytes; }
  double Intensity() const { return Bytes() > 0 ? flops / Bytes() : 0; }
};

// A model's shape and the type of every tensor.
struct ModelSpec {
  model::ModelConfig config;
  std::vector<model::TensorSpec> tensors;
  const model::TensorSpec* Find(const std::string& name) const;
  uint64_t WeightBytes() const;  // every tensor's data
  double kv_bytes_per_element = kKvBytesPerElement;  // 2 for an F16 cache
};

// Distinct experts a layer reads for `tokens` tokens each routed to k of E
// experts uniformly at random: E (1 - (1 - k/E)^tokens). 0 for a dense model.
double ExpectedExpertsTouched(const model::ModelConfig& config, double tokens);

std::vector<OpCost> DecodeOps(const ModelSpec& spec, uint64_t ctx_depth);
// KV cache bytes one decoded token reads and writes at `ctx_depth`, all layers.
double DecodeKvBytes(const ModelSpec& spec, uint64_t ctx_depth);
// The least depth at which a decoded token's cache bytes reach its weight
// bytes: where attention's reads overtake the weights'. 0 when they never
// do (every layer a sliding window too short).
uint64_t KvOvertakesWeightsDepth(const ModelSpec& spec);
// A prompt of `batch` tokens after `ctx_depth` already in the cache, in one
// pass; without the output head when `logits` is false (a micro-batch
// before the prompt's last).
std::vector<OpCost> PrefillOps(const ModelSpec& spec, uint64_t batch, uint64_t ctx_depth = 0, bool logits = true);
// The same prompt as the engine evaluates it, in passes of at most
// `micro_batch` tokens (each reads every weight again), the last one's
// logits only: the passes' ops, one after the other.
std::vector<OpCost> PromptOps(const ModelSpec& spec, uint64_t prompt, uint64_t ctx_depth, uint64_t micro_batch);
// PromptOps with each pass's expert stacks read as the experts its router
// chose, `touched[pass][layer]`, in place of uniform routing's expectation
// (a pass or layer without an entry keeps the expectation).
std::vector<OpCost> RoutedPromptOps(const ModelSpec& spec, uint64_t prompt, uint64_t ctx_depth, uint64_t micro_batch,
                                    const std::vector<std::vector<int>>& touched);

}  // namespace cost

#endif  // APR_COMMON_COST_OP_COST_H_
