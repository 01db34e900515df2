// A mixture of experts' FFN (qwen3moe): routing, then the batch's tokens
// grouped by expert, so each expert any token chose is read once a batch,
// its gate and up fused as for a dense FFN.
#include <algorithm>
#include <memory>
#include <vector>

#include "common/model/forward.h"
#include "common/model/op_timer.h"
#include "common/model/ops.h"
#include "common/quant/activations.h"
#include "common/quant/matmul.h"
#include "common/simd/float_ops.h"

namespace model {

void Transformer::RouteBatch(const LayerWeights& l, int64_t n) {
  const int layer = static_cast<int>(&l - &w_.layer(0));
  const int64_t experts = c_.n_experts, used = c_.n_experts_used, slots = n * used;
  router_logits_.resize(n * experts);
  quant::MatMul(pool_, "ffn.router", l.router, norm_.data(), n, router_logits_.data());
  route_expert_.resize(slots);
  route_weight_.resize(slots);
  ForTokens("ffn.route", n, [&](int64_t t) {
    RouteTopK(router_logits_.data() + t * experts, experts, used, route_expert_.data() + t * used,
              route_weight_.data() + t * used);
  });
  expert_start_.assign(experts + 1, 0);
  for (int32_t e : route_expert_) ++expert_start_[e + 1];
  int touched = 0;
  for (int64_t e = 0; e < experts; ++e) {
    touched += expert_start_[e + 1] > 0;
    expert_start_[e + 1] += expert_start_[e];
  }
  experts_touched_[layer] = touched;
  std::vector<int32_t> next(expert_start_.begin(), expert_start_.end() - 1);
  slot_of_.resize(slots);
  for (int64_t i = 0; i < slots; ++i) slot_of_[next[route_expert_[i]]++] = static_cast<int32_t>(i);
}

void Transformer::MoeFfn(const LayerWeights& l, int64_t n, const ForwardOptions& options) {
  const int layer = static_cast<int>(&l - &w_.layer(0));
  const int64_t h = c_.hidden, ef = c_.expert_ffn, experts = c_.n_experts, used = c_.n_experts_used;
  const int64_t slots = n * used;
  {
    OpTimer timer(options.times, layer, Op::kRouter);
    RouteBatch(l, n);
  }
  // The tasks of one dispatch over every touched expert: runs of rows of
  // its matrix for all of its tokens.
  struct Task {
    int32_t expert;
    int64_t r0, r1;
  };
  auto tasks_for = [&](int64_t rows, size_t row_bytes, const quant::DotKernel& k) {
    std::vector<Task> tasks;
    for (int64_t e = 0; e < experts; ++e) {
      const int64_t m = expert_start_[e + 1] - expert_start_[e];
      if (m == 0) continue;
      // An expert's matrix under 512 KiB (qwen3-moe-mini's: 221 KiB for gate
      // and up) is one task: split further, each piece's stream starts cold
      // (tg128 609-632 tok/s against 576-586 split, alternating runs).
      const bool small = rows * int64_t(row_bytes) <= (512 << 10);
      const int64_t per_task =
          small ? rows : quant::RowsPerTask(rows, row_bytes, pool_.num_threads(), m, k.LaysOutActivations(m));
      for (int64_t r = 0; r < rows; r += per_task) tasks.push_back({int32_t(e), r, std::min(rows, r + per_task)});
    }
    return tasks;
  };
  // Each matrix's input, quantized once per token and regrouped by expert.
  auto grouped_input = [&](const quant::WeightMatrix& m, const quant::QuantizedActivations& by_token) {
    auto g = std::make_unique<quant::QuantizedActivations>(m.type, h, slots, m.repacked);
    for (int64_t s = 0; s < slots; ++s) g->CopyRow(s, by_token, slot_of_[s] / used);
    return g;
  };
  gate_.resize(slots * ef);
  up_.resize(slots * ef);
  hidden_.resize(slots * ef);
  {
    OpTimer timer(options.times, layer, Op::kGateUp);
    quant::QuantizedActivations a(l.gate_exps.type, h, n, l.gate_exps.repacked);
    a.Quantize(pool_, norm_.data());
    const auto gate_in = grouped_input(l.gate_exps, a);
    std::unique_ptr<quant::QuantizedActivations> up_in;
    if (quant::ActivationFor(l.up_exps.type, l.up_exps.repacked) != a.format()) {
      quant::QuantizedActivations b(l.up_exps.type, h, n, l.up_exps.repacked);
      b.Quantize(pool_, norm_.data());
      up_in = grouped_input(l.up_exps, b);
    }
    const quant::QuantizedActivations& up_act = up_in ? *up_in : *gate_in;
    const quant::DotKernel gk = quant::BestDotKernel(l.gate_exps.type, l.gate_exps.repacked);
    const quant::DotKernel uk = quant::BestDotKernel(l.up_exps.type, l.up_exps.repacked);
    const auto act = c_.traits().activation == FfnActivation::kGeluTanh ? GeluMul : SiluMul;
    const std::vector<Task> tasks = tasks_for(ef, l.gate_exps.Stride() + l.up_exps.Stride(), gk);
    pool_.ParallelFor("moe.gate_up", tasks.size(), [&](size_t i, size_t) {
      const Task& task = tasks[i];
      const quant::WeightMatrix g = ExpertRows(l.gate_exps, experts, task.expert);
      const quant::WeightMatrix u = ExpertRows(l.up_exps, experts, task.expert);
      const int64_t s0 = expert_start_[task.expert], m = expert_start_[task.expert + 1] - s0, rows = task.r1 - task.r0;
      float* gate = gate_.data() + s0 * ef + task.r0;
      float* up = up_.data() + s0 * ef + task.r0;
      gk.fn(g.data + task.r0 * g.Stride(), g.Stride(), rows, gate_in->row(s0), gate_in->row_bytes(), m, h, gate, ef);
      uk.fn(u.data + task.r0 * u.Stride(), u.Stride(), rows, up_act.row(s0), up_act.row_bytes(), m, h, up, ef);
      for (int64_t t = 0; t < m; ++t) act(gate + t * ef, up + t * ef, rows, hidden_.data() + (s0 + t) * ef + task.r0);
    });
  }
  OpTimer timer(options.times, layer, Op::kDown);
  quant::QuantizedActivations d(l.down_exps.type, ef, slots, l.down_exps.repacked);
  d.Quantize(pool_, hidden_.data());
  expert_out_.resize(slots * h);
  const quant::DotKernel dk = quant::BestDotKernel(l.down_exps.type, l.down_exps.repacked);
  const std::vector<Task> tasks = tasks_for(h, l.down_exps.Stride(), dk);
  pool_.ParallelFor("moe.down", tasks.size(), [&](size_t i, size_t) {
    const Task& task = tasks[i];
    const quant::WeightMatrix w = ExpertRows(l.down_exps, experts, task.expert);
    const int64_t s0 = expert_start_[task.expert], m = expert_start_[task.expert + 1] - s0;
    dk.fn(w.data + task.r0 * w.Stride(), w.Stride(), task.r1 - task.r0, d.row(s0), d.row_bytes(), m, ef,
          expert_out_.data() + s0 * h + task.r0, h);
  });
  // Each token's output: its experts' outputs weighted, in slot order.
  row_of_slot_.resize(slots);
  for (int64_t s = 0; s < slots; ++s) row_of_slot_[slot_of_[s]] = static_cast<int32_t>(s);
  ForTokens("moe.combine", n, [&](int64_t t) {
    float* out = attn_.data() + t * h;
    std::fill(out, out + h, 0.0f);
    for (int64_t j = 0; j < used; ++j) {
      const float* expert = expert_out_.data() + int64_t(row_of_slot_[t * used + j]) * h;
      simd::BestFloatOps().axpy(route_weight_[t * used + j], expert, out, h);
    }
  });
}

}  // namespace model
