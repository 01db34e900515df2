// The forward pass of a llama/qwen2 transformer over a KV cache: decode of
// one token, batched prefill of many (causal attention), or prefill token by
// token (the book's serial baseline).
//
//   Transformer t(*weights, pool, /*max_context=*/1024);
//   std::vector<float> logits;
//   t.Prefill(prompt, &logits);            // batched
//   t.Forward({next_token}, &logits);      // one decode step
//
// Per layer: x += o(attn(rope(q(n1)), rope(k(n1)), v(n1))) with n1 = rmsnorm(x);
// x += down(silu(gate(n2)) * up(n2)) with n2 = rmsnorm(x). The FFN's gate and
// up run in one dispatch with the activation applied in the same pass
// (fused), or as two dispatches plus an activation pass (unfused).
// The families differ by data (model_config.h's ArchTraits): q and k heads
// normed before rope (qwen3, gemma3), the outputs of attention and the FFN
// normed before their residual adds and a GELU gate (gemma3), rope's pairing,
// sliding-window layers with their own rope base (gemma3), rope factors
// (Llama 3.x's rope_freqs), linear rope scaling, a final logit softcap.
// A mixture of experts (qwen3moe) routes each token to its top experts:
// the batch's tokens are grouped by expert, so each expert the batch
// touches is read once, its gate and up fused as for a dense FFN.
#ifndef APR_COMMON_MODEL_FORWARD_H_
#define APR_COMMON_MODEL_FORWARD_H_

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "common/model/kv_cache.h"
#include "common/model/weights.h"
#include "common/parallel/thread_pool.h"
#include "common/quant/cache_line_allocator.h"

namespace model {

// The ops a layer runs, for per-op timing.
enum class Op {
  kEmbed, kAttnNorm, kQkv, kRope, kAttention, kAttnOutput, kFfnNorm, kGateUp, kActivation, kDown,
  kResidual, kOutputNorm, kOutput, kQkNorm, kPostNorm, kRouter, kCount
};
const char* OpName(Op op);

// Wall time per (layer, op); layer -1 (index 0) is outside the blocks.
struct OpTimes {
  explicit OpTimes(int n_layers) : seconds(n_layers + 1) {}
  std::vector<std::array<double, static_cast<int>(Op::kCount)>> seconds;
  double& At(int layer, Op op) { return seconds[layer + 1][static_cast<int>(op)]; }
  double Total() const;
};

// Prefill's default micro-batch: a longer prompt is evaluated this many
// tokens at a time.
inline constexpr int kPrefillMicroBatch = 256;

// The distinct experts per layer a batch was routed to (experts_touched()),
// summarized.
struct ExpertsTouchedSummary {
  int least = 0, most = 0;
  double mean = 0;
};
ExpertsTouchedSummary SummarizeExpertsTouched(const std::vector<int>& per_layer);

struct ForwardOptions {
  bool fused_ffn = true;
  bool all_logits = false;     // logits of every token, not only the last
  bool no_logits = false;      // skip the final norm and output head (a prompt's tokens before its last)
  OpTimes* times = nullptr;    // accumulate per-op wall time when set
  // A mixture of experts: each Forward appends its experts_touched() (a
  // Prefill, one entry per micro-batch).
  std::vector<std::vector<int>>* experts_touched = nullptr;
};

class Transformer {
 public:
  // Cache types the model's heads do not fit (CheckKvCacheType) make
  // Forward return that error.
  Transformer(const ModelWeights& weights, parallel::ThreadPool& pool, int max_context,
              KvCacheTypes cache_types = KvCacheType::kF32);

  // Evaluates `tokens` after the position() already cached and caches them.
  // `logits` receives vocab floats (the last token's) or tokens x vocab.
  absl::Status Forward(absl::Span<const int32_t> tokens, std::vector<float>* logits,
                       const ForwardOptions& options = {});
  // Forward in micro-batches of at most `micro_batch` tokens; the last
  // token's logits.
  absl::Status Prefill(absl::Span<const int32_t> tokens, std::vector<float>* logits,
                       const ForwardOptions& options = {}, int micro_batch = kPrefillMicroBatch);
  // Token by token (micro-batches of one): the serial baseline.
  absl::Status PrefillSerial(absl::Span<const int32_t> tokens, std::vector<float>* logits,
                             const ForwardOptions& options = {});

  void Reset() { position_ = 0; }
  // Takes `other`'s cached positions (same weights, a context at least as
  // long), converted to this cache's type: one prefill can serve several
  // cache types.
  absl::Status CopyCacheFrom(const Transformer& other);
  // Forgets the cached positions from `position` on (at most position()).
  absl::Status Rewind(int position);
  // Fills the cache to `positions` with copies of what it holds, in order:
  // decode at a depth without computing that many tokens first, for timing
  // (attention reads every cached position alike, whatever it holds).
  absl::Status RepeatCache(int positions);
  int position() const { return position_; }
  int max_context() const { return max_context_; }
  KvCacheTypes cache_types() const { return cache_.types(); }
  const ModelWeights& weights() const { return w_; }
  // A mixture of experts: per layer, how many distinct experts the last
  // Forward's tokens were routed to (empty for a dense model).
  const std::vector<int>& experts_touched() const { return experts_touched_; }
  parallel::ThreadPool& pool() { return pool_; }

 private:
  void Attention(int layer, int64_t n, int64_t pos0);
  // fn(t) for each of n tokens: in the pool for a prompt, inline for one.
  void ForTokens(const char* tag, int64_t n, const std::function<void(int64_t)>& fn);
  void Ffn(const LayerWeights& l, int64_t n, const ForwardOptions& options);
  // The routed experts' FFN of norm_'s n rows into attn_ (moe_ffn.cc).
  void MoeFfn(const LayerWeights& l, int64_t n, const ForwardOptions& options);
  // Routes each of norm_'s n rows to its experts, then groups the batch's
  // (token, slot) pairs by expert in token order: expert e's pairs are
  // slot_of_[expert_start_[e] .. expert_start_[e + 1]).
  void RouteBatch(const LayerWeights& l, int64_t n);

  const ModelWeights& w_;
  const ModelConfig& c_;
  parallel::ThreadPool& pool_;
  int max_context_;
  absl::Status cache_status_;
  int position_ = 0;
  // Rope frequencies (head_dim / 2) of the full-attention layers [0] and of
  // the sliding-window layers [1], and cos/sin tables of each for the batch.
  std::array<std::vector<double>, 2> inv_freq_;
  float rope_mscale_ = 1;  // cos and sin times rope.scaling.attn_factor
  KvCache cache_;
  // Scratch, sized for the current batch; the matrix products' inputs and
  // outputs start on cache lines.
  quant::LineAlignedFloats x_, norm_, q_, k_, v_, attn_, gate_, up_, hidden_;
  std::array<std::vector<float>, 2> cos_, sin_;
  // Decode's attention split over parts of the context: each part's outputs
  // and log-sum-exps, merged after.
  std::vector<float> part_out_, part_lse_;
  // A mixture's routing of the batch: router logits, each (token, slot)'s
  // expert and weight, the slots grouped by expert, their outputs.
  std::vector<float> router_logits_, route_weight_;
  std::vector<int32_t> route_expert_, slot_of_, row_of_slot_, expert_start_;
  quant::LineAlignedFloats expert_out_;
  std::vector<int> experts_touched_;
};

}  // namespace model

#endif  // APR_COMMON_MODEL_FORWARD_H_
