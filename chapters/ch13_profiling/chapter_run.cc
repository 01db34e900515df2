#include "chapters/ch13_profiling/chapter_run.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "chapters/ch13_profiling/book_reference.h"
#include "common/calibration/measure_calibration.h"
#include "common/cost/model_spec.h"
#include "common/cpu/cpu_features.h"
#include "common/model/forward.h"
#include "common/model/synth.h"
#include "common/model/throughput.h"
#include "common/roofline/measure.h"
#include "common/stats/median.h"

namespace ch13 {
namespace {

// The cache type llama.cpp and `apr run` default to.
constexpr model::KvCacheType kCacheType = model::KvCacheType::kF16;

Throughput Summarize(int tokens, const std::vector<double>& seconds) {
  return {model::MeanTps(tokens, seconds), model::StddevTps(tokens, seconds), stats::Median(seconds)};
}

// Decode `n` tokens after `prompt`, timing every op; returns the times.
absl::StatusOr<model::OpTimes> TimedDecode(model::Transformer& t, const std::vector<int32_t>& prompt, int n) {
  t.Reset();
  std::vector<float> logits;
  if (auto s = t.Prefill(prompt, &logits); !s.ok()) return s;
  model::OpTimes times(t.weights().config().n_layers);
  model::ForwardOptions options;
  options.times = &times;
  const std::vector<int32_t> next = model::SyntheticTokens(n, t.weights().config().vocab, 3);
  for (int i = 0; i < n; ++i) {
    if (auto s = t.Forward({next[i]}, &logits, options); !s.ok()) return s;
  }
  return times;
}

}  // namespace

std::string DefaultModelPath() {
  return absl::StrCat(roofline::AprCacheDir(), "/models/ch13-default-q4_k-seed1.gguf");
}

absl::StatusOr<std::string> EnsureDefaultModel(int threads, double* seconds) {
  const std::string path = DefaultModelPath();
  parallel::ThreadPool pool(threads);
  auto took = model::EnsureSynthModel({model::ChapterDefaultConfig(), "q4_k", 1}, path, pool);
  if (!took.ok()) return took.status();
  *seconds = *took;
  return path;
}

absl::StatusOr<ChapterRun> RunChapter(const ChapterOptions& options) {
  auto progress = [&](const std::string& what) {
    if (options.progress) options.progress(what);
  };
  ChapterRun run;
  // The machine.
  roofline::MeasureOptions measure;
  measure.progress = [&](const std::string& what) { progress("roofline: " + what); };
  auto machine = roofline::LoadOrMeasure(measure, /*remeasure=*/false);
  if (!machine.ok()) return machine.status();
  run.machine = *machine;
  run.threads = run.machine.threads;

  // The model: the built-in default, generated once.
  run.model_path = options.model_path;
  if (run.model_path.empty()) {
    progress("the default model (generated once)");
    auto path = EnsureDefaultModel(run.threads, &run.model_seconds);
    if (!path.ok()) return path.status();
    run.model_path = *path;
    run.model_generated = run.model_seconds > 0;
  }
  auto spec = cost::SpecFromGgufFile(run.model_path);
  if (!spec.ok()) return spec.status();
  run.model = *spec;
  run.model.kv_bytes_per_element = model::KvCacheBytesPerElement(kCacheType);
  auto seven_b = cost::SpecFromPreset(kSevenBPreset, "q4_k");
  if (!seven_b.ok()) return seven_b.status();
  run.seven_b = *seven_b;

  // This machine's memory bandwidth drifts with its neighbours: the roof the
  // predictions and the trace use is the higher of the cached roofline's and
  // one measured now.
  progress("DRAM bandwidth, now");
  run.dram_cached_gbps = run.DramGbps();
  auto dram_start = roofline::MeasureDramReadGbps(run.threads, options.quick_calibration);
  if (!dram_start.ok()) return dram_start.status();
  run.dram_start_gbps = *dram_start;
  run.machine.RaiseDramRead(run.threads, run.dram_start_gbps);

  // Predictions.
  auto predict = [&](const std::vector<cost::OpCost>& ops, double tokens, cost::PhasePrediction* out) {
    auto p = cost::PredictPhase(ops, run.machine, run.threads, tokens);
    if (p.ok()) *out = *p;
    return p.status();
  };
  const uint64_t decode_depth = kPromptTokens + kGenTokens / 2;
  if (auto s = predict(cost::DecodeOps(run.model, decode_depth), 1, &run.decode_pred); !s.ok()) return s;
  if (auto s = predict(cost::PrefillOps(run.model, kPromptTokens), kPromptTokens, &run.prefill_pred); !s.ok()) return s;
  if (auto s = predict(cost::DecodeOps(run.seven_b, 0), 1, &run.seven_b_decode); !s.ok()) return s;
  if (auto s = predict(cost::PrefillOps(run.seven_b, kPromptTokens), kPromptTokens, &run.seven_b_prefill); !s.ok()) {
    return s;
  }

  // The real forward pass.
  progress("loading the model");
  auto weights = model::ModelWeights::Load(run.model_path);
  if (!weights.ok()) return weights.status();
  parallel::ThreadPool pool(run.threads);
  parallel::ScopedAffinity restore;
  parallel::PinCurrentThreadToCpu(0);
  run.decode_prefetch = quant::EnsureDecodePrefetchTuned(pool, [&] { return (*weights)->DecodeMatrices(); });
  model::Transformer t(**weights, pool, kPromptTokens + kGenTokens + 1, kCacheType);
  const model::ModelConfig& c = (*weights)->config();
  const std::vector<int32_t> prompt = model::SyntheticTokens(kPromptTokens, c.vocab, 1);
  const int reps = options.repetitions;

  progress("13.3 trace: decode and prefill, op by op");
  auto decode_times = TimedDecode(t, prompt, kGenTokens);
  if (!decode_times.ok()) return decode_times.status();
  run.decode_trace = report::CompareTrace(*decode_times, kGenTokens, run.decode_pred, c.n_layers);
  {
    t.Reset();
    model::OpTimes times(c.n_layers);
    model::ForwardOptions timed;
    timed.times = &times;
    std::vector<float> logits;
    if (auto s = t.Prefill(prompt, &logits, timed); !s.ok()) return s;
    run.prefill_trace = report::CompareTrace(times, 1, run.prefill_pred, c.n_layers);
  }

  // The calibrated expectation (13.4, 13.6): the model's formats timed
  // now; their decode, the part this VM's drifting DRAM moves most, timed
  // again around each measurement it is set against.
  progress("13.6: calibrating this machine's kernels for the model's formats");
  const bool quick = options.quick_calibration;
  auto calibrated = CalibrateModel(run.model, run.threads, quick,
                                   [&](const std::string& what) { progress("13.6 calibration: " + what); });
  if (!calibrated.ok()) return calibrated.status();
  auto retimer = calibration::Retimer::For(*calibrated, run.threads, quick);
  if (!retimer.ok()) return retimer.status();
  auto retimed = [&](const calibration::Calibration& c,
                     const std::vector<int64_t>& batched_tokens = {}) -> absl::StatusOr<calibration::Calibration> {
    calibration::Calibration again = c;
    if (auto s = retimer->Retime(&again, batched_tokens); !s.ok()) return s;
    return again;
  };

  // Batched and token by token, alternating; before each round the
  // calibration's decode points (token by token is decode) and the token
  // counts the prompt's products fall between are timed again, so each
  // round's measurement is set against that round's expectation. Each
  // calibrated point of many tokens is the faster of two sweeps, so a round
  // sets the faster of two runs against it (docs/lab-notes/2026-12-zen3.md).
  progress("13.4 and 13.6: prefill of 91 tokens, batched and token by token, alternating");
  const std::string cache_name = model::KvCacheTypeName(kCacheType);
  const int runs_per_round = quick ? 1 : 2;
  std::vector<double> every_batched, every_serial;  // every run, for 13.4's mean and spread
  std::vector<double> batched_seconds, serial_seconds, speedup_ratios, prefill_ratios;
  std::vector<calibration::Calibration> prompt_rounds;
  const std::vector<int64_t> around_prompt = calibration::CalibratedTokensAround(kPromptTokens);
  for (int round = 0; round < std::max(1, options.fidelity_rounds); ++round) {
    auto now = retimed(*calibrated, around_prompt);
    if (!now.ok()) return now.status();
    auto priced = PriceFidelity(run.model, run.machine, run.threads, cache_name, run.DramGbps(), kPromptTokens,
                                kGenTokens / 2, *now, *now);
    if (!priced.ok()) return priced.status();
    auto runs = model::TimeBatchedAndSerial(t, kPromptTokens, runs_per_round, {}, /*warm_up=*/!quick);
    if (!runs.ok()) return runs.status();
    every_batched.insert(every_batched.end(), runs->first.begin(), runs->first.end());
    every_serial.insert(every_serial.end(), runs->second.begin(), runs->second.end());
    const double batched = *std::min_element(runs->first.begin(), runs->first.end());
    const double serial = *std::min_element(runs->second.begin(), runs->second.end());
    batched_seconds.push_back(batched);
    serial_seconds.push_back(serial);
    speedup_ratios.push_back(serial / batched / priced->SpeedupExpected());
    prefill_ratios.push_back(kPromptTokens / batched / priced->prefill_expected_tps);
    prompt_rounds.push_back(*std::move(now));
  }
  run.pp = Summarize(kPromptTokens, every_batched);
  run.prefill_serial = Summarize(kPromptTokens, every_serial);
  run.prefill_speedup = stats::MedianRatio(serial_seconds, batched_seconds);
  const double speedup_ratio = stats::Median(speedup_ratios), prefill_ratio = stats::Median(prefill_ratios);
  // The text's expectation of the prompt: the round whose ratio is the median.
  std::vector<size_t> order(speedup_ratios.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return speedup_ratios[a] < speedup_ratios[b]; });
  const calibration::Calibration for_prompt = prompt_rounds[order[order.size() / 2]];
  auto moe = MeasureMoePrefill(pool, kPromptTokens, reps, progress);
  if (!moe.ok()) return moe.status();
  run.moe = *std::move(moe);

  progress("13.5 FFN fusion: decode fused and unfused, interleaved token by token");
  // This machine's memory bandwidth can change by half between one second
  // and the next, which moves a comparison of whole runs more than fusion
  // does; so each fused decode step is followed by the same step unfused (on
  // a second cache over the same weights), and the repetitions' ratios are
  // compared. The pool counts the dispatches.
  model::Transformer t_unfused(**weights, pool, kPromptTokens + kGenTokens + 1, kCacheType);
  model::ForwardOptions unfused;
  unfused.fused_ffn = false;
  const int pairs = 2 * reps;
  pool.ResetStats();
  auto fusion = model::TimeGenerateInterleaved(t, {}, t_unfused, unfused, kGenTokens, pairs);
  if (!fusion.ok()) return fusion.status();
  run.tg = Summarize(kGenTokens, fusion->first);
  run.tg_unfused = Summarize(kGenTokens, fusion->second);
  run.fused_over_unfused = stats::MedianRatio(fusion->first, fusion->second);
  // The warm-up run is counted too: kGenTokens steps of each, pairs + 1 times.
  const double steps = static_cast<double>(kGenTokens) * (pairs + 1);
  run.ffn_dispatches_fused = pool.Stats("ffn.gate_up").dispatches / steps;
  run.ffn_dispatches_unfused =
      (pool.Stats("ffn.gate").dispatches + pool.Stats("ffn.up").dispatches) / steps;

  // Decode against its expectation in alternating rounds, as this VM's
  // DRAM drifts by half within minutes: decode's calibration timed again,
  // then kGenTokens tokens decoded; the median of the rounds' ratios.
  progress("13.4 fidelity: decode's calibration and decode, alternating");
  std::vector<double> expected_tps, ratios;
  for (int round = 0; round < std::max(1, options.fidelity_rounds); ++round) {
    auto now = retimed(*calibrated);
    if (!now.ok()) return now.status();
    auto priced = PriceFidelity(run.model, run.machine, run.threads, cache_name, run.DramGbps(), kPromptTokens,
                                kGenTokens / 2, *now, for_prompt);
    if (!priced.ok()) return priced.status();
    auto seconds = model::TimeGenerate(t, kGenTokens, 1, {});
    if (!seconds.ok()) return seconds.status();
    expected_tps.push_back(priced->decode_expected_tps);
    ratios.push_back(kGenTokens / seconds->front() / priced->decode_expected_tps);
    if (round == 0) run.fidelity = *priced;
  }
  run.fidelity.decode_expected_tps = stats::Median(expected_tps);
  run.fidelity.decode_ratio = stats::Median(ratios);
  run.fidelity.decode_ratio_least = *std::min_element(ratios.begin(), ratios.end());
  run.fidelity.decode_ratio_most = *std::max_element(ratios.begin(), ratios.end());
  run.fidelity.decode_rounds = static_cast<int>(ratios.size());
  run.fidelity.speedup_ratio = speedup_ratio;
  run.fidelity.prefill_ratio = prefill_ratio;
  run.fidelity.prefill_ratio_least = *std::min_element(prefill_ratios.begin(), prefill_ratios.end());
  run.fidelity.prefill_ratio_most = *std::max_element(prefill_ratios.begin(), prefill_ratios.end());
  if (auto f = (*weights)->HugePageShare(); f.ok()) run.fidelity.model_huge_pages = *f;
  if (auto f = retimer->HugePageShare(); f.ok()) run.fidelity.calibration_huge_pages = *f;

  // The decode fraction also compares with a measurement taken right after it.
  progress("13.7 DRAM bandwidth, now");
  auto dram_now = roofline::MeasureDramReadGbps(run.threads, quick);
  if (!dram_now.ok()) return dram_now.status();
  run.dram_now_gbps = *dram_now;
  run.decode_bytes_per_token = run.decode_pred.weight_bytes;
  run.decode_achieved_gbps = run.decode_bytes_per_token * kGenTokens / run.tg.median_seconds / 1e9;

  auto long_context = MeasureLongContext(**weights, pool, run.model, run.machine, run.threads, reps, quick, progress);
  if (!long_context.ok()) return long_context.status();
  run.long_context = *std::move(long_context);
  return run;
}

}  // namespace ch13
