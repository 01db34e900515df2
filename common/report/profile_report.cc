#include "common/report/profile_report.h"

#include <algorithm>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/report/units.h"
#include "nlohmann/json.hpp"

namespace report {
namespace {

struct LayerTotal {
  double flops = 0, bytes = 0, seconds = 0, expected = 0;
};

std::map<int, LayerTotal> ByLayer(const cost::PhasePrediction& phase) {
  std::map<int, LayerTotal> layers;
  for (const cost::OpPrediction& p : phase.ops) {
    LayerTotal& t = layers[p.op.layer];
    t.flops += p.op.flops;
    t.bytes += p.op.Bytes();
    t.seconds += p.seconds;
    t.expected += p.expected_seconds;
  }
  return layers;
}

std::string PhaseTotals(const char* label, const cost::PhasePrediction& phase, double ridge) {
  std::string s;
  absl::StrAppendFormat(&s, "  %s: %sFLOP, %sB moved (%s of weights), intensity %.2f FLOP/byte\n",
                        label, Si(phase.flops / phase.tokens), Si(phase.bytes / phase.tokens),
                        Si(phase.weight_bytes / phase.tokens), phase.Intensity());
  absl::StrAppendFormat(&s, "    predicted %s for %.0f token(s): %.1f tok/s; %s",
                        Duration(phase.seconds), phase.tokens, phase.TokensPerSecond(),
                        phase.MemoryBound() ? "memory-bound, mostly on " + phase.DominantLevel()
                                            : std::string("compute-bound"));
  absl::StrAppendFormat(&s, " (DRAM int8 ridge %.1f FLOP/byte)\n", ridge);
  if (phase.expected_seconds > 0) {
    absl::StrAppendFormat(&s, "    expected %s: %.1f tok/s, %.0f%% of the bound's speed (this machine's kernels, calibrated)\n",
                          Duration(phase.expected_seconds), phase.ExpectedTokensPerSecond(),
                          100 * phase.seconds / phase.expected_seconds);
  }
  return s;
}

}  // namespace

std::string ModelSummaryText(const cost::ModelSpec& spec) {
  const model::ModelConfig& c = spec.config;
  std::string s = absl::StrFormat(
      "Model: %s (%s): %u layers, hidden %u, %u heads / %u kv heads x %u, ffn %u, vocab %u%s%s\n",
      c.name, c.arch, c.n_layers, c.hidden, c.n_heads, c.n_kv_heads, c.head_dim, c.ffn, c.vocab,
      c.tied_embeddings ? ", tied embeddings" : "", c.qkv_bias ? ", qkv bias" : "");
  std::map<std::string, std::pair<int, double>> by_type;
  for (const model::TensorSpec& t : spec.tensors) {
    auto& e = by_type[gguf::TypeInfo(t.type).name];
    e.first += 1;
    e.second += t.n_bytes;
  }
  absl::StrAppendFormat(&s, "  weights: %s (%.0f bytes) in", Bytes(spec.WeightBytes()),
                        double(spec.WeightBytes()));
  for (const auto& [type, e] : by_type) {
    absl::StrAppendFormat(&s, " %s x%d (%s);", type, e.first, Bytes(e.second));
  }
  s += "\n";
  if (c.IsMoe()) {
    absl::StrAppendFormat(&s, "  experts: %u a layer, %u routed a token, width %u; parameters %s, of which a token "
                          "reads %s\n",
                          c.n_experts, c.n_experts_used, c.expert_ffn, Si(double(c.ParameterCount())),
                          Si(double(c.ActiveParameterCount())));
  }
  return s;
}

// A mixture's weight bytes: one decoded token's (its routed experts) and a
// prefill batch's (the experts it touches under uniform routing).
std::string MoeBytesText(const ProfileReport& r) {
  const model::ModelConfig& c = r.spec->config;
  return absl::StrFormat(
      "\nExperts: a decoded token reads %sB of weights (%d of %d experts a layer); a prefill of %d tokens reads %sB "
      "(%.1f experts a layer under uniform routing), %.1fx one token's bytes for %dx its tokens\n",
      Si(r.decode.weight_bytes), c.n_experts_used, c.n_experts, r.batch, Si(r.prefill.weight_bytes),
      cost::ExpectedExpertsTouched(c, double(r.batch)), r.prefill.weight_bytes / r.decode.weight_bytes, r.batch);
}

std::string OpTableText(const cost::PhasePrediction& phase, int layer) {
  const bool expected = phase.expected_seconds > 0;
  std::string s = absl::StrFormat("  %-13s %-6s %9s %9s %8s %-5s %-9s %-7s %10s%s\n", "op", "type", "FLOP",
                                  "bytes", "FLOP/B", "level", "roof", "bound", "predicted",
                                  expected ? absl::StrFormat(" %10s", "expected") : "");
  // An op met more than once in the layer (the two residual adds; each
  // micro-batch of a long prompt) is one row, its costs summed.
  std::vector<cost::OpPrediction> rows;
  for (const cost::OpPrediction& p : phase.ops) {
    if (p.op.layer != layer) continue;
    auto same = std::find_if(rows.begin(), rows.end(), [&](const cost::OpPrediction& r) { return r.op.name == p.op.name; });
    if (same == rows.end()) {
      rows.push_back(p);
      continue;
    }
    same->op.flops += p.op.flops;
    same->op.weight_bytes += p.op.weight_bytes;
    same->op.act_bytes += p.op.act_bytes;
    same->op.kv_bytes += p.op.kv_bytes;
    same->memory_seconds += p.memory_seconds;
    same->compute_seconds += p.compute_seconds;
    same->seconds += p.seconds;
    same->expected_seconds += p.expected_seconds;
  }
  for (const cost::OpPrediction& p : rows) {
    absl::StrAppendFormat(&s, "  %-13s %-6s %9s %9s %8.2f %-5s %-9s %-7s %10s%s\n", p.op.name,
                          p.op.tensor.empty() ? "-" : gguf::TypeInfo(p.op.type).name, Si(p.op.flops),
                          Si(p.op.Bytes()), p.op.Intensity(), p.level,
                          p.roof == "int8_dot" ? "int8" : p.roof == "bf16_dot" ? "bf16" : "fp32",
                          p.MemoryBound() ? "memory" : "compute",
                          Duration(p.seconds),
                          expected ? absl::StrFormat(" %10s", Duration(p.expected_seconds)) : "");
  }
  return s;
}

std::string ProfileText(const ProfileReport& r) {
  const roofline::MachineProfile& m = *r.machine;
  std::string s = ModelSummaryText(*r.spec);
  absl::StrAppendFormat(&s, "Machine: %s, %d thread(s): DRAM %.1f GB/s, int8 %.0f GOPS, FP32 %.0f GFLOP/s\n\n",
                        m.cpu, r.decode.threads, m.ReadGbps("DRAM", r.decode.threads),
                        m.PeakGops("int8_dot", r.decode.threads), m.PeakGops("fp32_fma", r.decode.threads));
  const double ridge = m.PeakGops("int8_dot", r.decode.threads) / m.ReadGbps("DRAM", r.decode.threads);
  absl::StrAppendFormat(&s, "Decode, one token at context depth %d: layer 0\n", r.ctx);
  s += OpTableText(r.decode, 0);
  absl::StrAppendFormat(&s, "\nPrefill, %d tokens: layer 0\n", r.batch);
  s += OpTableText(r.prefill, 0);
  const bool expected = r.decode.expected_seconds > 0 && r.prefill.expected_seconds > 0;
  s += expected ? "\nPer layer (predicted | expected time: decode one token; prefill the batch)\n"
                : "\nPer layer (predicted time: decode one token | prefill the batch)\n";
  auto decode_layers = ByLayer(r.decode), prefill_layers = ByLayer(r.prefill);
  for (const auto& [layer, d] : decode_layers) {
    const LayerTotal& p = prefill_layers[layer];
    const std::string name = layer < 0 ? "embd+head" : absl::StrCat("layer ", layer);
    if (expected) {
      absl::StrAppendFormat(&s, "  %-10s %10s | %10s; %10s | %10s   %9sB per token\n", name, Duration(d.seconds),
                            Duration(d.expected), Duration(p.seconds), Duration(p.expected), Si(d.bytes));
    } else {
      absl::StrAppendFormat(&s, "  %-10s %10s | %10s   %9sB per token\n", name, Duration(d.seconds),
                            Duration(p.seconds), Si(d.bytes));
    }
  }
  s += "\nWhole model\n";
  s += PhaseTotals("decode ", r.decode, ridge);
  s += PhaseTotals("prefill", r.prefill, ridge);
  absl::StrAppendFormat(&s, "  time to first token (prefill of %d): %s\n", r.batch, Duration(r.prefill.seconds));
  const uint64_t overtakes = cost::KvOvertakesWeightsDepth(*r.spec);
  absl::StrAppendFormat(&s, "\nKV cache (%s): %sB per cached token; at depth %d a decoded token reads %sB of it beside "
                        "%sB of weights;\n  ",
                        r.kv_cache_type, Si(cost::DecodeKvBytes(*r.spec, 1) - cost::DecodeKvBytes(*r.spec, 0)), r.ctx,
                        Si(cost::DecodeKvBytes(*r.spec, r.ctx)), Si(r.decode.weight_bytes));
  s += overtakes > 0 ? absl::StrFormat("its reads overtake the weights' at depth %d\n", overtakes)
                     : std::string("its reads never overtake the weights' (every layer's window is short)\n");
  if (r.spec->config.IsMoe()) s += MoeBytesText(r);
  absl::StrAppendFormat(&s, "\nVerdict: decode is %s-bound (%s); prefill of %d is %s-bound; batching buys %.1fx tok/s",
                        r.decode.MemoryBound() ? "memory" : "compute",
                        r.decode.MemoryBound() ? r.decode.DominantLevel() : "its roof", r.batch,
                        r.prefill.MemoryBound() ? "memory" : "compute",
                        r.prefill.TokensPerSecond() / r.decode.TokensPerSecond());
  if (expected) {
    absl::StrAppendFormat(&s, " at the roofs, %.1fx as this machine's kernels run", 
                          r.prefill.ExpectedTokensPerSecond() / r.decode.ExpectedTokensPerSecond());
  }
  s += "\n";
  if (expected) {
    absl::StrAppendFormat(&s, "Expected: decode %.1f tok/s, prefill of %d %.1f tok/s (%s)\n",
                          r.decode.ExpectedTokensPerSecond(), r.batch, r.prefill.ExpectedTokensPerSecond(),
                          r.calibration);
  }
  return s;
}

std::string ProfileJson(const ProfileReport& r) {
  using nlohmann::json;
  auto phase_json = [](const cost::PhasePrediction& p) {
    json j;
    j["tokens"] = p.tokens;
    j["threads"] = p.threads;
    j["flops_per_token"] = p.flops / p.tokens;
    j["bytes_per_token"] = p.bytes / p.tokens;
    j["weight_bytes_per_token"] = p.weight_bytes / p.tokens;
    j["oi"] = p.Intensity();
    j["predicted_seconds"] = p.seconds;
    j["predicted_tps"] = p.TokensPerSecond();
    j["memory_bound"] = p.MemoryBound();
    j["dominant_level"] = p.DominantLevel();
    if (p.expected_seconds > 0) {
      j["expected_seconds"] = p.expected_seconds;
      j["expected_tps"] = p.ExpectedTokensPerSecond();
    }
    for (const cost::OpPrediction& o : p.ops) {
      j["ops"].push_back({{"name", o.op.name},
                          {"layer", o.op.layer},
                          {"tensor", o.op.tensor},
                          {"type", o.op.tensor.empty() ? "" : gguf::TypeInfo(o.op.type).name},
                          {"flops", o.op.flops},
                          {"weight_bytes", o.op.weight_bytes},
                          {"act_bytes", o.op.act_bytes},
                          {"kv_bytes", o.op.kv_bytes},
                          {"oi", o.op.Intensity()},
                          {"level", o.level},
                          {"roof", o.roof},
                          {"memory_bound", o.MemoryBound()},
                          {"predicted_seconds", o.seconds},
                          {"expected_seconds", o.expected_seconds}});
    }
    return j;
  };
  const model::ModelConfig& c = r.spec->config;
  json j;
  j["model"] = {{"name", c.name},     {"arch", c.arch},       {"layers", c.n_layers},
                {"hidden", c.hidden}, {"heads", c.n_heads},   {"kv_heads", c.n_kv_heads},
                {"head_dim", c.head_dim}, {"ffn", c.ffn},     {"vocab", c.vocab},
                {"tied_embeddings", c.tied_embeddings}};
  j["weight_bytes"] = r.spec->WeightBytes();
  for (const model::TensorSpec& t : r.spec->tensors) {
    j["tensors"].push_back({{"name", t.name}, {"type", gguf::TypeInfo(t.type).name}, {"bytes", t.n_bytes}});
  }
  j["machine"] = {{"cpu", r.machine->cpu},
                  {"threads", r.decode.threads},
                  {"dram_read_gbps", r.machine->ReadGbps("DRAM", r.decode.threads)},
                  {"peak_int8_gops", r.machine->PeakGops("int8_dot", r.decode.threads)},
                  {"peak_fp32_gflops", r.machine->PeakGops("fp32_fma", r.decode.threads)}};
  j["ctx"] = r.ctx;
  j["batch"] = r.batch;
  j["kv_cache"] = {{"type", r.kv_cache_type},
                   {"bytes_per_position", cost::DecodeKvBytes(*r.spec, 1) - cost::DecodeKvBytes(*r.spec, 0)},
                   {"decode_bytes", cost::DecodeKvBytes(*r.spec, r.ctx)},
                   {"overtakes_weights_at_depth", cost::KvOvertakesWeightsDepth(*r.spec)}};
  j["decode"] = phase_json(r.decode);
  j["prefill"] = phase_json(r.prefill);
  j["model"]["parameters"] = c.ParameterCount();
  j["model"]["active_parameters"] = c.ActiveParameterCount();
  if (c.IsMoe()) {
    j["model"]["experts"] = {{"count", c.n_experts}, {"used", c.n_experts_used}, {"width", c.expert_ffn}};
    j["decode"]["experts_touched_per_layer"] = cost::ExpectedExpertsTouched(c, 1);
    j["prefill"]["experts_touched_per_layer"] = cost::ExpectedExpertsTouched(c, double(r.batch));
  }
  j["prefill"]["ttft_seconds"] = r.prefill.seconds;
  return j.dump(2);
}

std::vector<RoofPoint> ProfileRoofPoints(const ProfileReport& r, int layer) {
  std::vector<RoofPoint> points;
  auto add = [&](const char* phase, const cost::PhasePrediction& p) {
    for (const cost::OpPrediction& o : p.ops) {
      if (o.op.layer != layer || o.seconds <= 0 || o.op.flops <= 0) continue;
      points.push_back({absl::StrCat(phase, " ", o.op.name), o.op.Intensity(), o.op.flops / o.seconds / 1e9,
                        "predicted", o.op.name, phase});
    }
    points.push_back({absl::StrCat(phase, " (whole model)"), p.Intensity(), p.flops / p.seconds / 1e9,
                      "predicted", "whole model", phase});
  };
  add("decode", r.decode);
  add("prefill", r.prefill);
  return points;
}

}  // namespace report
