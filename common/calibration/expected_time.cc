#include "common/calibration/expected_time.h"

#include <algorithm>
#include <map>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/calibration/engine_ops_calibration.h"
#include "common/model/kv_cache.h"
#include "common/report/trace_report.h"

namespace calibration {
namespace {

// The work of a matrix op: its weights (an expert stack's: the experts the
// batch touched) and the tokens each weight meets.
struct MatrixWork {
  double weights = 0, cols = 0, tokens = 0;
};
MatrixWork WorkOf(const cost::ModelSpec& spec, const cost::OpCost& op) {
  const model::TensorSpec* t = spec.Find(op.tensor);
  if (t == nullptr || !t->IsMatrix()) return {};
  const double cols = double(t->dims[0]), rows = double(t->dims[1]);
  if (t->dims.size() == 3) {
    const double experts = double(t->dims[2]), per_expert = double(t->n_bytes) / experts;
    const double touched = per_expert > 0 ? op.weight_bytes / per_expert : 0;
    if (touched <= 0) return {};
    const double pairs = op.flops / (2 * rows * cols);
    return {touched * rows * cols, cols, pairs / touched};
  }
  return {rows * cols, cols, op.flops / (2 * rows * cols)};
}

// Seconds of a matrix op whose engine dispatch multiplies `dispatch_weights`
// weights in all (attention's q, k and v, or the FFN's gate and up, run as
// one; the touched experts of a stack): its share of one matrix that size.
// Priced alone, each small matrix paid a dispatch's start and a small
// matrix's rate that the engine, splitting the dispatch's rows over the
// threads, does not.
absl::StatusOr<double> MatrixSeconds(const Calibration& c, const MatrixWork& w, gguf::GgmlType type,
                                     double dispatch_weights, double dram_gbps) {
  if (w.weights <= 0 || dispatch_weights <= 0) return 0.0;
  auto whole = c.MatmulSeconds(type, dispatch_weights / w.cols, w.cols, w.tokens, dram_gbps);
  if (!whole.ok()) return whole.status();
  return *whole * w.weights / dispatch_weights;
}

bool IsMatrix(const cost::OpCost& op) { return op.traffic == cost::Traffic::kWeights && !op.tensor.empty(); }

// Attention a layer over a cache of one type: decode's `kv_bytes` read and
// `flops` done, or a prompt's `prompt` work.
double AttentionSeconds(const AttentionCalibration& a, bool decode, double kv_bytes, double flops,
                        const PromptAttentionWork& prompt, double dram_gbps) {
  if (!decode) return prompt.SecondsAt(a.prefill);
  const double seconds = a.decode_fixed + kv_bytes * a.decode_per_kv_byte + flops * a.decode_per_flop;
  return dram_gbps > 0 ? std::max(seconds, kv_bytes / (dram_gbps * 1e9)) : seconds;
}

// The calibrated attention of the keys' type and of the values' ("q8_0/f16"),
// or of the one type both have; each with its bytes per cached value.
struct CacheAttention {
  const AttentionCalibration* calibration;
  double bytes_per_element;
};
absl::StatusOr<std::vector<CacheAttention>> AttentionOf(const Calibration& c, const std::string& cache_type) {
  std::vector<CacheAttention> out;
  for (absl::string_view name : absl::StrSplit(cache_type, '/')) {
    const AttentionCalibration* a = c.Attention(std::string(name));
    if (a == nullptr) return absl::NotFoundError(absl::StrCat("no calibration of attention over a ", name, " cache"));
    auto type = model::ParseKvCacheType(std::string(name));
    if (!type.ok()) return type.status();
    out.push_back({a, model::KvCacheBytesPerElement(*type)});
  }
  if (out.size() > 2) return absl::InvalidArgumentError(absl::StrCat("'", cache_type, "' names more than two types"));
  return out;
}

}  // namespace

absl::Status AddExpected(const Calibration& c, const cost::ModelSpec& spec, const std::string& cache_type,
                         double dram_gbps, cost::PhasePrediction* phase) {
  if (c.threads != phase->threads) {
    return absl::InvalidArgumentError(absl::StrCat("the calibration was measured with ", c.threads,
                                                   " thread(s), the prediction is for ", phase->threads));
  }
  auto attention = AttentionOf(c, cache_type);
  if (!attention.ok()) return attention.status();
  double mean_bytes_per_element = 0;
  for (const CacheAttention& a : *attention) mean_bytes_per_element += a.bytes_per_element / attention->size();
  const bool decode = phase->tokens <= 1;
  // The non-matrix ops by (layer, group): a group's line prices the sum of
  // its ops' work in a layer, then each op gets its share.
  struct Group {
    double units = 0, seconds = 0;
  };
  std::map<std::pair<int, std::string>, Group> groups;
  auto units_of = [&](const cost::OpCost& op, const std::string& group) {
    return group == "attention" ? op.flops + op.kv_bytes : op.Bytes();
  };
  for (const cost::OpPrediction& p : phase->ops) {
    if (IsMatrix(p.op)) continue;
    const std::string group = CalibratedGroup(p.op.name);
    groups[{p.op.layer, group}].units += units_of(p.op, group);
  }
  for (auto& [key, g] : groups) {
    const std::string& group = key.second;
    if (group == "attention") {
      double kv_bytes = 0, flops = 0, dot_flops = 0;
      for (const cost::OpPrediction& p : phase->ops) {
        if (p.op.layer == key.first && CalibratedGroup(p.op.name) == group) {
          kv_bytes += p.op.kv_bytes;
          flops += p.op.flops;
          if (IsAttentionDot(p.op.name)) dot_flops += p.op.flops;
        }
      }
      const PromptAttentionWork prompt =
          PromptAttention(spec.config.n_heads, spec.config.head_dim, phase->tokens, dot_flops);
      // Keys and values of two types: half the time of a cache of each
      // (scores read the keys, the weighted sums the values), at its bytes.
      g.seconds = 0;
      for (const CacheAttention& a : *attention) {
        const double bytes = kv_bytes * a.bytes_per_element / mean_bytes_per_element;
        g.seconds += AttentionSeconds(*a.calibration, decode, bytes, flops, prompt, dram_gbps) / attention->size();
      }
      continue;
    }
    // Groups the calibration models lack time like their nearest kin: a
    // post-norm as a norm, anything else as the residual add.
    const Line* line = c.Op(group);
    if (line == nullptr) line = c.Op(group == "post_norm" ? "attn_norm" : "residual");
    if (line == nullptr) return absl::NotFoundError(absl::StrCat("no calibration of the ", group, " op"));
    g.seconds = line->At(g.units);
  }
  // The matrices by engine dispatch, (micro-batch, layer, op): their weights
  // summed. A micro-batch starts where the layers start again.
  std::vector<std::tuple<int, int, model::Op>> dispatch_of;
  std::vector<MatrixWork> work;
  std::map<std::tuple<int, int, model::Op>, double> dispatch_weights;
  int pass = 0;
  for (size_t i = 0; i < phase->ops.size(); ++i) {
    const cost::OpCost& op = phase->ops[i].op;
    if (i > 0 && op.layer < phase->ops[i - 1].op.layer) ++pass;
    dispatch_of.emplace_back(pass, op.layer, report::EngineOpFor(op.name));
    work.push_back(IsMatrix(op) ? WorkOf(spec, op) : MatrixWork{});
    dispatch_weights[dispatch_of.back()] += work.back().weights;
  }
  phase->expected_seconds = 0;
  for (size_t i = 0; i < phase->ops.size(); ++i) {
    cost::OpPrediction& p = phase->ops[i];
    if (IsMatrix(p.op)) {
      auto s = MatrixSeconds(c, work[i], p.op.type, dispatch_weights[dispatch_of[i]], dram_gbps);
      if (!s.ok()) return s.status();
      p.expected_seconds = *s;
    } else {
      const std::string group = CalibratedGroup(p.op.name);
      const Group& g = groups[{p.op.layer, group}];
      const double units = units_of(p.op, group);
      p.expected_seconds = g.units > 0 ? g.seconds * units / g.units : 0;
    }
    phase->expected_seconds += p.expected_seconds;
  }
  return absl::OkStatus();
}

absl::StatusOr<double> ExpectedSeconds(const Calibration& c, const cost::ModelSpec& spec,
                                       const std::vector<cost::OpCost>& ops, double tokens, int threads,
                                       const std::string& cache_type, double dram_gbps) {
  cost::PhasePrediction phase;
  phase.tokens = tokens;
  phase.threads = threads;
  for (const cost::OpCost& op : ops) {
    cost::OpPrediction p;
    p.op = op;
    phase.ops.push_back(p);
  }
  if (auto s = AddExpected(c, spec, cache_type, dram_gbps, &phase); !s.ok()) return s;
  return phase.expected_seconds;
}

}  // namespace calibration
