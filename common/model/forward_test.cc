#include "common/model/forward.h"
#include "common/model/throughput.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <numeric>

#include "common/model/ops.h"
#include "common/model/synth.h"
#include "common/quant/dequantize.h"
#include "common/quant/fp16.h"
#include "gtest/gtest.h"

namespace model {
namespace {

// A two-layer model of each family; "llama3" is llama with Llama 3.x rope
// scaling (its factors vary across this head's frequencies), "gemma3" has a
// sliding-window layer (window 4 of an 11-token prompt) then a global one
// with linear rope scaling, and a logit softcap; "qwen3moe" routes each
// token to 2 of 8 experts.
ModelConfig Tiny(const std::string& name) {
  const std::string arch = name == "llama3" ? "llama" : name;
  ModelConfig c;
  c.name = "tiny-" + name;
  c.arch = arch;
  c.n_layers = 2;
  c.hidden = 256;
  c.n_heads = 4;
  c.n_kv_heads = 2;
  c.head_dim = 64;
  c.ffn = 512;
  c.vocab = 320;
  c.context_length = 64;
  c.tied_embeddings = arch == "qwen2" || arch == "qwen3" || arch == "qwen3moe" || arch == "gemma3";
  if (arch == "qwen3moe") {
    c.n_experts = 8;
    c.n_experts_used = 2;
    c.expert_ffn = 256;
  }
  c.qkv_bias = arch == "qwen2";
  c.rope_theta = arch == "llama" || arch == "phi3" ? 1e4f : 1e6f;
  c.norm_eps = 1e-6f;
  if (name == "llama3") c.llama3_rope = {8.0f, 1.0f, 4.0f, 16};
  if (arch == "gemma3") {
    c.sliding_window = 4;
    c.swa_period = 2;
    c.rope_theta_swa = 1e4f;
    c.rope_linear_factor = 2.0f;
    c.final_logit_softcap = 5.0f;
  }
  return c;
}

const char* const kFamilies[] = {"llama", "llama3", "qwen2", "qwen3", "qwen3moe", "gemma3", "phi3"};

// `repack`: as the engine loads it (true), or the file's layout as is, which
// the reference dequantizes (false).
std::unique_ptr<ModelWeights> Synth(const ModelConfig& c, const std::string& scheme, bool repack = true) {
  const std::string path = testing::TempDir() + "/" + c.name + "-" + scheme + ".gguf";
  parallel::ThreadPool pool(2);
  EXPECT_TRUE(WriteSynthModel({c, scheme, 7}, path, pool).ok());
  auto w = ModelWeights::Load(path, repack);
  EXPECT_TRUE(w.ok()) << w.status();
  return w.ok() ? *std::move(w) : nullptr;
}

// A plain float forward pass: dequantized weights, straightforward loops,
// float activations throughout. Returns every position's logits, and for a
// mixture each position's narrowest routing margin over the layers (the
// last chosen expert's logit minus the first one left out).
std::vector<std::vector<float>> ReferenceForward(const ModelWeights& w, const std::vector<int32_t>& tokens,
                                                 std::vector<double>* route_margin = nullptr) {
  const ModelConfig& c = w.config();
  const int64_t h = c.hidden, hd = c.head_dim, qd = c.QDim(), kvd = c.KvDim(), n = tokens.size();
  if (route_margin != nullptr) route_margin->assign(n, INFINITY);
  auto dense = [](const quant::WeightMatrix& m) {
    std::vector<float> d(m.rows * m.cols);
    for (int64_t r = 0; r < m.rows; ++r) {
      EXPECT_TRUE(quant::DequantizeRow(m.type, m.data + r * m.RowBytes(), d.data() + r * m.cols, m.cols).ok());
    }
    return d;
  };
  auto matvec = [](const std::vector<float>& m, int64_t rows, int64_t cols, const float* x, float* y) {
    for (int64_t r = 0; r < rows; ++r) {
      double s = 0;
      for (int64_t i = 0; i < cols; ++i) s += double(m[r * cols + i]) * x[i];
      y[r] = static_cast<float>(s);
    }
  };
  auto rmsnorm_n = [&](const float* x, const std::vector<float>& wt, int64_t len, float* y) {
    double ss = 0;
    for (int64_t i = 0; i < len; ++i) ss += double(x[i]) * x[i];
    const double scale = 1.0 / std::sqrt(ss / len + c.norm_eps);
    for (int64_t i = 0; i < len; ++i) y[i] = static_cast<float>(x[i] * scale * wt[i]);
  };
  auto rmsnorm = [&](const float* x, const std::vector<float>& wt, float* y) { rmsnorm_n(x, wt, h, y); };
  const bool neox = c.arch != "llama";
  const std::vector<float>& factors = w.RopeFactors(64);
  auto rope = [&](float* v, int64_t pos, bool sliding) {
    for (int64_t i = 0; i < hd / 2; ++i) {
      const double theta = sliding ? c.rope_theta_swa : c.rope_theta;
      const double divisor = sliding ? 1.0 : c.rope_linear_factor * (factors.empty() ? 1.0 : factors[i]);
      const double angle = pos * std::pow(theta, -2.0 * i / hd) / divisor;
      const int64_t a = neox ? i : 2 * i, b = neox ? i + hd / 2 : 2 * i + 1;
      const double x0 = v[a], x1 = v[b];
      v[a] = static_cast<float>(x0 * std::cos(angle) - x1 * std::sin(angle));
      v[b] = static_cast<float>(x0 * std::sin(angle) + x1 * std::cos(angle));
    }
  };
  std::vector<std::vector<float>> x(n, std::vector<float>(h));
  for (int64_t t = 0; t < n; ++t) {
    EXPECT_TRUE(w.Embed(tokens[t], x[t].data()).ok());
    if (c.arch == "gemma3") {
      for (float& v : x[t]) v *= std::sqrt(static_cast<float>(h));
    }
  }
  for (uint32_t l = 0; l < c.n_layers; ++l) {
    const bool sliding = c.IsSlidingLayer(l);
    const LayerWeights& L = w.layer(l);
    const auto q_w = dense(L.q), k_w = dense(L.k), v_w = dense(L.v), o_w = dense(L.o);
    const bool moe = c.IsMoe();
    const auto g_w = dense(moe ? L.gate_exps : L.gate), u_w = dense(moe ? L.up_exps : L.up);
    const auto d_w = dense(moe ? L.down_exps : L.down);
    const auto router = moe ? dense(L.router) : std::vector<float>();
    std::vector<std::vector<float>> K(n, std::vector<float>(kvd)), V(n, std::vector<float>(kvd));
    std::vector<std::vector<float>> Q(n, std::vector<float>(qd));
    for (int64_t t = 0; t < n; ++t) {
      std::vector<float> nx(h);
      rmsnorm(x[t].data(), L.attn_norm, nx.data());
      matvec(q_w, qd, h, nx.data(), Q[t].data());
      matvec(k_w, kvd, h, nx.data(), K[t].data());
      matvec(v_w, kvd, h, nx.data(), V[t].data());
      for (int64_t i = 0; i < qd && !L.q_bias.empty(); ++i) Q[t][i] += L.q_bias[i];
      for (int64_t i = 0; i < kvd && !L.k_bias.empty(); ++i) K[t][i] += L.k_bias[i];
      for (int64_t i = 0; i < kvd && !L.v_bias.empty(); ++i) V[t][i] += L.v_bias[i];
      for (uint32_t hh = 0; hh < c.n_heads && !L.q_norm.empty(); ++hh) {
        rmsnorm_n(Q[t].data() + hh * hd, L.q_norm, hd, Q[t].data() + hh * hd);
      }
      for (uint32_t hh = 0; hh < c.n_kv_heads && !L.k_norm.empty(); ++hh) {
        rmsnorm_n(K[t].data() + hh * hd, L.k_norm, hd, K[t].data() + hh * hd);
      }
      for (uint32_t hh = 0; hh < c.n_heads; ++hh) rope(Q[t].data() + hh * hd, t, sliding);
      for (uint32_t hh = 0; hh < c.n_kv_heads; ++hh) rope(K[t].data() + hh * hd, t, sliding);
    }
    for (int64_t t = 0; t < n; ++t) {
      std::vector<float> att(qd, 0.0f), o(h);
      for (uint32_t hh = 0; hh < c.n_heads; ++hh) {
        const int64_t kvh = hh / (c.n_heads / c.n_kv_heads);
        // Keys 0..t, or in a sliding window the last `sliding_window` of them.
        const int64_t first = sliding ? std::max<int64_t>(0, t + 1 - c.sliding_window) : 0;
        std::vector<double> s(t + 1 - first);
        for (int64_t j = first; j <= t; ++j) {
          double dot = 0;
          for (int64_t d = 0; d < hd; ++d) dot += double(Q[t][hh * hd + d]) * K[j][kvh * hd + d];
          s[j - first] = dot / std::sqrt(double(hd));
        }
        const double mx = *std::max_element(s.begin(), s.end());
        double sum = 0;
        for (double& v : s) sum += (v = std::exp(v - mx));
        for (int64_t j = first; j <= t; ++j) {
          for (int64_t d = 0; d < hd; ++d) {
            att[hh * hd + d] += static_cast<float>(s[j - first] / sum * V[j][kvh * hd + d]);
          }
        }
      }
      matvec(o_w, h, qd, att.data(), o.data());
      if (!L.post_attn_norm.empty()) rmsnorm(o.data(), L.post_attn_norm, o.data());
      for (int64_t i = 0; i < h; ++i) x[t][i] += o[i];
      std::vector<float> nx(h), dn(h, 0.0f);
      rmsnorm(x[t].data(), L.ffn_norm, nx.data());
      // A dense FFN is one expert of weight 1; a mixture's router picks the
      // n_experts_used most probable (softmax), weighted by their
      // probabilities over the chosen ones' sum.
      const int64_t f = moe ? c.expert_ffn : c.ffn;
      std::vector<std::pair<int64_t, double>> experts = {{0, 1.0}};
      if (moe) {
        std::vector<float> logit(c.n_experts);
        matvec(router, c.n_experts, h, nx.data(), logit.data());
        std::vector<int64_t> order(c.n_experts);
        std::iota(order.begin(), order.end(), 0);
        std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return logit[a] > logit[b]; });
        double chosen = 0;
        experts.clear();
        if (route_margin != nullptr) {
          (*route_margin)[t] = std::min<double>((*route_margin)[t], logit[order[c.n_experts_used - 1]] -
                                                                        logit[order[c.n_experts_used]]);
        }
        for (uint32_t j = 0; j < c.n_experts_used; ++j) {
          experts.push_back({order[j], std::exp(double(logit[order[j]]))});
          chosen += experts.back().second;
        }
        for (auto& e : experts) e.second /= chosen;
      }
      for (const auto& [e, weight] : experts) {
        std::vector<float> g(f), u(f), a(f), y(h);
        matvec(std::vector<float>(g_w.begin() + e * f * h, g_w.begin() + (e + 1) * f * h), f, h, nx.data(), g.data());
        matvec(std::vector<float>(u_w.begin() + e * f * h, u_w.begin() + (e + 1) * f * h), f, h, nx.data(), u.data());
        for (int64_t i = 0; i < f; ++i) {
          const double gi = g[i];
          const double act = c.arch == "gemma3"
                                 ? 0.5 * gi * (1 + std::tanh(std::sqrt(2 / M_PI) * (gi + 0.044715 * gi * gi * gi)))
                                 : gi / (1 + std::exp(-gi));
          a[i] = static_cast<float>(act * u[i]);
        }
        matvec(std::vector<float>(d_w.begin() + e * h * f, d_w.begin() + (e + 1) * h * f), h, f, a.data(), y.data());
        for (int64_t i = 0; i < h; ++i) dn[i] += static_cast<float>(weight * y[i]);
      }
      if (!L.post_ffn_norm.empty()) rmsnorm(dn.data(), L.post_ffn_norm, dn.data());
      for (int64_t i = 0; i < h; ++i) x[t][i] += dn[i];
    }
  }
  const auto out_w = dense(w.output());
  std::vector<std::vector<float>> logits(n, std::vector<float>(c.vocab));
  for (int64_t t = 0; t < n; ++t) {
    std::vector<float> nx(h);
    rmsnorm(x[t].data(), w.output_norm(), nx.data());
    matvec(out_w, c.vocab, h, nx.data(), logits[t].data());
    if (c.final_logit_softcap > 0) {
      for (float& v : logits[t]) v = static_cast<float>(c.final_logit_softcap * std::tanh(v / c.final_logit_softcap));
    }
  }
  return logits;
}

// Root-mean-square difference relative to the reference's spread (its
// standard deviation over the vocabulary).
double RelativeRmsError(const float* got, const std::vector<float>& want) {
  double mean = std::accumulate(want.begin(), want.end(), 0.0) / want.size(), var = 0, err = 0;
  for (size_t i = 0; i < want.size(); ++i) {
    var += (want[i] - mean) * (want[i] - mean);
    err += (double(got[i]) - want[i]) * (got[i] - want[i]);
  }
  return std::sqrt(err / var);
}

const std::vector<int32_t> kPrompt = {1, 17, 250, 3, 99, 42, 7, 300, 5, 128, 64};

// Float weights keep activations in float too: only summation order differs
// (1e-4 of the logits' spread). BF16 weights on a CPU with AVX512-BF16 round
// the activations to bf16 (2^-9 relative) before each product: measured
// 7-8e-3 of the spread, held to 2e-2. The quantized formats' kernels round
// the activations to 8 bits (1/254 of each block's largest value) before
// every product; over 2 layers and the head that costs a few percent of the
// spread (measured: up to ~3%), so they are held to 5%. That error moves a
// mixture's router logits by up to ~1e-2, enough to swap two experts whose
// logits are closer (a different, equally valid routing: measured 26-29% of
// the spread there), so the quantized schemes skip positions routed within
// kTieMargin and must still check most of them.
TEST(Forward, MatchesThePlainFloatReference) {
  constexpr double kTieMargin = 0.05;
  for (const char* arch : kFamilies) {
    for (const auto& [scheme, tolerance] : std::vector<std::pair<std::string, double>>{
             {"f32", 1e-4}, {"f16", 1e-4}, {"bf16", 2e-2}, {"q8_0", 0.05}, {"q4_k_m", 0.05}}) {
      auto w = Synth(Tiny(arch), scheme);
      auto plain = Synth(Tiny(arch), scheme, /*repack=*/false);
      ASSERT_NE(w, nullptr);
      std::vector<double> margin;
      const auto ref = ReferenceForward(*plain, kPrompt, &margin);
      parallel::ThreadPool pool(2);
      Transformer t(*w, pool, 64);
      std::vector<float> logits;
      ForwardOptions all;
      all.all_logits = true;
      ASSERT_TRUE(t.Forward(kPrompt, &logits, all).ok());
      double worst = 0;
      size_t checked = 0;
      for (size_t p = 0; p < kPrompt.size(); ++p) {
        if (tolerance > 1e-4 && margin[p] < kTieMargin) continue;
        ++checked;
        const double error = RelativeRmsError(logits.data() + p * w->config().vocab, ref[p]);
        worst = std::max(worst, error);
        EXPECT_LT(error, tolerance) << arch << " " << scheme << " position " << p;
      }
      EXPECT_GE(2 * checked, kPrompt.size()) << arch << " " << scheme;
      std::printf("%s %s: worst relative RMS error %.2e (bound %.0e) over %zu of %zu positions\n", arch,
                  scheme.c_str(), worst, tolerance, checked, kPrompt.size());
    }
  }
}

// Llama 3.1's rope scaling (factor 8, low/high frequency factors 1 and 4,
// original context 8192) as Meta's reference states it: wavelengths above
// 8192 divide their frequency by 8, below 2048 keep it, and between blend
// 1/8 and 1 linearly in original_context / wavelength. The angle at
// positions past the original context is where it matters.
TEST(Rope, Llama3ScalingRotatesAsDefinedAtLongPositions) {
  const ModelConfig c = *FindPreset("llama-3.1-8b");
  const std::vector<float> factors = Llama3RopeFactors(c);
  ASSERT_EQ(factors.size(), 64u);
  const std::vector<double> inv_freq = RopeInverseFrequencies(c, factors, /*sliding=*/false);
  int divided = 0, kept = 0, blended = 0;
  for (int i = 0; i < 64; ++i) {
    const double freq = std::pow(5e5, -2.0 * i / 128), wavelen = 2 * M_PI / freq;
    double want = freq;
    if (wavelen > 8192) {
      want = freq / 8, ++divided;
    } else if (wavelen >= 2048) {
      const double smooth = (8192 / wavelen - 1) / (4 - 1);
      want = (1 - smooth) * freq / 8 + smooth * freq, ++blended;
    } else {
      ++kept;
    }
    for (double pos : {4000.0, 8192.0, 65536.0, 131071.0}) {
      // The file stores the divisors as float: 2^-24 of each angle.
      EXPECT_NEAR(std::remainder(pos * inv_freq[i] - pos * want, 2 * M_PI), 0, 1e-7 * (1 + pos * want))
          << "frequency " << i << " position " << pos;
    }
  }
  EXPECT_GT(divided, 0);
  EXPECT_GT(kept, 0);
  EXPECT_GT(blended, 0);
}

// A cache type rounds each cached key and value: F16 to 11 significant bits
// (2^-11 relative), BF16 to 8 (2^-8), Q8_0 to 1/254 of each 32 values'
// largest. Through the scores, the softmax and the weighted sums of two
// layers that moves the logits by a few times that of their spread
// (measured below: F16 3-6e-4, BF16 3-4e-3, Q8_0 0.8-1.5e-2), held to 5e-3
// for F16 and 4e-2 for the 8-bit ones. The F16 weights keep the matrices exact enough
// that the cache is what differs.
TEST(Forward, EachCacheTypesLogitsAgreeWithTheF32Cache) {
  for (const char* arch : kFamilies) {
    auto w = Synth(Tiny(arch), "f16");
    ASSERT_NE(w, nullptr);
    parallel::ThreadPool pool(2);
    Transformer f32(*w, pool, 64, KvCacheType::kF32);
    ForwardOptions all;
    all.all_logits = true;
    std::vector<float> a;
    ASSERT_TRUE(f32.Forward(kPrompt, &a, all).ok());
    for (auto [type, bound] : {std::pair<KvCacheTypes, double>{KvCacheType::kF16, 5e-3},
                               {KvCacheType::kBF16, 4e-2},
                               {KvCacheType::kQ8_0, 4e-2},
                               {{KvCacheType::kQ8_0, KvCacheType::kF16}, 4e-2},
                               {{KvCacheType::kF16, KvCacheType::kQ8_0}, 4e-2}}) {
      Transformer t(*w, pool, 64, type);
      std::vector<float> b;
      ASSERT_TRUE(t.Forward(kPrompt, &b, all).ok());
      double worst = 0;
      const int64_t vocab = w->config().vocab;
      for (size_t p = 0; p < kPrompt.size(); ++p) {
        const std::vector<float> want(a.begin() + p * vocab, a.begin() + (p + 1) * vocab);
        worst = std::max(worst, RelativeRmsError(b.data() + p * vocab, want));
      }
      const std::string name = KvCacheTypesName(type);
      EXPECT_LT(worst, bound) << arch << " " << name;
      EXPECT_GT(worst, 0) << arch << ": the " << name << " cache changed nothing?";
      std::printf("%s: %s cache against F32, worst relative RMS %.2e\n", arch, name.c_str(), worst);
      // Decode after prefill reads the same cache.
      std::vector<float> c;
      Transformer split(*w, pool, 64, type);
      ASSERT_TRUE(split.Prefill(std::vector<int32_t>(kPrompt.begin(), kPrompt.end() - 1), &c).ok());
      ASSERT_TRUE(split.Forward({kPrompt.back()}, &c).ok());
      for (int64_t i = 0; i < vocab; ++i) {
        ASSERT_NEAR(c[i], b[(kPrompt.size() - 1) * vocab + i], 1e-4 * (1 + std::fabs(c[i]))) << arch;
      }
    }
  }
}

// Decode with more threads than KV heads splits each head's context into
// parts merged by their log-sum-exps; it gives what one pass over the whole
// context (the batched prefill's last token) gives. A cache copied into
// another type decodes as that type's own prefill does.
TEST(Forward, DecodeOverContextPartsEqualsOnePass) {
  const std::vector<int32_t> prompt = SyntheticTokens(700, 320, 5);
  const std::vector<int32_t> head(prompt.begin(), prompt.end() - 1);
  for (const char* arch : kFamilies) {
    auto w = Synth(Tiny(arch), "f16");
    ASSERT_NE(w, nullptr);
    parallel::ThreadPool pool(4);
    Transformer whole(*w, pool, 700, KvCacheType::kF16), parts(*w, pool, 700, KvCacheType::kF16);
    std::vector<float> want, got;
    ASSERT_TRUE(whole.Prefill(prompt, &want).ok());
    ASSERT_TRUE(parts.Prefill(head, &got).ok());
    Transformer q8(*w, pool, 700, KvCacheType::kQ8_0), copied(*w, pool, 700, KvCacheType::kQ8_0);
    Transformer same(*w, pool, 699, KvCacheType::kF16);
    ASSERT_TRUE(copied.CopyCacheFrom(parts).ok());
    ASSERT_TRUE(same.CopyCacheFrom(parts).ok());
    EXPECT_EQ(copied.position(), int(head.size()));
    ASSERT_TRUE(parts.Forward({prompt.back()}, &got).ok());
    ASSERT_EQ(got.size(), want.size());
    for (size_t i = 0; i < want.size(); ++i) ASSERT_NEAR(got[i], want[i], 1e-4 * (1 + std::fabs(want[i]))) << arch;
    std::vector<float> again;
    EXPECT_FALSE(same.Forward({prompt.back()}, &again).ok()) << "a full cache takes no more tokens";
    Transformer longer(*w, pool, 700, KvCacheType::kF16);
    ASSERT_TRUE(longer.CopyCacheFrom(same).ok());
    ASSERT_TRUE(longer.Forward({prompt.back()}, &again).ok());
    EXPECT_EQ(again, got) << arch << ": a copy of the same type is the same cache";
    ASSERT_TRUE(q8.Prefill(head, &want).ok());
    ASSERT_TRUE(q8.Forward({prompt.back()}, &want).ok());
    ASSERT_TRUE(copied.Forward({prompt.back()}, &got).ok());
    // The same keys and values, rounded to F16 on the way: within Q8_0's own
    // rounding. A mixture's 699 tokens each route twice, and the few whose
    // experts were near a tie may take the other (measured 1.4e-2).
    EXPECT_LT(RelativeRmsError(got.data(), want), w->config().IsMoe() ? 3e-2 : 1e-2) << arch;
  }
}

// A repeated cache is longer (decode then reads more positions); rewound,
// it decodes exactly as before it was repeated.
TEST(Forward, RepeatAndRewindTheCache) {
  auto w = Synth(Tiny("qwen2"), "f16");
  ASSERT_NE(w, nullptr);
  parallel::ThreadPool pool(2);
  Transformer t(*w, pool, 64, KvCacheType::kQ8_0);
  std::vector<float> prompt_logits, want, repeated, rewound;
  ASSERT_TRUE(t.Prefill(kPrompt, &prompt_logits).ok());
  ASSERT_TRUE(t.Forward({9}, &want).ok());
  ASSERT_TRUE(t.Rewind(int(kPrompt.size())).ok());
  ASSERT_TRUE(t.RepeatCache(40).ok());
  EXPECT_EQ(t.position(), 40);
  ASSERT_TRUE(t.Forward({9}, &repeated).ok());
  EXPECT_NE(repeated, want);
  ASSERT_TRUE(t.Rewind(int(kPrompt.size())).ok());
  ASSERT_TRUE(t.Forward({9}, &rewound).ok());
  EXPECT_EQ(rewound, want);
  EXPECT_FALSE(t.Rewind(60).ok());
  EXPECT_FALSE(t.RepeatCache(65).ok());
}

TEST(Forward, RefusesACacheTypeTheHeadsDoNotFit) {
  ModelConfig c = Tiny("qwen2");
  c.hidden = 288;
  c.head_dim = 72;
  auto w = Synth(c, "f16");
  ASSERT_NE(w, nullptr);
  parallel::ThreadPool pool(2);
  Transformer t(*w, pool, 64, KvCacheType::kQ8_0);
  std::vector<float> logits;
  const absl::Status s = t.Forward(kPrompt, &logits);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_NE(s.message().find("q8_0"), std::string::npos) << s;
}

TEST(Synth, FileTypeIsTheSchemeAsLlamaCppNumbersIt) {
  for (const auto& [scheme, want] : std::vector<std::pair<std::string, uint64_t>>{
           {"f32", 0}, {"f16", 1}, {"bf16", 32}, {"q8_0", 7}, {"q4_k", 14}, {"q4_k_m", 15}}) {
    auto w = Synth(Tiny("llama"), scheme);
    ASSERT_NE(w, nullptr);
    EXPECT_EQ(*w->file().GetUint("general.file_type"), want) << scheme;
  }
}

TEST(Forward, RepackedWeightsGiveTheSameLogits) {
  auto repacked = Synth(Tiny("qwen2"), "q4_k_m"), plain = Synth(Tiny("qwen2"), "q4_k_m", false);
  parallel::ThreadPool pool(2);
  Transformer a(*repacked, pool, 64), b(*plain, pool, 64);
  std::vector<float> la, lb;
  ASSERT_TRUE(a.Forward(kPrompt, &la).ok());
  ASSERT_TRUE(b.Forward(kPrompt, &lb).ok());
  for (size_t i = 0; i < la.size(); ++i) ASSERT_NEAR(la[i], lb[i], 1e-3 * (1 + std::fabs(lb[i]))) << i;
}

// --f16-as-bf16: each F16 matrix copied as its values rounded to bf16 (the
// embedding table kept), and the model computes nearly what the file's does.
TEST(Forward, F16MatricesRoundedToBf16) {
  const ModelConfig c = Tiny("qwen2");
  auto f16 = Synth(c, "f16");
  ASSERT_NE(f16, nullptr);
  const std::string path = testing::TempDir() + "/" + c.name + "-f16.gguf";
  auto rounded = ModelWeights::Load(path, /*repack=*/true, ModelWeights::kMachineBudget, /*f16_as_bf16=*/true);
  ASSERT_TRUE(rounded.ok()) << rounded.status();
  const ModelWeights& r = **rounded;
  EXPECT_EQ(r.rounded_to_bf16(), 7 * c.n_layers + (r.output().data != r.token_embd().data ? 1 : 0));
  EXPECT_EQ(r.token_embd().type, gguf::GgmlType::kF16);
  for (int i = 0; i < c.n_layers; ++i) {
    const quant::WeightMatrix &from = f16->layer(i).up, &to = r.layer(i).up;
    ASSERT_EQ(from.type, gguf::GgmlType::kF16);
    ASSERT_EQ(to.type, gguf::GgmlType::kBF16);
    const auto* a = reinterpret_cast<const uint16_t*>(from.data);
    const auto* b = reinterpret_cast<const uint16_t*>(to.data);
    for (int64_t k = 0; k < from.rows * from.cols; ++k) {
      ASSERT_EQ(b[k], quant::F32ToBf16(quant::F16ToF32(a[k]))) << "layer " << i << " at " << k;
    }
  }
  parallel::ThreadPool pool(2);
  Transformer a(*f16, pool, 64), b(r, pool, 64);
  std::vector<float> la, lb;
  ASSERT_TRUE(a.Forward(kPrompt, &la).ok());
  ASSERT_TRUE(b.Forward(kPrompt, &lb).ok());
  double dot = 0, na = 0, nb = 0;
  for (size_t i = 0; i < la.size(); ++i) {
    dot += double(la[i]) * lb[i];
    na += double(la[i]) * la[i];
    nb += double(lb[i]) * lb[i];
  }
  EXPECT_GT(dot / std::sqrt(na * nb), 0.999);
}

// Copies stop at the budget: the matrices past it are read in place from
// the file, and the model computes the same (a mixture's stacks too).
TEST(Forward, MatricesPastTheCopyBudgetAreReadInPlace) {
  for (const char* arch : {"qwen2", "qwen3moe"}) {
    const ModelConfig c = Tiny(arch);
    auto all = Synth(c, "q4_k_m");
    ASSERT_NE(all, nullptr);
    EXPECT_EQ(all->in_place_bytes(), 0u) << arch;
    const std::string path = testing::TempDir() + "/" + c.name + "-q4_k_m.gguf";
    uint64_t matrices = 0;
    for (const TensorSpec& t : all->tensors()) matrices += t.IsMatrix() && t.name != "token_embd.weight" ? t.n_bytes : 0;
    auto half = ModelWeights::Load(path, /*repack=*/true, matrices / 2);
    ASSERT_TRUE(half.ok()) << half.status();
    EXPECT_GE((*half)->in_place_bytes(), matrices / 2 - matrices / 4) << arch;
    EXPECT_LE((*half)->in_place_bytes(), matrices) << arch;
    auto none = ModelWeights::Load(path, /*repack=*/true, 0);
    ASSERT_TRUE(none.ok()) << none.status();
    EXPECT_GE((*none)->in_place_bytes(), matrices * 9 / 10) << arch;
    parallel::ThreadPool pool(2);
    Transformer a(*all, pool, 64), b(**half, pool, 64), d(**none, pool, 64);
    std::vector<float> la, lb, ld;
    ASSERT_TRUE(a.Forward(kPrompt, &la).ok());
    ASSERT_TRUE(b.Forward(kPrompt, &lb).ok());
    ASSERT_TRUE(d.Forward(kPrompt, &ld).ok());
    for (size_t i = 0; i < la.size(); ++i) {
      ASSERT_NEAR(la[i], lb[i], 1e-3 * (1 + std::fabs(la[i]))) << arch << " " << i;
      ASSERT_NEAR(la[i], ld[i], 1e-3 * (1 + std::fabs(la[i]))) << arch << " " << i;
    }
  }
}

TEST(Forward, PrefillThenDecodeEqualsRecomputingTheSequence) {
  for (const char* arch : kFamilies) {
    auto w = Synth(Tiny(arch), "q4_k_m");
    parallel::ThreadPool pool(2);
    Transformer whole(*w, pool, 64), split(*w, pool, 64);
    std::vector<float> a, b;
    ASSERT_TRUE(whole.Forward(kPrompt, &a).ok());
    const std::vector<int32_t> head(kPrompt.begin(), kPrompt.end() - 2);
    ASSERT_TRUE(split.Prefill(head, &b).ok());
    ASSERT_TRUE(split.Forward({kPrompt[kPrompt.size() - 2]}, &b).ok());
    ASSERT_TRUE(split.Forward({kPrompt.back()}, &b).ok());
    EXPECT_EQ(split.position(), static_cast<int>(kPrompt.size()));
    for (size_t i = 0; i < a.size(); ++i) ASSERT_NEAR(a[i], b[i], 1e-4 * (1 + std::fabs(a[i]))) << arch << " " << i;
  }
}

TEST(Forward, BatchedEqualsSerialAndMicroBatched) {
  auto w = Synth(Tiny("qwen2"), "q4_k_m");
  parallel::ThreadPool pool(2);
  Transformer batched(*w, pool, 64), serial(*w, pool, 64), micro(*w, pool, 64);
  std::vector<float> a, b, c;
  ASSERT_TRUE(batched.Prefill(kPrompt, &a).ok());
  ASSERT_TRUE(serial.PrefillSerial(kPrompt, &b).ok());
  ASSERT_TRUE(micro.Prefill(kPrompt, &c, {}, /*micro_batch=*/4).ok());
  for (size_t i = 0; i < a.size(); ++i) {
    ASSERT_NEAR(a[i], b[i], 1e-4 * (1 + std::fabs(a[i])));
    ASSERT_NEAR(a[i], c[i], 1e-4 * (1 + std::fabs(a[i])));
  }
}

TEST(Forward, OnlyThePromptsLastTokenReadsTheOutputHead) {
  auto w = Synth(Tiny("qwen2"), "q8_0");
  parallel::ThreadPool pool(2);
  Transformer serial(*w, pool, 64), micro(*w, pool, 64);
  std::vector<float> a, b;
  pool.ResetStats();
  ASSERT_TRUE(serial.PrefillSerial(kPrompt, &a).ok());
  EXPECT_EQ(pool.Stats("output").dispatches, 1u);
  pool.ResetStats();
  ASSERT_TRUE(micro.Prefill(kPrompt, &b, {}, /*micro_batch=*/4).ok());
  EXPECT_EQ(pool.Stats("output").dispatches, 1u);
  EXPECT_EQ(a.size(), static_cast<size_t>(w->config().vocab));
  EXPECT_EQ(b.size(), a.size());
  ForwardOptions skip;
  skip.no_logits = true;
  ASSERT_TRUE(serial.Forward({7}, &a, skip).ok());
  EXPECT_TRUE(a.empty());
  EXPECT_EQ(serial.position(), static_cast<int>(kPrompt.size()) + 1);
}

TEST(Forward, FusedFfnEqualsUnfusedWithHalfTheDispatches) {
  auto w = Synth(Tiny("llama"), "q4_k_m");
  parallel::ThreadPool pool(2);
  Transformer fused(*w, pool, 64), unfused(*w, pool, 64);
  std::vector<float> a, b;
  ForwardOptions off;
  off.fused_ffn = false;
  pool.ResetStats();
  ASSERT_TRUE(fused.Forward({5}, &a).ok());
  const uint64_t fused_dispatches = pool.Stats("ffn.gate_up").dispatches;
  pool.ResetStats();
  ASSERT_TRUE(unfused.Forward({5}, &b, off).ok());
  const uint64_t unfused_dispatches = pool.Stats("ffn.gate").dispatches + pool.Stats("ffn.up").dispatches;
  EXPECT_EQ(a, b);
  EXPECT_EQ(fused_dispatches, w->config().n_layers);
  EXPECT_EQ(unfused_dispatches, 2 * fused_dispatches);
}

TEST(Route, TopKOfTheSoftmaxRenormalized) {
  // Softmax probabilities of {0, ln 3, ln 3, ln 2}: 1/9, 3/9, 3/9, 2/9. The
  // two equal ones are taken lower index first; the chosen pair's weights
  // are their probabilities over their sum.
  const float logits[] = {0.0f, std::log(3.0f), std::log(3.0f), std::log(2.0f)};
  int32_t chosen[3];
  float weights[3];
  RouteTopK(logits, 4, 2, chosen, weights);
  EXPECT_EQ(chosen[0], 1);
  EXPECT_EQ(chosen[1], 2);
  EXPECT_NEAR(weights[0], 0.5f, 1e-6f);
  EXPECT_NEAR(weights[1], 0.5f, 1e-6f);
  RouteTopK(logits, 4, 3, chosen, weights);
  EXPECT_EQ(chosen[2], 3);
  EXPECT_NEAR(weights[0], 3.0f / 8, 1e-6f);
  EXPECT_NEAR(weights[2], 2.0f / 8, 1e-6f);
  // Probabilities that underflow: the sum's clamp keeps the weights finite.
  const float far[] = {0.0f, -200.0f, -300.0f};
  RouteTopK(far, 3, 2, chosen, weights);
  EXPECT_EQ(chosen[0], 0);
  EXPECT_EQ(chosen[1], 1);
  EXPECT_TRUE(std::isfinite(weights[1]));
  EXPECT_NEAR(weights[0], 1.0f, 1e-6f);
  // Past 2^14 experts the chosen probabilities can sum below the clamp:
  // one of 20000 equal ones, 1/20000 over 2^-14.
  const std::vector<float> flat(20000, 0.5f);
  RouteTopK(flat.data(), 20000, 1, chosen, weights);
  EXPECT_EQ(chosen[0], 0);
  EXPECT_NEAR(weights[0], (1.0 / 20000) / 6.103515625e-5, 1e-6);
  // Many candidates: the k largest in order, ties lower index first.
  std::vector<float> many(128);
  for (int e = 0; e < 128; ++e) many[e] = float((e * 37) % 64);
  int32_t top[8];
  float top_weights[8];
  RouteTopK(many.data(), 128, 8, top, top_weights);
  std::vector<int> order(128);
  for (int e = 0; e < 128; ++e) order[e] = e;
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return many[a] > many[b]; });
  for (int j = 0; j < 8; ++j) EXPECT_EQ(top[j], order[j]) << j;
}

// A batch reads each expert its tokens chose once: one gate_up and one down
// dispatch a layer whatever the batch, and the distinct experts counted
// are those the router chose.
TEST(Forward, MixtureGroupsTheBatchByExpert) {
  auto w = Synth(Tiny("qwen3moe"), "q4_k_m");
  ASSERT_NE(w, nullptr);
  const ModelConfig& c = w->config();
  parallel::ThreadPool pool(2);
  Transformer t(*w, pool, 64);
  std::vector<float> logits;
  pool.ResetStats();
  ASSERT_TRUE(t.Forward(kPrompt, &logits).ok());
  EXPECT_EQ(pool.Stats("moe.gate_up").dispatches, c.n_layers);
  EXPECT_EQ(pool.Stats("moe.down").dispatches, c.n_layers);
  ASSERT_EQ(t.experts_touched().size(), c.n_layers);
  for (int touched : t.experts_touched()) {
    EXPECT_GE(touched, int(c.n_experts_used));
    EXPECT_LE(touched, int(c.n_experts));
  }
  ASSERT_TRUE(t.Forward({5}, &logits).ok());
  for (int touched : t.experts_touched()) EXPECT_EQ(touched, int(c.n_experts_used));
  // A prefill's micro-batches each record theirs, in order.
  Transformer p(*w, pool, 64);
  std::vector<std::vector<int>> passes;
  ForwardOptions options;
  options.experts_touched = &passes;
  ASSERT_TRUE(p.Prefill(kPrompt, &logits, options, /*micro_batch=*/3).ok());
  ASSERT_EQ(passes.size(), (kPrompt.size() + 2) / 3);
  EXPECT_EQ(passes.back(), p.experts_touched());
  for (const std::vector<int>& pass : passes) ASSERT_EQ(pass.size(), c.n_layers);
  auto dense = Synth(Tiny("qwen3"), "q4_k_m");
  Transformer d(*dense, pool, 64);
  ASSERT_TRUE(d.Forward({5}, &logits).ok());
  EXPECT_TRUE(d.experts_touched().empty());
}

TEST(Forward, BadInputIsAnErrorNotACrash) {
  auto w = Synth(Tiny("llama"), "f32");
  parallel::ThreadPool pool(1);
  Transformer t(*w, pool, 4);
  std::vector<float> logits;
  EXPECT_FALSE(t.Forward({}, &logits).ok());
  EXPECT_FALSE(t.Forward({320}, &logits).ok());  // vocab is 320
  EXPECT_FALSE(t.Forward({-1}, &logits).ok());
  EXPECT_FALSE(t.Forward({1, 2, 3, 4, 5}, &logits).ok());  // context of 4
}

TEST(Forward, TimesEveryOp) {
  auto w = Synth(Tiny("qwen2"), "q8_0");
  parallel::ThreadPool pool(2);
  Transformer t(*w, pool, 64);
  OpTimes times(w->config().n_layers);
  ForwardOptions options;
  options.times = &times;
  std::vector<float> logits;
  ASSERT_TRUE(t.Forward(kPrompt, &logits, options).ok());
  EXPECT_GT(times.At(0, Op::kQkv), 0);
  EXPECT_GT(times.At(1, Op::kGateUp), 0);
  EXPECT_GT(times.At(-1, Op::kOutput), 0);
  EXPECT_GT(times.Total(), 0);
}

}  // namespace
}  // namespace model
