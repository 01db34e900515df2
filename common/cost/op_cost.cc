#include "common/cost/op_cost.h"

#include <algorithm>
#include <cmath>

namespace cost {
namespace {

using model::TensorName;

constexpr double kF32 = 4;

bool IsQuantized(gguf::GgmlType type) { return gguf::TypeInfo(type).quantized; }

// Builds the ops of a pass over `tokens` new tokens after `depth` cached ones.
class OpBuilder {
 public:
  OpBuilder(const ModelSpec& spec, double tokens, double depth, bool logits = true)
      : spec_(spec), c_(spec.config), arch_(spec.config.traits()), n_(tokens), depth_(depth), logits_(logits) {}

  std::vector<OpCost> Build() {
    const double h = c_.hidden;
    Embedding();
    for (uint32_t l = 0; l < c_.n_layers; ++l) {
      const int i = static_cast<int>(l);
      Norm("attn_norm", i, TensorName::Block(i, "attn_norm.weight"), n_);
      // A file holds q, k, v as three tensors or one (phi3); gate and up
      // likewise: whichever it has is costed.
      Matmul("attn_q", i, TensorName::Block(i, "attn_q.weight"), n_);
      Matmul("attn_k", i, TensorName::Block(i, "attn_k.weight"), n_);
      Matmul("attn_v", i, TensorName::Block(i, "attn_v.weight"), n_);
      Matmul("attn_qkv", i, TensorName::Block(i, "attn_qkv.weight"), n_);
      const double heads_dim = c_.QDim() + c_.KvDim();
      if (arch_.qk_norm) Elementwise("qk_norm", i, 4 * heads_dim, 2 * heads_dim);
      Elementwise("rope", i, 3 * heads_dim, 2 * heads_dim);
      Attention(i);
      Matmul("attn_output", i, TensorName::Block(i, "attn_output.weight"), n_);
      if (arch_.post_norms) Norm("attn_post_norm", i, TensorName::Block(i, "post_attention_norm.weight"), n_);
      Elementwise("residual", i, h, 3 * h);
      Norm("ffn_norm", i, TensorName::Block(i, "ffn_norm.weight"), n_);
      if (c_.IsMoe()) {
        Matmul("ffn_router", i, TensorName::Block(i, "ffn_gate_inp.weight"), n_);
        Experts("ffn_gate_exps", i, TensorName::Block(i, "ffn_gate_exps.weight"));
        Experts("ffn_up_exps", i, TensorName::Block(i, "ffn_up_exps.weight"));
        const double slots = c_.n_experts_used, width = c_.expert_ffn;
        Elementwise("silu_mul", i, 5.0 * width * slots, 3.0 * width * slots);
        Experts("ffn_down_exps", i, TensorName::Block(i, "ffn_down_exps.weight"));
        Elementwise("moe_combine", i, 2 * h * slots, (slots + 1) * h);
      } else {
        Matmul("ffn_gate", i, TensorName::Block(i, "ffn_gate.weight"), n_);
        Matmul("ffn_up", i, TensorName::Block(i, "ffn_up.weight"), n_);
        if (arch_.activation == model::FfnActivation::kGeluTanh) {
          Elementwise("gelu_mul", i, 12.0 * c_.ffn, 3.0 * c_.ffn);
        } else {
          Elementwise("silu_mul", i, 5.0 * c_.ffn, 3.0 * c_.ffn);
        }
        Matmul("ffn_down", i, TensorName::Block(i, "ffn_down.weight"), n_);
      }
      if (arch_.post_norms) Norm("ffn_post_norm", i, TensorName::Block(i, "post_ffw_norm.weight"), n_);
      Elementwise("residual", i, h, 3 * h);
    }
    if (!logits_) return ops_;
    // Only the last token's logits are needed.
    Norm("output_norm", -1, "output_norm.weight", 1);
    Matmul("output", -1, c_.tied_embeddings ? "token_embd.weight" : "output.weight", 1);
    return ops_;
  }

 private:
  const model::TensorSpec* Tensor(const std::string& name) const { return spec_.Find(name); }

  void Embedding() {
    OpCost op{"token_embd", -1, "token_embd.weight"};
    if (const model::TensorSpec* t = Tensor(op.tensor)) {
      op.type = t->type;
      op.weight_bytes = n_ * double(t->n_bytes) / c_.vocab;  // one row a token
    }
    op.act_bytes = n_ * c_.hidden * kF32;
    op.flops = n_ * c_.hidden;  // dequantize
    ops_.push_back(op);
  }

  void Norm(const char* name, int layer, const std::string& tensor, double tokens) {
    const double h = c_.hidden;
    OpCost op{name, layer, tensor};
    op.flops = tokens * 4 * h;
    op.weight_bytes = h * kF32;
    op.act_bytes = tokens * 2 * h * kF32;
    ops_.push_back(op);
  }

  void Matmul(const char* name, int layer, const std::string& tensor, double tokens) {
    OpCost op{name, layer, tensor};
    op.parallel = true;
    op.traffic = Traffic::kWeights;
    const model::TensorSpec* t = Tensor(tensor);
    if (t == nullptr || !t->IsMatrix()) return;
    const double cols = t->dims[0], rows = t->dims[1];
    op.type = t->type;
    op.int8 = IsQuantized(t->type);
    op.flops = 2 * cols * rows * tokens;
    op.weight_bytes = t->n_bytes;  // read once for the whole batch
    op.act_bytes = tokens * (cols + rows) * kF32;
    // The bias add, where the architecture has one.
    const std::string bias = tensor.substr(0, tensor.size() - 6) + "bias";
    if (layer >= 0 && c_.qkv_bias && Tensor(bias) != nullptr) {
      op.flops += rows * tokens;
      op.weight_bytes += rows * kF32;
    }
    ops_.push_back(op);
  }

  // A stack of experts: each token multiplies by its k routed experts' matrices;
  // the batch reads the experts it touches once each.
  void Experts(const char* name, int layer, const std::string& tensor) {
    OpCost op{name, layer, tensor};
    op.parallel = true;
    op.traffic = Traffic::kWeights;
    const model::TensorSpec* t = Tensor(tensor);
    if (t == nullptr || t->dims.size() != 3) return;
    const double cols = t->dims[0], rows = t->dims[1], experts = t->dims[2], k = c_.n_experts_used;
    op.type = t->type;
    op.int8 = IsQuantized(t->type);
    op.flops = 2 * cols * rows * k * n_;
    op.weight_bytes = double(t->n_bytes) / experts * ExpectedExpertsTouched(c_, n_);
    op.act_bytes = n_ * k * (cols + rows) * kF32;
    ops_.push_back(op);
  }

  void Elementwise(const char* name, int layer, double flops_per_token, double elements_moved) {
    OpCost op{name, layer, ""};
    op.flops = n_ * flops_per_token;
    op.act_bytes = n_ * elements_moved * kF32;
    ops_.push_back(op);
  }

  void Attention(int layer) {
    const double q = c_.QDim(), kv = c_.KvDim(), heads = c_.n_heads;
    // Query-key pairs: each new token sees the cache and the new tokens up
    // to itself; in a sliding-window layer, at most the window's last keys.
    double pairs = n_ * depth_ + n_ * (n_ + 1) / 2;
    double keys_read = depth_ + n_;  // each cached/new key row read once per pass
    if (c_.IsSlidingLayer(static_cast<uint32_t>(layer))) {
      const double window = c_.sliding_window;
      pairs = 0;
      for (double t = 0; t < n_; ++t) pairs += std::min(depth_ + t + 1, window);
      keys_read = std::min(depth_ + n_, window + n_ - 1);
    }
    OpCost write{"kv_store", layer, ""};
    write.traffic = Traffic::kKvCache;
    write.act_bytes = n_ * 2 * kv * kF32;
    write.kv_bytes = n_ * 2 * kv * spec_.kv_bytes_per_element;
    ops_.push_back(write);

    OpCost score{"attn_score", layer, ""};
    score.parallel = true;
    score.traffic = Traffic::kKvCache;
    score.flops = 2 * c_.head_dim * heads * pairs;
    score.kv_bytes = keys_read * kv * spec_.kv_bytes_per_element;
    score.act_bytes = n_ * q * kF32 + heads * pairs * kF32;
    ops_.push_back(score);

    OpCost softmax{"softmax", layer, ""};
    softmax.flops = 5 * heads * pairs;
    softmax.act_bytes = 2 * heads * pairs * kF32;
    ops_.push_back(softmax);

    OpCost value{"attn_value", layer, ""};
    value.parallel = true;
    value.traffic = Traffic::kKvCache;
    value.flops = 2 * c_.head_dim * heads * pairs;
    value.kv_bytes = keys_read * kv * spec_.kv_bytes_per_element;
    value.act_bytes = heads * pairs * kF32 + n_ * q * kF32;
    ops_.push_back(value);
  }

  const ModelSpec& spec_;
  const model::ModelConfig& c_;
  const model::ArchTraits& arch_;
  double n_, depth_;
  bool logits_;
  std::vector<OpCost> ops_;
};

}  // namespace

const model::TensorSpec* ModelSpec::Find(const std::string& name) const {
  for (const model::TensorSpec& t : tensors) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

uint64_t ModelSpec::WeightBytes() const {
  uint64_t total = 0;
  for (const model::TensorSpec& t : tensors) total += t.n_bytes;
  return total;
}

double ExpectedExpertsTouched(const model::ModelConfig& c, double tokens) {
  if (!c.IsMoe()) return 0;
  const double e = c.n_experts, untouched = std::pow(1 - double(c.n_experts_used) / e, tokens);
  return e * (1 - untouched);
}

std::vector<OpCost> DecodeOps(const ModelSpec& spec, uint64_t ctx_depth) {
  return OpBuilder(spec, 1, static_cast<double>(ctx_depth)).Build();
}

std::vector<OpCost> PrefillOps(const ModelSpec& spec, uint64_t batch, uint64_t ctx_depth, bool logits) {
  return OpBuilder(spec, static_cast<double>(batch), static_cast<double>(ctx_depth), logits).Build();
}

std::vector<OpCost> PromptOps(const ModelSpec& spec, uint64_t prompt, uint64_t ctx_depth, uint64_t micro_batch) {
  return RoutedPromptOps(spec, prompt, ctx_depth, micro_batch, {});
}

std::vector<OpCost> RoutedPromptOps(const ModelSpec& spec, uint64_t prompt, uint64_t ctx_depth, uint64_t micro_batch,
                                    const std::vector<std::vector<int>>& touched) {
  std::vector<OpCost> ops;
  const uint64_t step = micro_batch > 0 ? micro_batch : prompt;
  size_t index = 0;
  for (uint64_t start = 0; start < prompt; start += step, ++index) {
    const uint64_t n = std::min(step, prompt - start);
    std::vector<OpCost> pass = PrefillOps(spec, n, ctx_depth + start, start + n == prompt);
    if (index < touched.size()) {
      const std::vector<int>& layers = touched[index];
      for (OpCost& op : pass) {
        const model::TensorSpec* t = spec.Find(op.tensor);
        if (t == nullptr || t->dims.size() != 3 || op.layer < 0 || size_t(op.layer) >= layers.size()) continue;
        op.weight_bytes = double(t->n_bytes) / double(t->dims[2]) * layers[op.layer];
      }
    }
    ops.insert(ops.end(), pass.begin(), pass.end());
  }
  return ops;
}

double DecodeKvBytes(const ModelSpec& spec, uint64_t ctx_depth) {
  double bytes = 0;
  for (const OpCost& op : DecodeOps(spec, ctx_depth)) bytes += op.kv_bytes;
  return bytes;
}

uint64_t KvOvertakesWeightsDepth(const ModelSpec& spec) {
  double weights = 0;
  for (const OpCost& op : DecodeOps(spec, 0)) weights += op.weight_bytes;
  // Cache bytes grow with depth (or stop growing past a window): the least
  // depth reaching the weights, by bisection over 2^30 positions.
  uint64_t lo = 0, hi = uint64_t(1) << 30;
  if (DecodeKvBytes(spec, hi) < weights) return 0;
  while (lo + 1 < hi) {
    const uint64_t mid = lo + (hi - lo) / 2;
    (DecodeKvBytes(spec, mid) >= weights ? hi : lo) = mid;
  }
  return hi;
}

}  // namespace cost
