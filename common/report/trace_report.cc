#include "common/report/trace_report.h"

#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/report/units.h"

namespace report {

model::Op EngineOpFor(const std::string& op) {
  static const auto* map = new std::map<std::string, model::Op>{
      {"token_embd", model::Op::kEmbed},       {"attn_norm", model::Op::kAttnNorm},
      {"attn_q", model::Op::kQkv},             {"attn_k", model::Op::kQkv},
      {"attn_v", model::Op::kQkv},             {"rope", model::Op::kRope},
      {"attn_qkv", model::Op::kQkv},           {"qk_norm", model::Op::kQkNorm},
      {"attn_post_norm", model::Op::kPostNorm}, {"ffn_post_norm", model::Op::kPostNorm},
      {"gelu_mul", model::Op::kGateUp},
      {"kv_store", model::Op::kRope},          {"attn_score", model::Op::kAttention},
      {"softmax", model::Op::kAttention},      {"attn_value", model::Op::kAttention},
      {"attn_output", model::Op::kAttnOutput}, {"residual", model::Op::kResidual},
      {"ffn_norm", model::Op::kFfnNorm},       {"ffn_gate", model::Op::kGateUp},
      {"ffn_up", model::Op::kGateUp},          {"silu_mul", model::Op::kGateUp},
      {"ffn_down", model::Op::kDown},          {"output_norm", model::Op::kOutputNorm},
      {"ffn_router", model::Op::kRouter},      {"ffn_gate_exps", model::Op::kGateUp},
      {"ffn_up_exps", model::Op::kGateUp},     {"ffn_down_exps", model::Op::kDown},
      {"moe_combine", model::Op::kDown},
      {"output", model::Op::kOutput}};
  auto it = map->find(op);
  return it == map->end() ? model::Op::kResidual : it->second;
}

TraceComparison CompareTrace(const model::OpTimes& times, int runs, const cost::PhasePrediction& prediction,
                             int n_layers) {
  const int n_ops = static_cast<int>(model::Op::kCount);
  std::vector<TraceRow> by_op(n_ops);
  std::vector<TraceRow> by_layer(n_layers + 1);
  for (int op = 0; op < n_ops; ++op) by_op[op].name = model::OpName(static_cast<model::Op>(op));
  by_op[static_cast<int>(model::Op::kGateUp)].name = "gate_up+silu";
  for (int l = -1; l < n_layers; ++l) {
    by_layer[l + 1].name = l < 0 ? "embd+head" : absl::StrCat("layer ", l);
    for (int op = 0; op < n_ops; ++op) {
      // The activation is timed inside gate_up when fused, on its own when not.
      const int group = op == static_cast<int>(model::Op::kActivation) ? static_cast<int>(model::Op::kGateUp) : op;
      const double s = times.seconds[l + 1][op] / runs;
      by_op[group].measured_seconds += s;
      by_layer[l + 1].measured_seconds += s;
    }
  }
  for (const cost::OpPrediction& p : prediction.ops) {
    const int group = static_cast<int>(EngineOpFor(p.op.name));
    for (TraceRow* row : {&by_op[group], &by_layer[p.op.layer + 1]}) {
      row->predicted_seconds += p.seconds;
      row->expected_seconds += p.expected_seconds;
      row->flops += p.op.flops;
      row->bytes += p.op.Bytes();
    }
  }
  TraceComparison c;
  c.total.name = "total";
  for (const TraceRow& row : by_op) {
    if (row.measured_seconds == 0 && row.predicted_seconds == 0) continue;
    c.ops.push_back(row);
    c.total.measured_seconds += row.measured_seconds;
    c.total.predicted_seconds += row.predicted_seconds;
    c.total.expected_seconds += row.expected_seconds;
    c.total.flops += row.flops;
    c.total.bytes += row.bytes;
  }
  c.layers = by_layer;
  return c;
}

std::string TraceText(const TraceComparison& c, const std::string& title) {
  std::string s = absl::StrCat(title, "\n");
  const bool expected = c.total.expected_seconds > 0;
  absl::StrAppendFormat(&s, "  %-13s %11s %11s %8s %9s %9s%s\n", "op", "measured", "predicted", "%roof", "GB/s",
                        "GOPS", expected ? absl::StrFormat(" %11s %8s", "expected", "meas/exp") : "");
  auto row = [&](const TraceRow& r) {
    absl::StrAppendFormat(&s, "  %-13s %11s %11s %7.0f%% %9.1f %9.1f%s%s\n", r.name, Duration(r.measured_seconds),
                          Duration(r.predicted_seconds), r.PercentOfRoofline(), r.AchievedGbps(), r.AchievedGops(),
                          expected ? absl::StrFormat(" %11s %8.2f", Duration(r.expected_seconds),
                                                     r.MeasuredOverExpected())
                                   : "",
                          r.AboveRoof() ? "  << above its roof: accounting error" : "");
  };
  for (const TraceRow& r : c.ops) row(r);
  row(c.total);
  return s;
}

std::vector<RoofPoint> TraceRoofPoints(const TraceComparison& c, const std::string& series) {
  std::vector<RoofPoint> points;
  for (const TraceRow& r : c.ops) {
    if (r.flops <= 0 || r.bytes <= 0 || r.predicted_seconds <= 0 || r.measured_seconds <= 0) continue;
    const std::string label = absl::StrCat(series, " ", r.name);
    points.push_back({label, r.flops / r.bytes, r.flops / r.predicted_seconds / 1e9, "predicted", r.name, series});
    points.push_back({label, r.flops / r.bytes, r.AchievedGops(), "measured", r.name, series});
  }
  return points;
}

}  // namespace report
