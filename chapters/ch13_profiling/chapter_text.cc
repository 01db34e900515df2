#include "chapters/ch13_profiling/chapter_text.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "chapters/ch13_profiling/book_reference.h"
#include "chapters/ch13_profiling/decode_roofline.h"
#include "common/report/profile_report.h"
#include "common/report/units.h"

namespace ch13 {
namespace {

std::string Header(const char* number, const char* title) {
  return absl::StrFormat("\n%s %s\n%s\n", number, title, std::string(std::string(number).size() + 1 + std::string(title).size(), '-'));
}

}  // namespace

std::string RooflineSection(const ChapterRun& run) {
  const roofline::MachineProfile& m = run.machine;
  const int t = run.threads;
  std::string s = Header("13.1", "Roofline analysis (Williams, Waterman, Patterson, CACM 2009)");
  absl::StrAppendFormat(&s, "Measured on %s, %d threads (%s):\n", m.cpu, t, m.measured_at);
  absl::StrAppendFormat(&s, "  %-6s %10s   ridge: int8 %7s  FP32 %7s (FLOP/byte)\n", "level", "read GB/s", "", "");
  for (const std::string& level : m.Levels()) {
    const double bw = m.ReadGbps(level, t);
    absl::StrAppendFormat(&s, "  %-6s %10.1f          %7.1f       %7.2f\n", level, bw, m.PeakGops("int8_dot", t) / bw,
                          m.PeakGops("fp32_fma", t) / bw);
  }
  absl::StrAppendFormat(&s, "  peaks: int8 %.0f GOPS (%s), FP32 FMA %.0f GFLOP/s, scalar FP32 %.1f GFLOP/s\n",
                        m.PeakGops("int8_dot", t), m.PeakIsa("int8_dot"), m.PeakGops("fp32_fma", t),
                        m.PeakGops("fp32_scalar", t));
  absl::StrAppendFormat(&s,
                        "  DRAM: measured %.1f GB/s (the higher of the cached roofline's %.1f and %.1f measured\n"
                        "  at the start of this run); the book assumed %.0f GB/s\n\n",
                        run.DramGbps(), run.dram_cached_gbps, run.dram_start_gbps, kBookAssumedBandwidth / 1e9);
  const double ridge = m.PeakGops("int8_dot", t) / run.DramGbps();
  auto where = [&](const char* what, const cost::PhasePrediction& p) {
    absl::StrAppendFormat(&s, "  %-34s %7.2f FLOP/byte  %s the DRAM int8 ridge (%.1f): %s-bound\n", what, p.Intensity(),
                          p.Intensity() < ridge ? "below" : "above", ridge, p.MemoryBound() ? "memory" : "compute");
  };
  where("decode, llama-2-7b Q4_K", run.seven_b_decode);
  where("prefill of 91, llama-2-7b Q4_K", run.seven_b_prefill);
  where("decode, default model", run.decode_pred);
  where("prefill of 91, default model", run.prefill_pred);
  const DecodeFootprint book = BookFootprint(kBookParams, kBookBytesPerParam);
  absl::StrAppendFormat(&s,
                        "  7B ceiling: %.1f tok/s at the measured %.1f GB/s (%s of Q4_K per token); the book's "
                        "shortcut gives %.1f tok/s at its %.0f GB/s\n",
                        run.DramGbps() * 1e9 / run.seven_b_decode.weight_bytes, run.DramGbps(),
                        report::Bytes(run.seven_b_decode.weight_bytes),
                        BandwidthCeilingTps(book.bytes_per_token, kBookAssumedBandwidth), kBookAssumedBandwidth / 1e9);
  return s;
}

std::string ProfileSection(const ChapterRun& run) {
  std::string s = Header("13.2", "apr profile: the default model, op by op");
  s += report::ModelSummaryText(run.model);
  absl::StrAppendFormat(&s, "Decode at context depth %d, layer 0 (of %d):\n", kPromptTokens + kGenTokens / 2,
                        run.model.config.n_layers);
  s += report::OpTableText(run.decode_pred, 0);
  absl::StrAppendFormat(&s, "  whole model: %sFLOP, %sB per token, %.2f FLOP/byte; predicted %.1f tok/s\n",
                        report::Si(run.decode_pred.flops), report::Si(run.decode_pred.bytes),
                        run.decode_pred.Intensity(), run.decode_pred.TokensPerSecond());
  absl::StrAppendFormat(&s, "  prefill of %d: %.2f FLOP/byte; predicted %.1f tok/s, time to first token %s\n",
                        kPromptTokens, run.prefill_pred.Intensity(), run.prefill_pred.TokensPerSecond(),
                        report::Duration(run.prefill_pred.seconds));
  return s;
}

std::string TraceSection(const ChapterRun& run) {
  std::string s = Header("13.3", "apr trace: measured beside predicted");
  s += report::TraceText(run.decode_trace, absl::StrFormat("Decode, per token (%d tokens after a %d-token prompt):",
                                                           kGenTokens, kPromptTokens));
  s += report::TraceText(run.prefill_trace, absl::StrFormat("Prefill of %d tokens, batched:", kPromptTokens));
  double fastest = 1e30, slowest = 0;
  for (size_t l = 1; l < run.decode_trace.layers.size(); ++l) {
    fastest = std::min(fastest, run.decode_trace.layers[l].measured_seconds);
    slowest = std::max(slowest, run.decode_trace.layers[l].measured_seconds);
  }
  absl::StrAppendFormat(&s, "  decode per layer: %s to %s measured, %s predicted each\n", report::Duration(fastest),
                        report::Duration(slowest), report::Duration(run.decode_trace.layers[1].predicted_seconds));
  return s;
}

std::string ThroughputSection(const ChapterRun& run) {
  std::string s = Header("13.4", "apr bench: throughput");
  absl::StrAppendFormat(&s, "  pp%d: %8.2f ± %.2f tok/s   (predicted ceiling %.1f, expected %.1f)\n", kPromptTokens,
                        run.pp.mean_tps, run.pp.stddev_tps, run.prefill_pred.TokensPerSecond(),
                        run.fidelity.prefill_expected_tps);
  absl::StrAppendFormat(&s, "  tg%d: %8.2f ± %.2f tok/s   (predicted ceiling %.1f, expected %.1f)\n", kGenTokens,
                        run.tg.mean_tps, run.tg.stddev_tps, run.decode_pred.TokensPerSecond(),
                        run.fidelity.decode_expected_tps);
  absl::StrAppendFormat(&s, "  %d threads, mean ± sd of the repetitions after a warm-up; the ceiling is the roofline's,\n"
                        "  the expectation this machine's kernels' (calibrated in this run, 13.6). Measured over\n"
                        "  expected in rounds that time the calibration's points again before each run: decode\n"
                        "  %.2f (median of %d rounds of %d tokens; %.2f-%.2f), prefill %.2f (median of the rounds'\n"
                        "  faster of two runs; %.2f-%.2f)\n",
                        run.threads, run.fidelity.decode_ratio, run.fidelity.decode_rounds, kGenTokens,
                        run.fidelity.decode_ratio_least, run.fidelity.decode_ratio_most, run.fidelity.prefill_ratio,
                        run.fidelity.prefill_ratio_least, run.fidelity.prefill_ratio_most);
  if (run.fidelity.model_huge_pages >= 0 && run.fidelity.calibration_huge_pages >= 0) {
    absl::StrAppendFormat(&s, "  on 2 MiB pages: %.0f%% of the model's weights, %.0f%% of the calibration's copies\n",
                          100 * run.fidelity.model_huge_pages, 100 * run.fidelity.calibration_huge_pages);
  }
  return s;
}

std::string FusionSection(const ChapterRun& run) {
  std::string s = Header("13.5", "FFN gate+up fusion");
  absl::StrAppendFormat(&s, "  FFN gate/up dispatches per decoded token: fused %.0f, unfused %.0f (counted by the pool)\n",
                        run.ffn_dispatches_fused, run.ffn_dispatches_unfused);
  absl::StrAppendFormat(&s, "  decode: fused %.2f tok/s, unfused %.2f tok/s; pair by pair, fused takes %.2fx unfused's time\n",
                        run.tg.mean_tps, run.tg_unfused.mean_tps, run.fused_over_unfused);
  absl::StrAppendFormat(&s, "  (median over runs interleaved token by token); one dispatch costs %.2f us here\n",
                        run.machine.DispatchUs(run.threads));
  return s;
}

std::string PrefillSection(const ChapterRun& run) {
  std::string s = Header("13.6", "Batched prefill");
  absl::StrAppendFormat(&s, "  %d-token prompt (medians): batched %s, token by token %s\n", kPromptTokens,
                        report::Duration(run.pp.median_seconds), report::Duration(run.prefill_serial.median_seconds));
  absl::StrAppendFormat(&s, "  speedup, pair by pair: %.1fx (the book measured %.1fx)\n", run.prefill_speedup,
                        kBookPrefillSpeedup);
  s += FidelityText(run.fidelity, run.prefill_speedup, kBookPrefillSpeedup);
  s += MoePrefillText(run.moe, run.prefill_speedup);
  return s;
}

std::string MoePrefillText(const MoePrefill& moe, double dense_speedup) {
  const model::ModelConfig& c = moe.config;
  const model::ExpertsTouchedSummary touched = model::SummarizeExpertsTouched(moe.experts_touched);
  std::string s = absl::StrFormat(
      "\n  A mixture of experts (%s: %u experts a layer, %u routed a token): the same prompt\n"
      "  batched %s, token by token %s: speedup %.1fx, pair by pair, against the dense model's %.1fx.\n",
      c.name, c.n_experts, c.n_experts_used, report::Duration(moe.batched_seconds),
      report::Duration(moe.serial_seconds), moe.speedup, dense_speedup);
  absl::StrAppendFormat(&s,
                        "  The batch's tokens were routed to %d-%d experts a layer (mean %.1f); uniform routing\n"
                        "  predicts %.1f, one token reads %u. Token by token a layer multiplies %d x %u expert\n"
                        "  matrices, the batch reads %.1f of them once: batching saves a factor of %.1f of the\n"
                        "  experts' bytes where a dense FFN saves %d, and each expert multiplies %.1f tokens\n"
                        "  at a time, not %d.\n",
                        touched.least, touched.most, touched.mean, moe.predicted_touched, c.n_experts_used, moe.tokens,
                        c.n_experts_used, touched.mean, moe.TokensPerExpert(), moe.tokens,
                        moe.TokensPerExpert(), moe.tokens);
  return s;
}

std::string BandwidthSection(const ChapterRun& run) {
  std::string s = Header("13.7", "Memory bandwidth (Ivanov et al., Data Movement Is All You Need, 2007.00072)");
  absl::StrAppendFormat(&s, "  decode reads %s of weights a token; at %.2f tok/s that is %.1f GB/s,\n",
                        report::Bytes(run.decode_bytes_per_token), run.tg.mean_tps, run.decode_achieved_gbps);
  const double roof = std::max(run.dram_now_gbps, run.DramGbps());
  absl::StrAppendFormat(&s, "  %.0f%% of the best DRAM read bandwidth measured (%.1f GB/s right after the decode,\n"
                        "  %.1f at the start, %.1f in the cached roofline: this machine's bandwidth drifts with\n"
                        "  its neighbours)\n",
                        100 * run.decode_achieved_gbps / roof, run.dram_now_gbps, run.dram_start_gbps,
                        run.dram_cached_gbps);
  if (!run.decode_prefetch.trials.empty()) {
    absl::StrAppendFormat(&s,
                          "  decode's software prefetch: %d B ahead, the fastest distance timed here (a pass over the\n"
                          "  model's weights, median ms:",
                          run.decode_prefetch.bytes);
    for (const quant::DecodePrefetchTrial& t : run.decode_prefetch.trials) {
      absl::StrAppendFormat(&s, "%s %d B %.2f", &t == &run.decode_prefetch.trials.front() ? "" : ",", t.bytes,
                            t.pass_seconds * 1e3);
    }
    s += ")\n";
  }
  s += LongContextText(run.long_context, roof);
  return s;
}

std::string LongContextText(const LongContext& lc, double dram_gbps) {
  std::string s = absl::StrFormat(
      "\n  Long context: decode after 0 to %d cached tokens, the cache in F32, F16 and Q8_0 (a real\n"
      "  %d-token prefill's keys and values repeated to the depth: attention reads every cached\n"
      "  position alike, whatever it holds). Each type's median of alternating rounds:\n",
      kLongDepths.back(), lc.prefill_tokens);
  absl::StrAppendFormat(&s, "  %6s %-5s %10s %10s %8s %7s %8s %10s\n", "depth", "cache", "weights", "KV cache", "tok/s",
                        "GB/s", "of DRAM", "bound t/s");
  for (const LongContextRow& row : lc.rows) {
    absl::StrAppendFormat(&s, "  %6d %-5s %10s %10s %8.2f %7.1f %7.0f%% %10.2f\n", row.depth,
                          model::KvCacheTypeName(row.type), report::Bytes(row.weight_bytes),
                          report::Bytes(row.kv_bytes), row.Tps(), row.Gbps(), 100 * row.Gbps() / dram_gbps,
                          row.predicted_tps);
  }
  absl::StrAppendFormat(&s, "  The cache's bytes a token overtake the weights' at depth %d (F32), %d (F16), %d (Q8_0).\n",
                        lc.overtakes_at[0], lc.overtakes_at[1], lc.overtakes_at[2]);
  absl::StrAppendFormat(&s, "  At depth %d a Q8_0 cache decodes %.2fx as fast as an F32 one (pair by pair).\n",
                        kLongDepths.back(), lc.f32_over_q8_deepest);
  return s;
}

}  // namespace ch13
