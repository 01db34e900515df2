#include "chapters/ch13_profiling/chapter_metrics.h"

#include <algorithm>
#include <cmath>
#include <memory>

#include "chapters/ch13_profiling/book_reference.h"
#include "chapters/ch13_profiling/decode_roofline.h"

namespace ch13 {

void RegisterChapterMetrics(contracts::MetricRegistry& registry,
                            std::function<absl::StatusOr<const ChapterRun*>()> run) {
  // One shared, lazily computed run.
  auto cached = std::make_shared<std::optional<absl::StatusOr<const ChapterRun*>>>();
  auto get = [cached, run]() -> absl::StatusOr<const ChapterRun*> {
    if (!cached->has_value()) *cached = run();
    return **cached;
  };
  auto add = [&](const char* name, const char* description, std::function<double(const ChapterRun&)> f) {
    registry.Add(name, description, [get, f]() -> absl::StatusOr<double> {
      auto r = get();
      if (!r.ok()) return r.status();
      return f(**r);
    });
  };
  registry.Add("book.decode_oi", "the book's 7B at 0.5 bytes/param, recomputed", []() -> absl::StatusOr<double> {
    return BookFootprint(kBookParams, kBookBytesPerParam).OperationalIntensity();
  });
  add("roofline.decode_oi_7b_q4k", "FLOP/byte of one decode token of llama-2-7b in Q4_K (cost model)",
      [](const ChapterRun& r) { return r.seven_b_decode.Intensity(); });
  add("roofline.ceiling_tps_7b_q4k_at_book_bw", "tok/s of 7B Q4_K decode at the book's assumed 50 GB/s",
      [](const ChapterRun& r) { return kBookAssumedBandwidth / r.seven_b_decode.weight_bytes; });
  add("roofline.ceiling_tps_7b_q4k", "tok/s of 7B Q4_K decode at the measured DRAM bandwidth",
      [](const ChapterRun& r) { return r.DramGbps() * 1e9 / r.seven_b_decode.weight_bytes; });
  add("machine.dram_read_gbps", "measured DRAM read bandwidth, all threads", [](const ChapterRun& r) {
    return r.DramGbps();
  });
  add("machine.ridge_int8_dram", "int8 peak over DRAM bandwidth (FLOP/byte)", [](const ChapterRun& r) {
    return r.machine.PeakGops("int8_dot", r.threads) / r.DramGbps();
  });
  add("roofline.prefill_oi_7b_q4k", "FLOP/byte of a 91-token prefill of llama-2-7b Q4_K",
      [](const ChapterRun& r) { return r.seven_b_prefill.Intensity(); });
  add("ffn.dispatches_fused", "FFN gate/up dispatches per decoded token, fused (counted)",
      [](const ChapterRun& r) { return r.ffn_dispatches_fused; });
  add("ffn.dispatches_unfused", "FFN gate/up dispatches per decoded token, unfused (counted)",
      [](const ChapterRun& r) { return r.ffn_dispatches_unfused; });
  add("ffn.fused_decode_seconds", "median time of 32 decode steps, fused FFN",
      [](const ChapterRun& r) { return r.tg.median_seconds; });
  add("ffn.unfused_decode_seconds", "median time of 32 decode steps, unfused FFN",
      [](const ChapterRun& r) { return r.tg_unfused.median_seconds; });
  add("ffn.fused_over_unfused", "fused over unfused decode time, median over six runs interleaved token by token",
      [](const ChapterRun& r) { return r.fused_over_unfused; });
  add("prefill.speedup_91", "serial over batched prefill time of a 91-token prompt (median over alternating pairs)",
      [](const ChapterRun& r) { return r.prefill_speedup; });
  add("prefill.moe_speedup_91", "serial over batched prefill time of 91 tokens, qwen3-moe-mini (median of pairs)",
      [](const ChapterRun& r) { return r.moe.speedup; });
  add("prefill.moe_over_dense_speedup_91", "the mixture's batched-prefill speedup over the dense default model's",
      [](const ChapterRun& r) { return r.prefill_speedup > 0 ? r.moe.speedup / r.prefill_speedup : 0; });
  add("prefill.moe_experts_touched_over_uniform", "distinct experts a layer the 91-token batch was routed to (mean), "
      "over the count uniform routing predicts",
      [](const ChapterRun& r) { return r.moe.predicted_touched > 0 ? r.moe.MeanTouched() / r.moe.predicted_touched : 0; });
  add("prefill.moe_experts_touched_over_one_token", "distinct experts a layer the batch read (mean) over one token's",
      [](const ChapterRun& r) { return r.moe.MeanTouched() / r.moe.config.n_experts_used; });
  // The roof is the best DRAM read this machine has shown: the cached
  // roofline's, the one measured at the start or the one right after the
  // decode, whichever is highest (its bandwidth drifts with its neighbours).
  add("decode.fraction_of_dram", "decode's weight bytes per second over the best DRAM read bandwidth measured",
      [](const ChapterRun& r) { return r.decode_achieved_gbps / std::max(r.dram_now_gbps, r.DramGbps()); });
  add("decode.tps", "tg32 tokens per second", [](const ChapterRun& r) { return r.tg.mean_tps; });
  add("longctx.f32_over_q8_time_16384",
      "decode time with an F32 cache over a Q8_0 cache at depth 16384 (median over alternating rounds)",
      [](const ChapterRun& r) { return r.long_context.f32_over_q8_deepest; });
  add("longctx.f16_fraction_of_dram_16384",
      "decode's weight and F16-cache bytes per second at depth 16384 over the best DRAM read measured",
      [](const ChapterRun& r) -> double {
        const LongContextRow* row = r.long_context.Find(model::KvCacheType::kF16, kLongDepths.back());
        return row ? row->Gbps() / std::max(r.dram_now_gbps, r.DramGbps()) : 0;
      });
  add("prefill.tps", "pp91 tokens per second", [](const ChapterRun& r) { return r.pp.mean_tps; });
  // How far what ran is from what the calibrated kernels lead to expect.
  add("fidelity.decode_deviation",
      "|decode tok/s measured / expected - 1|, the median ratio of rounds alternating decode's calibration with "
      "32 decoded tokens",
      [](const ChapterRun& r) { return r.fidelity.decode_ratio > 0 ? std::abs(r.fidelity.decode_ratio - 1) : 1e9; });
  add("fidelity.prefill_deviation",
      "|pp91 tok/s measured / expected - 1|, the median ratio of rounds each timing the calibration's points again "
      "before a batched and a serial run",
      [](const ChapterRun& r) { return r.fidelity.prefill_ratio > 0 ? std::abs(r.fidelity.prefill_ratio - 1) : 1e9; });
  add("fidelity.speedup_deviation",
      "|batched-over-serial speedup measured / expected - 1| (91 tokens), the median ratio of rounds each timing "
      "decode's calibration again before a batched and a serial run",
      [](const ChapterRun& r) { return r.fidelity.speedup_ratio > 0 ? std::abs(r.fidelity.speedup_ratio - 1) : 1e9; });
}

}  // namespace ch13
