#include "common/calibration/engine_ops_calibration.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>

#include "absl/strings/str_cat.h"
#include "common/cost/model_spec.h"
#include "common/cost/op_cost.h"
#include "common/model/forward.h"
#include "common/model/kv_cache.h"
#include "common/model/ops.h"
#include "common/model/synth.h"
#include "common/model/throughput.h"
#include "common/report/trace_report.h"
#include "common/roofline/machine_profile.h"
#include "common/roofline/measure.h"

namespace calibration {
namespace {

using Clock = std::chrono::steady_clock;
using model::KvCacheType;
using model::Op;

constexpr KvCacheType kCacheTypes[] = {KvCacheType::kF32, KvCacheType::kF16, KvCacheType::kBF16, KvCacheType::kQ8_0};
// The groups fitted as a + b x bytes; outside the blocks (layer -1) for
// embed and output_norm.
constexpr Op kLineOps[] = {Op::kEmbed, Op::kAttnNorm, Op::kRope,       Op::kQkNorm,
                           Op::kResidual, Op::kFfnNorm, Op::kOutputNorm};
bool Outside(Op op) { return op == Op::kEmbed || op == Op::kOutputNorm; }

struct Heads {
  uint32_t heads, kv_heads, head_dim;
  bool prices_prompts;
};
// One query head a KV head and eight, 128 wide, separate decode's bytes from
// its arithmetic (FitDecodeAttention reads the first two); four, 128 and 64
// wide, a prompt's cost a score from its cost a FLOP. Prompts fitted to the
// eight-head group ran 0.72-0.89 of what models of 3-7 heads a group
// measured at depth 0 to 8192 (Zen 5), to four 0.97-1.22.
constexpr Heads kCalibrationHeads[] = {
    {8, 8, 128, false}, {16, 2, 128, false}, {16, 4, 128, true}, {16, 4, 64, true}};

absl::StatusOr<model::ModelConfig> CalibrationConfig(const Heads& h) {
  auto c = model::FindPreset("qwen3-0.6b");
  if (!c.ok()) return c.status();
  c->name = absl::StrCat("apr-calibration-", h.heads, "q-", h.kv_heads, "kv",
                         h.head_dim == 128 ? "" : absl::StrCat("-", h.head_dim, "d"));
  c->n_layers = 4;
  c->hidden = 1280;
  c->n_heads = h.heads;
  c->n_kv_heads = h.kv_heads;
  c->head_dim = h.head_dim;
  c->ffn = 1280;
  c->vocab = 2048;
  return c;
}

// One forward phase: the cost model's ops and the per-op times of each run.
struct Phase {
  std::vector<cost::OpCost> ops;
  std::vector<model::OpTimes> runs;
  int n_layers = 1;

  // Seconds a layer (or outside the blocks), the median over the runs: one
  // run a neighbour on this VM's host preempted does not move it.
  double Measured(Op op) const {
    std::vector<double> per_run;
    for (const model::OpTimes& t : runs) {
      double s = 0;
      if (Outside(op)) {
        s = t.seconds[0][static_cast<int>(op)];
      } else {
        for (int l = 0; l < n_layers; ++l) s += t.seconds[l + 1][static_cast<int>(op)];
        s /= n_layers;
      }
      per_run.push_back(s);
    }
    std::sort(per_run.begin(), per_run.end());
    return per_run.empty() ? 0 : per_run[per_run.size() / 2];
  }
  // Attention's prompt work at layer 0, of `tokens` tokens.
  PromptAttentionWork Attention(const Heads& h, double tokens) const {
    double dot_flops = 0;
    for (const cost::OpCost& o : ops) {
      if (o.layer == 0 && IsAttentionDot(o.name)) dot_flops += o.flops;
    }
    return PromptAttention(h.heads, h.head_dim, tokens, dot_flops);
  }
  // Bytes (or FLOPs) of the cost ops in `group` at layer 0 (or -1).
  double Sum(const std::string& group, bool outside, bool flops, bool kv_only = false) const {
    double total = 0;
    for (const cost::OpCost& o : ops) {
      if (o.layer != (outside ? -1 : 0) || CalibratedGroup(o.name) != group) continue;
      total += flops ? o.flops : kv_only ? o.kv_bytes : o.Bytes();
    }
    return total;
  }
};

struct Sizes {
  int prompt, decode, depth;
};

// Prefill of `prompt` tokens (three runs); decode after it from depth 1;
// decode at `depth`: each decoded token a run; when `prompt_at_depth`,
// prefill at `depth` (three runs; otherwise that phase has none).
absl::StatusOr<std::vector<Phase>> RunPhases(const model::ModelWeights& weights, cost::ModelSpec spec,
                                             parallel::ThreadPool& pool, KvCacheType type, Sizes n,
                                             bool prompt_at_depth) {
  spec.kv_bytes_per_element = model::KvCacheBytesPerElement(type);
  const int layers = static_cast<int>(spec.config.n_layers);
  model::Transformer t(weights, pool, n.depth + 2 * n.prompt + n.decode + 2, type);
  const std::vector<int32_t> tokens = model::SyntheticTokens(n.prompt + n.decode + 1, spec.config.vocab, 5);
  const absl::Span<const int32_t> prompt = absl::MakeConstSpan(tokens).subspan(0, n.prompt);
  std::vector<float> logits;
  std::vector<Phase> phases(4);
  for (Phase& p : phases) p.n_layers = layers;
  model::ForwardOptions timed;
  // Prefill, after one untimed pass.
  if (auto s = t.Prefill(prompt, &logits); !s.ok()) return s;
  for (int r = 0; r < 3; ++r) {
    t.Reset();
    phases[0].runs.emplace_back(layers);
    timed.times = &phases[0].runs.back();
    if (auto s = t.Prefill(prompt, &logits, timed); !s.ok()) return s;
  }
  phases[0].ops = cost::PrefillOps(spec, n.prompt, 0);
  // Decode `n.decode` tokens after one untimed one.
  auto decode = [&](Phase& phase) -> absl::Status {
    if (auto s = t.Forward({tokens[0]}, &logits); !s.ok()) return s;
    for (int i = 0; i < n.decode; ++i) {
      phase.runs.emplace_back(layers);
      timed.times = &phase.runs.back();
      if (auto s = t.Forward({tokens[1 + i]}, &logits, timed); !s.ok()) return s;
    }
    return absl::OkStatus();
  };
  // From an almost empty cache.
  t.Reset();
  if (auto s = decode(phases[1]); !s.ok()) return s;
  phases[1].ops = cost::DecodeOps(spec, 1 + n.decode / 2);
  // At depth: the prompt's cache repeated to `depth` positions.
  t.Reset();
  model::ForwardOptions fill;
  fill.no_logits = true;
  if (auto s = t.Prefill(prompt, &logits, fill); !s.ok()) return s;
  if (auto s = t.RepeatCache(n.depth); !s.ok()) return s;
  if (auto s = decode(phases[2]); !s.ok()) return s;
  phases[2].ops = cost::DecodeOps(spec, n.depth + 1 + n.decode / 2);
  const int deep = t.position();
  for (int r = 0; r < (prompt_at_depth ? 3 : 0); ++r) {
    if (auto s = t.Rewind(deep); !s.ok()) return s;
    phases[3].runs.emplace_back(layers);
    timed.times = &phases[3].runs.back();
    if (auto s = t.Prefill(prompt, &logits, timed); !s.ok()) return s;
  }
  phases[3].ops = cost::PrefillOps(spec, n.prompt, deep);
  return phases;
}

// Decode attention a layer: fixed + bytes x b + flops x f, from the two
// models' growth between the shallow and the deep decode.
AttentionCalibration FitDecodeAttention(const std::vector<std::vector<Phase>>& by_model) {
  std::vector<double> db, df, dt;
  for (const std::vector<Phase>& p : by_model) {
    db.push_back(p[2].Sum("attention", false, false, true) - p[1].Sum("attention", false, false, true));
    df.push_back(p[2].Sum("attention", false, true) - p[1].Sum("attention", false, true));
    dt.push_back(std::max(0.0, p[2].Measured(Op::kAttention) - p[1].Measured(Op::kAttention)));
  }
  double b = 0, f = 0;
  const double det = db[0] * df[1] - df[0] * db[1];
  if (std::abs(det) > 0) {
    b = (dt[0] * df[1] - df[0] * dt[1]) / det;
    f = (db[0] * dt[1] - dt[0] * db[1]) / det;
  }
  // A negative cost is noise: the other term alone, by least squares.
  auto alone = [&](const std::vector<double>& x) {
    double xx = 0, xy = 0;
    for (size_t i = 0; i < x.size(); ++i) {
      xx += x[i] * x[i];
      xy += x[i] * dt[i];
    }
    return xx > 0 ? xy / xx : 0;
  };
  if (b < 0 || std::abs(det) == 0) {
    b = 0;
    f = alone(df);
  } else if (f < 0) {
    f = 0;
    b = alone(db);
  }
  AttentionCalibration a;
  a.decode_per_kv_byte = b;
  a.decode_per_flop = f;
  double fixed = 0;
  for (const std::vector<Phase>& p : by_model) {
    fixed += std::max(0.0, p[1].Measured(Op::kAttention) - b * p[1].Sum("attention", false, false, true) -
                               f * p[1].Sum("attention", false, true));
  }
  a.decode_fixed = fixed / by_model.size();
  return a;
}

// Prompt attention a layer from the prompts at depth 0 and at depth of the
// models that price prompts: the non-negative least-squares fit of rows,
// scores and FLOPs.
AttentionPrefill FitPrefillAttention(const std::vector<std::vector<Phase>>& by_model, double prompt) {
  std::vector<std::vector<double>> x;
  std::vector<double> y;
  for (size_t m = 0; m < by_model.size(); ++m) {
    if (!kCalibrationHeads[m].prices_prompts) continue;
    for (int i : {0, 3}) {
      const PromptAttentionWork w = by_model[m][i].Attention(kCalibrationHeads[m], prompt);
      x.push_back({w.rows, w.scores, w.dot_flops});
      y.push_back(by_model[m][i].Measured(Op::kAttention));
    }
  }
  const std::vector<double> c = NonNegativeLeastSquares(x, y);
  return {c[0], c[1], c[2]};
}

// Seconds a byte moved of the activation over `elements` values, on one
// thread, shared by the pool's threads as the fused FFN shares it.
Line TimeActivation(void (*act)(const float*, const float*, int64_t, float*), size_t threads, bool quick) {
  const int64_t n = quick ? 1 << 14 : 1 << 20;
  std::vector<float> gate(n, 0.3f), up(n, 0.7f), out(n);
  std::vector<double> seconds;
  for (int r = 0; r < (quick ? 2 : 7); ++r) {
    const Clock::time_point start = Clock::now();
    act(gate.data(), up.data(), n, out.data());
    seconds.push_back(std::chrono::duration<double>(Clock::now() - start).count());
  }
  std::sort(seconds.begin(), seconds.end());
  return {0, seconds[seconds.size() / 2] / (3.0 * 4 * n) / double(threads)};
}

}  // namespace

bool IsAttentionDot(const std::string& cost_op) { return cost_op == "attn_score" || cost_op == "attn_value"; }

PromptAttentionWork PromptAttention(uint32_t heads, uint32_t head_dim, double tokens, double dot_flops) {
  return {tokens * heads, head_dim > 0 ? dot_flops / (4.0 * head_dim) : 0, dot_flops};
}

std::string CalibratedGroup(const std::string& cost_op) {
  if (cost_op == "silu_mul" || cost_op == "gelu_mul") return cost_op;
  if (cost_op == "attn_score" || cost_op == "softmax" || cost_op == "attn_value") return "attention";
  return model::OpName(report::EngineOpFor(cost_op));
}

absl::StatusOr<EngineOpsCalibration> MeasureEngineOps(parallel::ThreadPool& pool, bool quick,
                                                      const std::function<void(const std::string&)>& progress) {
  const Sizes sizes = quick ? Sizes{32, 2, 512} : Sizes{256, 16, 8192};
  auto read = roofline::MeasureDramReadGbps(static_cast<int>(pool.num_threads()), quick);
  if (!read.ok()) return read.status();
  struct Loaded {
    std::unique_ptr<model::ModelWeights> weights;
    cost::ModelSpec spec;
  };
  std::vector<Loaded> models;
  for (const Heads& h : kCalibrationHeads) {
    auto config = CalibrationConfig(h);
    if (!config.ok()) return config.status();
    const std::string path = absl::StrCat(roofline::AprCacheDir(), "/models/", config->name, "-q8_0.gguf");
    if (progress) progress(absl::StrCat("calibration model ", config->name));
    auto written = model::EnsureSynthModel({*config, "q8_0", 1}, path, pool);
    if (!written.ok()) return written.status();
    auto weights = model::ModelWeights::Load(path);
    if (!weights.ok()) return weights.status();
    auto spec = cost::SpecFromGgufFile(path);
    if (!spec.ok()) return spec.status();
    models.push_back({*std::move(weights), *std::move(spec)});
  }
  EngineOpsCalibration out;
  std::map<Op, std::pair<std::vector<double>, std::vector<double>>> points;
  for (KvCacheType type : kCacheTypes) {
    if (progress) progress(absl::StrCat("attention and element-wise ops, ", model::KvCacheTypeName(type), " cache"));
    std::vector<std::vector<Phase>> by_model;
    for (size_t m = 0; m < models.size(); ++m) {
      auto phases =
          RunPhases(*models[m].weights, models[m].spec, pool, type, sizes, kCalibrationHeads[m].prices_prompts);
      if (!phases.ok()) return phases.status();
      for (const Phase& p : *phases) {
        if (p.runs.empty()) continue;
        for (Op op : kLineOps) {
          points[op].first.push_back(p.Sum(model::OpName(op), Outside(op), false));
          points[op].second.push_back(p.Measured(op));
        }
      }
      by_model.push_back(*std::move(phases));
    }
    AttentionCalibration a = FitDecodeAttention(by_model);
    a.prefill = FitPrefillAttention(by_model, sizes.prompt);
    a.cache_type = model::KvCacheTypeName(type);
    a.read_gbps = *read;
    out.attention.push_back(a);
  }
  for (Op op : kLineOps) out.ops.push_back({model::OpName(op), FitLine(points[op].first, points[op].second)});
  out.ops.push_back({"silu_mul", TimeActivation(model::SiluMul, pool.num_threads(), quick)});
  out.ops.push_back({"gelu_mul", TimeActivation(model::GeluMul, pool.num_threads(), quick)});
  return out;
}

}  // namespace calibration
