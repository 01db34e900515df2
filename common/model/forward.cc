#include "common/model/forward.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <optional>

#include "absl/strings/str_cat.h"
#include "common/model/op_timer.h"
#include "common/model/ops.h"
#include "common/quant/activations.h"
#include "common/quant/matmul.h"
#include "common/simd/float_ops.h"

namespace model {
namespace {

void AddBias(float* y, const std::vector<float>& bias, int64_t dim) {
  if (bias.empty()) return;
  for (int64_t i = 0; i < dim; ++i) y[i] += bias[i];
}

void Add(float* x, const float* y, int64_t n) { simd::BestFloatOps().axpy(1.0f, y, x, n); }

}  // namespace

const char* OpName(Op op) {
  static const char* const kNames[] = {"embed",    "attn_norm", "qkv",  "rope",     "attention",
                                       "attn_output", "ffn_norm", "gate_up", "activation", "down",
                                       "residual", "output_norm", "output", "qk_norm", "post_norm", "router"};
  return kNames[static_cast<int>(op)];
}

ExpertsTouchedSummary SummarizeExpertsTouched(const std::vector<int>& per_layer) {
  ExpertsTouchedSummary s;
  if (per_layer.empty()) return s;
  s.least = *std::min_element(per_layer.begin(), per_layer.end());
  s.most = *std::max_element(per_layer.begin(), per_layer.end());
  for (int n : per_layer) s.mean += n;
  s.mean /= double(per_layer.size());
  return s;
}

double OpTimes::Total() const {
  double total = 0;
  for (const auto& layer : seconds) {
    for (double s : layer) total += s;
  }
  return total;
}

Transformer::Transformer(const ModelWeights& weights, parallel::ThreadPool& pool, int max_context,
                         KvCacheTypes cache_types)
    : w_(weights),
      c_(weights.config()),
      pool_(pool),
      max_context_(max_context),
      cache_status_(CheckKvCacheType(c_, cache_types)),
      cache_(c_, max_context, cache_status_.ok() ? cache_types : KvCacheType::kF32) {
  inv_freq_[0] = RopeInverseFrequencies(c_, weights.RopeFactors(max_context), /*sliding=*/false);
  inv_freq_[1] = RopeInverseFrequencies(c_, {}, /*sliding=*/true);
  rope_mscale_ = c_.rope_attn_factor;
}

void Transformer::ForTokens(const char* tag, int64_t n, const std::function<void(int64_t)>& fn) {
  if (n == 1) {
    fn(0);
    return;
  }
  // One run of tokens per thread: a token's work is a microsecond or two.
  const int64_t tasks = std::min<int64_t>(n, static_cast<int64_t>(pool_.num_threads()));
  pool_.ParallelFor(tag, static_cast<size_t>(tasks), [&](size_t task, size_t) {
    for (int64_t t = n * int64_t(task) / tasks; t < n * int64_t(task + 1) / tasks; ++t) fn(t);
  });
}

absl::Status Transformer::CopyCacheFrom(const Transformer& other) {
  if (&other.w_ != &w_ || other.position_ > max_context_) {
    return absl::InvalidArgumentError("a KV cache is copied only between transformers of the same weights that fit it");
  }
  cache_.CopyFrom(other.cache_, other.position_);
  position_ = other.position_;
  return absl::OkStatus();
}

absl::Status Transformer::Rewind(int position) {
  if (position < 0 || position > position_) {
    return absl::OutOfRangeError(absl::StrCat("cannot rewind to ", position, " with ", position_, " cached"));
  }
  position_ = position;
  return absl::OkStatus();
}

absl::Status Transformer::RepeatCache(int positions) {
  if (position_ == 0 || positions > max_context_) {
    return absl::OutOfRangeError(absl::StrCat("cannot repeat ", position_, " cached positions to ", positions,
                                              " in a context of ", max_context_));
  }
  cache_.Repeat(position_, positions);
  position_ = std::max(position_, positions);
  return absl::OkStatus();
}

void Transformer::Attention(int layer, int64_t n, int64_t pos0) {
  const int64_t hd = c_.head_dim, q_dim = c_.QDim(), kv_heads = c_.n_kv_heads;
  const int64_t group = c_.n_heads / c_.n_kv_heads;
  const float scale = c_.AttentionScale();
  const int64_t window = c_.IsSlidingLayer(layer) ? c_.sliding_window : 0;
  const int64_t threads = static_cast<int64_t>(pool_.num_threads());
  // Token t attends positions [first(t), pos0 + t + 1): causal, and in a
  // sliding window only the last `window`.
  auto first = [&](int64_t t) { return window > 0 ? std::max<int64_t>(0, pos0 + t + 1 - window) : 0; };
  // A unit is a block of tokens and the query heads that share one KV head,
  // so each key and value tile loaded serves all of them: up to 16 tokens,
  // fewer when that leaves too few units to share among the threads. Decode
  // with fewer KV heads than threads instead splits each head's context
  // into parts (merged after by their log-sum-exps), so every thread streams
  // different cache bytes; parts shorter than kMinPart positions are not
  // worth a thread.
  constexpr int64_t kMinPart = 256, kMaxBlock = 16;
  const int64_t block = std::clamp<int64_t>(n * kv_heads / (4 * threads), 1, kMaxBlock);
  const int64_t blocks = (n + block - 1) / block;
  const int64_t decode_seen = pos0 + 1 - first(0);
  const int64_t parts =
      n > 1 ? 1
            : std::clamp<int64_t>(std::min((threads + kv_heads - 1) / kv_heads, decode_seen / kMinPart), 1, threads);
  if (parts > 1) {
    part_out_.resize(size_t(parts) * q_dim);
    part_lse_.resize(size_t(parts) * c_.n_heads);
  }
  const simd::FloatOps& ops = simd::BestFloatOps();
  pool_.ParallelFor("attention", blocks * kv_heads * parts, [&](size_t unit, size_t) {
    const int64_t b = unit / (kv_heads * parts), kvh = unit / parts % kv_heads, part = unit % parts;
    const int64_t t0 = b * block, tokens = std::min(block, n - t0), h0 = kvh * group;
    int64_t begin[kMaxBlock], end[kMaxBlock];
    for (int64_t i = 0; i < tokens; ++i) {
      begin[i] = first(t0 + i);
      end[i] = pos0 + t0 + i + 1;
    }
    if (parts > 1) {
      const int64_t from = begin[0], to = end[0];
      begin[0] = from + (to - from) * part / parts;
      end[0] = from + (to - from) * (part + 1) / parts;
    }
    const simd::KvRows keys = cache_.Keys(layer, kvh, 0), values = cache_.Values(layer, kvh, 0);
    if (n == 1) {
      // Decode: the weights streamed since this layer's cache was last read
      // have evicted it; ask for the start of this part's keys and values at
      // once rather than a few rows at a time as the loops reach them (the
      // kernel prefetches the rest a few tiles ahead).
      constexpr size_t kAhead = 128 << 10;
      const char* k_bytes = static_cast<const char*>(keys.data) + begin[0] * keys.row_bytes;
      const char* v_bytes = static_cast<const char*>(values.data) + begin[0] * values.row_bytes;
      for (size_t i = 0; i < std::min(kAhead, size_t(end[0] - begin[0]) * keys.row_bytes); i += 64) {
        __builtin_prefetch(k_bytes + i, 0, 2);
        __builtin_prefetch(v_bytes + i, 0, 2);
      }
    }
    const float* query = q_.data() + t0 * q_dim + h0 * hd;
    if (parts == 1) {
      ops.attend_kv(query, q_dim, tokens, group, keys, values, begin, end, hd, scale, attn_.data() + t0 * q_dim + h0 * hd,
                    q_dim, nullptr);
    } else {
      ops.attend_kv(query, q_dim, 1, group, keys, values, begin, end, hd, scale, part_out_.data() + part * q_dim + h0 * hd,
                    q_dim, part_lse_.data() + part * c_.n_heads + h0);
    }
  });
  if (parts > 1) {
    for (int64_t h = 0; h < int64_t(c_.n_heads); ++h) {
      simd::MergeAttention(part_out_.data() + h * hd, q_dim, part_lse_.data() + h, c_.n_heads, parts, hd,
                           attn_.data() + h * hd);
    }
  }
}

void Transformer::Ffn(const LayerWeights& l, int64_t n, const ForwardOptions& options) {
  const int64_t f = c_.ffn;
  quant::QuantizedActivations a(l.gate.type, c_.hidden, n, l.gate.repacked);
  a.Quantize(pool_, norm_.data());
  const int layer = static_cast<int>(&l - &w_.layer(0));
  const bool same_format = l.gate.type == l.up.type && l.gate.repacked == l.up.repacked;
  const auto act = c_.traits().activation == FfnActivation::kGeluTanh ? GeluMul : SiluMul;
  if (options.fused_ffn && same_format) {
    // One dispatch: each task computes the same rows of gate and up, then
    // applies silu(gate) * up to them while they are in cache.
    OpTimer timer(options.times, layer, Op::kGateUp);
    const quant::DotKernel gk = quant::BestDotKernel(l.gate.type, l.gate.repacked);
    const quant::DotKernel uk = quant::BestDotKernel(l.up.type, l.up.repacked);
    const size_t gb = l.gate.Stride(), ub = l.up.Stride();
    const int64_t per_task = quant::RowsPerTask(f, gb + ub, pool_.num_threads(), n,
                                                gk.LaysOutActivations(n) || uk.LaysOutActivations(n));
    pool_.ParallelFor("ffn.gate_up", (f + per_task - 1) / per_task, [&](size_t task, size_t) {
      const int64_t r0 = task * per_task, r1 = std::min(f, r0 + per_task);
      gk.fn(l.gate.data + r0 * gb, gb, r1 - r0, a.row(0), a.row_bytes(), n, c_.hidden, gate_.data() + r0, f);
      uk.fn(l.up.data + r0 * ub, ub, r1 - r0, a.row(0), a.row_bytes(), n, c_.hidden, up_.data() + r0, f);
      for (int64_t t = 0; t < n; ++t) {
        act(gate_.data() + t * f + r0, up_.data() + t * f + r0, r1 - r0, hidden_.data() + t * f + r0);
      }
    });
  } else {
    {
      OpTimer timer(options.times, layer, Op::kGateUp);
      quant::MatMulQuantized(pool_, "ffn.gate", l.gate, a, gate_.data(), f);
      if (same_format) {
        quant::MatMulQuantized(pool_, "ffn.up", l.up, a, up_.data(), f);
      } else {
        quant::MatMul(pool_, "ffn.up", l.up, norm_.data(), n, up_.data());
      }
    }
    OpTimer timer(options.times, layer, Op::kActivation);
    act(gate_.data(), up_.data(), n * f, hidden_.data());
  }
  OpTimer timer(options.times, layer, Op::kDown);
  quant::MatMul(pool_, "ffn.down", l.down, hidden_.data(), n, attn_.data());
}

absl::Status Transformer::Forward(absl::Span<const int32_t> tokens, std::vector<float>* logits,
                                  const ForwardOptions& options) {
  const int64_t n = static_cast<int64_t>(tokens.size());
  if (n == 0) return absl::InvalidArgumentError("no tokens to evaluate");
  if (!cache_status_.ok()) return cache_status_;
  if (position_ + n > max_context_) {
    return absl::OutOfRangeError(absl::StrCat("context full: ", position_, " cached + ", n, " new > ",
                                              max_context_));
  }
  const int64_t h = c_.hidden, q_dim = c_.QDim(), kv_dim = c_.KvDim(), f = c_.ffn, half = c_.head_dim / 2;
  x_.resize(n * h);
  norm_.resize(n * h);
  q_.resize(n * q_dim);
  k_.resize(n * kv_dim);
  v_.resize(n * kv_dim);
  attn_.resize(n * std::max(q_dim, h));
  const ArchTraits& arch = c_.traits();
  if (!arch.moe) {
    gate_.resize(n * f);
    up_.resize(n * f);
    hidden_.resize(n * f);
  }
  experts_touched_.assign(arch.moe ? c_.n_layers : 0, 0);
  const int rope_sets = c_.sliding_window > 0 ? 2 : 1;
  const int64_t pos0 = position_;
  {
    OpTimer timer(options.times, -1, Op::kEmbed);
    const float embed_scale = arch.scale_embeddings ? std::sqrt(static_cast<float>(h)) : 1.0f;
    for (int set = 0; set < rope_sets; ++set) {
      cos_[set].resize(n * half);
      sin_[set].resize(n * half);
    }
    for (int64_t t = 0; t < n; ++t) {
      if (auto s = w_.Embed(tokens[t], x_.data() + t * h); !s.ok()) return s;
      if (embed_scale != 1.0f) {
        for (int64_t i = 0; i < h; ++i) x_[t * h + i] *= embed_scale;
      }
      for (int set = 0; set < rope_sets; ++set) {
        for (int64_t i = 0; i < half; ++i) {
          const double angle = double(pos0 + t) * inv_freq_[set][i];
          cos_[set][t * half + i] = static_cast<float>(std::cos(angle) * rope_mscale_);
          sin_[set][t * half + i] = static_cast<float>(std::sin(angle) * rope_mscale_);
        }
      }
    }
  }
  for (uint32_t li = 0; li < c_.n_layers; ++li) {
    const int layer = static_cast<int>(li);
    const LayerWeights& l = w_.layer(layer);
    {
      OpTimer timer(options.times, layer, Op::kAttnNorm);
      ForTokens("attn.norm", n, [&](int64_t t) {
        RmsNorm(x_.data() + t * h, l.attn_norm.data(), c_.norm_eps, h, norm_.data() + t * h);
      });
    }
    {
      OpTimer timer(options.times, layer, Op::kQkv);
      // One dispatch for all three, the input quantized once for each
      // activation format they need (a Q4_K_M file mixes Q4_K and Q6_K here).
      std::optional<quant::QuantizedActivations> quantized[3];
      auto input_for = [&](const quant::WeightMatrix& m) {
        const quant::ActivationFormat format = quant::ActivationFor(m.type, m.repacked);
        std::optional<quant::QuantizedActivations>* slot = quantized;
        while (*slot && (*slot)->format() != format) ++slot;  // three matrices, three slots
        if (!*slot) {
          slot->emplace(m.type, c_.hidden, n, m.repacked);
          (*slot)->Quantize(pool_, norm_.data());
        }
        return &**slot;
      };
      const quant::QuantizedActivations *q_in = input_for(l.q), *k_in = input_for(l.k), *v_in = input_for(l.v);
      quant::MatMulGroup(pool_, "attn.qkv", {{&l.q, q_.data()}, {&l.k, k_.data(), k_in}, {&l.v, v_.data(), v_in}},
                         *q_in);
      ForTokens("attn.bias", n, [&](int64_t t) {
        AddBias(q_.data() + t * q_dim, l.q_bias, q_dim);
        AddBias(k_.data() + t * kv_dim, l.k_bias, kv_dim);
        AddBias(v_.data() + t * kv_dim, l.v_bias, kv_dim);
      });
    }
    if (arch.qk_norm) {
      OpTimer timer(options.times, layer, Op::kQkNorm);
      ForTokens("attn.qk_norm", n, [&](int64_t t) {
        for (uint32_t hh = 0; hh < c_.n_heads; ++hh) {
          float* head = q_.data() + t * q_dim + hh * c_.head_dim;
          RmsNorm(head, l.q_norm.data(), c_.norm_eps, c_.head_dim, head);
        }
        for (uint32_t hh = 0; hh < c_.n_kv_heads; ++hh) {
          float* head = k_.data() + t * kv_dim + hh * c_.head_dim;
          RmsNorm(head, l.k_norm.data(), c_.norm_eps, c_.head_dim, head);
        }
      });
    }
    {
      OpTimer timer(options.times, layer, Op::kRope);
      const int set = c_.IsSlidingLayer(li) ? 1 : 0;
      const bool neox = arch.rope_neox;
      ForTokens("attn.rope", n, [&](int64_t t) {
        const float* cs = cos_[set].data() + t * half;
        const float* sn = sin_[set].data() + t * half;
        float* q = q_.data() + t * q_dim;
        float* k = k_.data() + t * kv_dim;
        simd::BestFloatOps().rope(q, c_.n_heads, cs, sn, c_.head_dim, neox);
        simd::BestFloatOps().rope(k, c_.n_kv_heads, cs, sn, c_.head_dim, neox);
        const float* v = v_.data() + t * kv_dim;
        for (uint32_t hh = 0; hh < c_.n_kv_heads; ++hh) {
          cache_.Store(layer, hh, pos0 + t, k + hh * c_.head_dim, v + hh * c_.head_dim);
        }
      });
    }
    {
      OpTimer timer(options.times, layer, Op::kAttention);
      Attention(layer, n, pos0);
    }
    {
      OpTimer timer(options.times, layer, Op::kAttnOutput);
      quant::MatMul(pool_, "attn.output", l.o, attn_.data(), n, norm_.data());
    }
    if (arch.post_norms) {
      OpTimer timer(options.times, layer, Op::kPostNorm);
      ForTokens("attn.post_norm", n, [&](int64_t t) {
        RmsNorm(norm_.data() + t * h, l.post_attn_norm.data(), c_.norm_eps, h, norm_.data() + t * h);
      });
    }
    {
      OpTimer timer(options.times, layer, Op::kResidual);
      ForTokens("residual", n, [&](int64_t t) { Add(x_.data() + t * h, norm_.data() + t * h, h); });
    }
    {
      OpTimer timer(options.times, layer, Op::kFfnNorm);
      ForTokens("ffn.norm", n, [&](int64_t t) {
        RmsNorm(x_.data() + t * h, l.ffn_norm.data(), c_.norm_eps, h, norm_.data() + t * h);
      });
    }
    if (arch.moe) {
      MoeFfn(l, n, options);
    } else {
      Ffn(l, n, options);
    }
    if (arch.post_norms) {
      OpTimer timer(options.times, layer, Op::kPostNorm);
      ForTokens("ffn.post_norm", n, [&](int64_t t) {
        RmsNorm(attn_.data() + t * h, l.post_ffn_norm.data(), c_.norm_eps, h, attn_.data() + t * h);
      });
    }
    {
      OpTimer timer(options.times, layer, Op::kResidual);
      ForTokens("residual", n, [&](int64_t t) { Add(x_.data() + t * h, attn_.data() + t * h, h); });
    }
  }
  if (w_.file().Changed()) {
    return absl::DataLossError(absl::StrCat(w_.file().path(), ": the model file shrank while in use"));
  }
  if (options.experts_touched != nullptr && arch.moe) options.experts_touched->push_back(experts_touched_);
  position_ += static_cast<int>(n);
  if (options.no_logits) {
    logits->clear();
    return absl::OkStatus();
  }
  const int64_t first = options.all_logits ? 0 : n - 1, count = n - first;
  {
    OpTimer timer(options.times, -1, Op::kOutputNorm);
    for (int64_t t = first; t < n; ++t) {
      RmsNorm(x_.data() + t * h, w_.output_norm().data(), c_.norm_eps, h, norm_.data() + (t - first) * h);
    }
  }
  OpTimer timer(options.times, -1, Op::kOutput);
  logits->resize(count * c_.vocab);
  quant::MatMul(pool_, "output", w_.output(), norm_.data(), count, logits->data());
  if (const float cap = c_.final_logit_softcap; cap > 0) {
    for (float& v : *logits) v = cap * std::tanh(v / cap);
  }
  return absl::OkStatus();
}

absl::Status Transformer::Prefill(absl::Span<const int32_t> tokens, std::vector<float>* logits,
                                  const ForwardOptions& options, int micro_batch) {
  if (tokens.empty()) return absl::InvalidArgumentError("no tokens to evaluate");
  // Only the prompt's last token's logits are read: earlier micro-batches
  // (token by token, earlier tokens) skip the output head.
  ForwardOptions inner = options;
  inner.no_logits = !options.all_logits;
  for (size_t start = 0; start < tokens.size(); start += micro_batch) {
    const size_t count = std::min(tokens.size() - start, static_cast<size_t>(micro_batch));
    const bool last = start + count == tokens.size();
    if (auto s = Forward(tokens.subspan(start, count), logits, last ? options : inner); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status Transformer::PrefillSerial(absl::Span<const int32_t> tokens, std::vector<float>* logits,
                                        const ForwardOptions& options) {
  return Prefill(tokens, logits, options, /*micro_batch=*/1);
}

}  // namespace model
