// apr trace: the real forward pass timed op by op and layer by layer, beside
// the roofline prediction.
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "common/cost/model_spec.h"
#include "common/cost/prediction.h"
#include "common/calibration/expected_time.h"
#include "common/calibration/measure_calibration.h"
#include "common/cpu/cpu_features.h"
#include "common/model/forward.h"
#include "common/model/throughput.h"
#include "common/report/profile_roofline.h"
#include "common/report/roofline_svg.h"
#include "common/report/trace_report.h"
#include "common/report/units.h"
#include "common/roofline/measure.h"
#include "nlohmann/json.hpp"
#include "tools/apr/cache_flags.h"
#include "tools/apr/calibration_flags.h"
#include "tools/apr/command_util.h"
#include "tools/apr/commands.h"
#include "tools/apr/load_model.h"

namespace apr {
namespace {

nlohmann::json RowJson(const report::TraceRow& r) {
  return {{"name", r.name},
          {"measured_seconds", r.measured_seconds},
          {"predicted_seconds", r.predicted_seconds},
          {"expected_seconds", r.expected_seconds},
          {"percent_of_roofline", r.PercentOfRoofline()},
          {"achieved_gbps", r.AchievedGbps()},
          {"achieved_gops", r.AchievedGops()},
          {"flops", r.flops},
          {"bytes", r.bytes},
          {"above_roof", r.AboveRoof()}};
}

nlohmann::json TraceJson(const report::TraceComparison& c) {
  nlohmann::json j;
  for (const report::TraceRow& r : c.ops) j["ops"].push_back(RowJson(r));
  for (const report::TraceRow& r : c.layers) j["layers"].push_back(RowJson(r));
  j["total"] = RowJson(c.total);
  return j;
}

std::string LayerTable(const report::TraceComparison& c) {
  std::string s = absl::StrFormat("  %-10s %11s %11s %8s %11s\n", "layer", "measured", "predicted", "%roof",
                                  "expected");
  for (const report::TraceRow& r : c.layers) {
    absl::StrAppendFormat(&s, "  %-10s %11s %11s %7.0f%% %11s\n", r.name, report::Duration(r.measured_seconds),
                          report::Duration(r.predicted_seconds), r.PercentOfRoofline(),
                          r.expected_seconds > 0 ? report::Duration(r.expected_seconds) : "-");
  }
  return s;
}

// The experts the prompt's and a decoded token's tokens were routed to, per
// layer, beside the counts uniform routing predicts.
std::string ExpertsTouchedText(const model::ModelConfig& c, const std::vector<int>& prefill, int64_t tokens,
                               const std::vector<int>& decode, bool per_layer) {
  const model::ExpertsTouchedSummary p = model::SummarizeExpertsTouched(prefill);
  const model::ExpertsTouchedSummary d = model::SummarizeExpertsTouched(decode);
  std::string s = absl::StrFormat(
      "Experts read per layer (of %d, %d routed a token): prefill of %d tokens %d-%d, mean %.1f; uniform routing "
      "predicts %.1f. A decoded token %d-%d (predicted %.0f). The prefill's predicted and expected times are of "
      "the experts read.\n",
      c.n_experts, c.n_experts_used, tokens, p.least, p.most, p.mean, cost::ExpectedExpertsTouched(c, double(tokens)),
      d.least, d.most, cost::ExpectedExpertsTouched(c, 1));
  if (per_layer) {
    s += "  per layer:";
    for (int n : prefill) absl::StrAppendFormat(&s, " %d", n);
    s += "\n";
  }
  return s;
}

}  // namespace

int RunTrace(const std::vector<std::string>& args) {
  ArgParser parser("trace", "time the real forward pass op by op beside the roofline prediction");
  std::string model_path, machine_file, html;
  int64_t prompt = 91, gen = 16, depth = 0, threads = 0;
  bool json = false, layers = false;
  parser.AddPositional("MODEL.gguf", &model_path, /*required=*/true, /*existing_file=*/true);
  parser.AddInt("n-prompt", &prompt, 1, 16384, "prompt tokens, prefilled in one batch (default 91)");
  parser.AddInt("n-gen", &gen, 1, 16384, "tokens decoded after the prompt (default 16)");
  parser.AddInt("n-depth", &depth, 0, 1 << 20, "tokens already in the cache before the prompt (prefilled, untimed)");
  parser.AddInt("threads", &threads, 1, 1024, "1 or the machine profile's thread count (default)");
  parser.AddString("machine", &machine_file, "FILE",
                   "machine profile JSON, used as it is (default: the cached one, else measured, with its DRAM "
                   "read raised to a measurement taken now when that is higher)");
  parser.AddFlag("layers", &layers, "also print the per-layer table");
  parser.AddFlag("json", &json, "print one JSON object");
  parser.AddString("html", &html, "FILE", "write an HTML report: roofline plot and per-layer chart");
  parser.AddAlias("-p", "n-prompt");
  parser.AddAlias("-n", "n-gen");
  parser.AddAlias("-d", "n-depth");
  parser.AddAlias("-t", "threads");
  bool bound_only = false;
  parser.AddFlag("bound-only", &bound_only, "the roofline bound alone, without the calibrated expected time");
  CacheFlags cache;
  cache.AddTo(parser);
  CalibrationFlags calibration_flags;
  calibration_flags.AddTo(parser);
  int exit_code = 0;
  if (!ParseOrExit(parser, "trace", args, &exit_code)) return exit_code;
  auto cache_type = cache.Resolve();
  if (!cache_type.ok()) return Fail("trace", cache_type.status());

  auto machine = LoadMachine(machine_file);
  if (!machine.ok()) return Fail("trace", machine.status());
  const int t = threads > 0 ? static_cast<int>(threads) : machine->threads;
  auto spec = cost::SpecFromGgufFile(model_path);
  if (!spec.ok()) return Fail("trace", spec.status());
  spec->kv_bytes_per_element = model::KvCacheBytesPerElement(*cache_type);
  // This machine's DRAM bandwidth may have risen since its roofline was
  // cached; a roof below what runs under it would flag every streaming op.
  const double dram_cached = machine->ReadGbps("DRAM", t);
  double dram_now = 0;
  if (machine_file.empty()) {
    auto now = roofline::MeasureDramReadGbps(t);
    if (!now.ok()) return Fail("trace", now.status());
    dram_now = *now;
    machine->RaiseDramRead(t, dram_now);
  }
  auto decode_pred = cost::PredictPhase(cost::DecodeOps(*spec, depth + prompt + gen / 2), *machine, t, 1);
  if (!decode_pred.ok()) return Fail("trace", decode_pred.status());
  bool retimed = false;
  std::optional<calibration::Calibration> kept;  // to price the prefill once it ran
  const std::string cache_types = model::KvCacheTypesName(*cache_type);
  if (!bound_only) {
    auto cal = calibration_flags.Load(*spec, t);
    if (!cal.ok()) return Fail("trace", cal.status());
    if (machine_file.empty() && calibration_flags.file().empty()) {
      // A cached calibration timed in another minute of this VM's drifting
      // DRAM and cores once put decode at 0.47 of its expectation: the
      // model's formats are timed again now, as bench --expected does.
      auto retimer = calibration::Retimer::ForModel(*cal, *spec, t);
      if (!retimer.ok()) return Fail("trace", retimer.status());
      if (auto s = retimer->Retime(&*cal, calibration::TokensAroundPrompt(prompt)); !s.ok()) return Fail("trace", s);
      retimed = true;
    }
    if (auto s = calibration::AddExpected(*cal, *spec, cache_types, dram_now, &*decode_pred); !s.ok()) {
      return Fail("trace", s);
    }
    kept = *std::move(cal);
  }

  auto weights = LoadModel("trace", model_path);
  if (!weights.ok()) return Fail("trace", weights.status());
  const model::ModelConfig& c = (*weights)->config();
  parallel::ThreadPool pool(t);
  parallel::ScopedAffinity restore;
  parallel::PinCurrentThreadToCpu(0);
  TuneDecodePrefetch("trace", **weights, pool);
  model::Transformer tr(**weights, pool, static_cast<int>(depth + prompt + gen), *cache_type);
  const std::vector<int32_t> tokens = model::SyntheticTokens(static_cast<int>(prompt + gen), c.vocab, 1);
  std::vector<float> logits;
  // The depth prefilled once, restored before the warm-up pass and the timed one.
  auto snapshot = model::DepthSnapshot::Prefill(tr, static_cast<int>(depth));
  if (!snapshot.ok()) return Fail("trace", snapshot.status());
  if (auto s = snapshot->ResetTo(tr); !s.ok()) return Fail("trace", s);
  if (auto s = tr.Prefill(absl::MakeConstSpan(tokens).subspan(0, prompt), &logits); !s.ok()) return Fail("trace", s);
  if (auto s = snapshot->ResetTo(tr); !s.ok()) return Fail("trace", s);
  model::OpTimes prefill_times(c.n_layers), decode_times(c.n_layers);
  model::ForwardOptions options;
  options.times = &prefill_times;
  std::vector<std::vector<int>> prefill_passes;
  options.experts_touched = &prefill_passes;
  pool.ResetStats();
  if (auto s = tr.Prefill(absl::MakeConstSpan(tokens).subspan(0, prompt), &logits, options); !s.ok()) {
    return Fail("trace", s);
  }
  options.experts_touched = nullptr;
  const auto prefill_dispatches = pool.AllStats();
  // A mixture's batch reads the experts its router chose, which real and
  // synthetic routers alike spread unevenly: its roof and expectation are of
  // those (uniform routing's count is printed beside them).
  auto prefill_pred = cost::PredictPhase(
      cost::RoutedPromptOps(*spec, prompt, depth, model::kPrefillMicroBatch, prefill_passes), *machine, t,
      double(prompt));
  if (!prefill_pred.ok()) return Fail("trace", prefill_pred.status());
  if (kept) {
    if (auto s = calibration::AddExpected(*kept, *spec, cache_types, dram_now, &*prefill_pred); !s.ok()) {
      return Fail("trace", s);
    }
  }
  // A mixture: the experts each layer read for the prompt's last micro-batch
  // and for the last decoded token.
  const std::vector<int> prefill_experts = tr.experts_touched();
  const int64_t last_batch = prompt - (prompt - 1) / model::kPrefillMicroBatch * model::kPrefillMicroBatch;
  options.times = &decode_times;
  pool.ResetStats();
  for (int64_t i = 0; i < gen; ++i) {
    if (auto s = tr.Forward({tokens[prompt + i]}, &logits, options); !s.ok()) return Fail("trace", s);
  }
  const auto decode_dispatches = pool.AllStats();
  const std::vector<int> decode_experts = tr.experts_touched();
  const report::TraceComparison prefill = report::CompareTrace(prefill_times, 1, *prefill_pred, c.n_layers);
  const report::TraceComparison decode = report::CompareTrace(decode_times, static_cast<int>(gen), *decode_pred, c.n_layers);

  if (json) {
    nlohmann::json j;
    j["model"] = model_path;
    j["threads"] = t;
    j["n_prompt"] = prompt;
    j["n_gen"] = gen;
    j["n_depth"] = depth;
    j["dram_read_gbps"] = {{"roof", machine->ReadGbps("DRAM", t)}, {"cached", dram_cached}, {"now", dram_now}};
    j["prefill"] = TraceJson(prefill);
    j["decode_per_token"] = TraceJson(decode);
    for (const auto& [tag, st] : prefill_dispatches) j["prefill"]["dispatches"][tag] = st.dispatches;
    for (const auto& [tag, st] : decode_dispatches) j["decode_per_token"]["dispatches"][tag] = double(st.dispatches) / gen;
    if (c.IsMoe()) {
      j["prefill"]["experts_touched"] = {{"tokens", last_batch},
                                         {"per_layer", prefill_experts},
                                         {"predicted", cost::ExpectedExpertsTouched(c, double(last_batch))}};
      j["decode_per_token"]["experts_touched"] = {{"tokens", 1},
                                                  {"per_layer", decode_experts},
                                                  {"predicted", cost::ExpectedExpertsTouched(c, 1)}};
    }
    std::printf("%s\n", j.dump(2).c_str());
  } else {
    std::printf("%s on %s, %d thread(s)\n", c.name.c_str(), machine->cpu.c_str(), t);
    if (machine_file.empty()) {
      std::printf("DRAM read roof %.1f GB/s: the higher of the cached roofline's %.1f and %.1f measured now\n",
                  machine->ReadGbps("DRAM", t), dram_cached, dram_now);
    } else {
      std::printf("DRAM read roof %.1f GB/s, from %s\n", dram_cached, machine_file.c_str());
    }
    if (retimed) std::printf("expected: the cached calibration, this model's matrix formats timed again now\n");
    std::printf("\n");
    const std::string after = depth > 0 ? absl::StrFormat(" after %d cached", depth) : "";
    std::printf("%s\n", report::TraceText(prefill, absl::StrFormat("Prefill of %d tokens%s, batched:", prompt, after))
                           .c_str());
    std::printf("%s", report::TraceText(decode, absl::StrFormat("Decode, per token (%d after the prompt%s%s):", gen,
                                                                  depth > 0 ? "," : "", after))
                          .c_str());
    std::printf("  dispatches per decoded token:");
    for (const auto& [tag, st] : decode_dispatches) std::printf(" %s %.0f;", tag.c_str(), double(st.dispatches) / gen);
    std::printf("\n");
    if (c.IsMoe()) std::printf("\n%s", ExpertsTouchedText(c, prefill_experts, last_batch, decode_experts, layers).c_str());
    if (layers) std::printf("\nDecode per layer:\n%s", LayerTable(decode).c_str());
  }
  if (!html.empty()) {
    std::vector<report::RoofPoint> points = report::TraceRoofPoints(decode, "decode");
    for (report::RoofPoint& p : report::TraceRoofPoints(prefill, "prefill")) points.push_back(std::move(p));
    std::string page = absl::StrCat(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>apr trace</title></head>"
        "<body style=\"font-family:sans-serif\"><h1>apr trace: ", report::XmlEscape(c.name), "</h1>",
        report::RooflineSvg(report::CeilingsOf(*machine), points, "every op of decode and prefill: predicted (hollow), measured (filled)"),
        "<h2>Decode per layer</h2><pre>", report::XmlEscape(LayerTable(decode)), "</pre><h2>Ops</h2><pre>",
        report::XmlEscape(report::TraceText(prefill, "Prefill") + report::TraceText(decode, "Decode, per token")),
        "</pre></body></html>\n");
    if (auto s = WriteTextFile(html, page); !s.ok()) return Fail("trace", s);
    if (!json) std::printf("HTML report written to %s\n", html.c_str());
  }
  return 0;
}

}  // namespace apr
