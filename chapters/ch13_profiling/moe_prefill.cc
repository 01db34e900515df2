#include "chapters/ch13_profiling/moe_prefill.h"

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "common/cost/op_cost.h"
#include "common/model/forward.h"
#include "common/model/synth.h"
#include "common/model/throughput.h"
#include "common/roofline/measure.h"
#include "common/stats/median.h"

namespace ch13 {

std::string MoeModelPath() {
  return absl::StrCat(roofline::AprCacheDir(), "/models/", kMoePreset, "-q4_k_m-seed1.gguf");
}

absl::StatusOr<MoePrefill> MeasureMoePrefill(parallel::ThreadPool& pool, int tokens, int reps,
                                             const std::function<void(const std::string&)>& progress) {
  MoePrefill out;
  out.tokens = tokens;
  out.model_path = MoeModelPath();
  auto config = model::FindPreset(kMoePreset);
  if (!config.ok()) return config.status();
  out.config = *config;
  if (!std::filesystem::exists(out.model_path)) {
    progress(absl::StrCat("13.6 mixture of experts: generating ", kMoePreset, " (once)"));
  }
  auto took = model::EnsureSynthModel({out.config, "q4_k_m", 1}, out.model_path, pool);
  if (!took.ok()) return took.status();
  out.model_seconds = *took;
  progress(absl::StrCat("13.6 mixture of experts: prefill of ", tokens, " tokens, batched and token by token"));
  auto weights = model::ModelWeights::Load(out.model_path);
  if (!weights.ok()) return weights.status();
  model::Transformer t(**weights, pool, tokens + 1, model::KvCacheType::kF16);
  auto timed = model::TimeBatchedAndSerial(t, tokens, reps, {});
  if (!timed.ok()) return timed.status();
  out.batched_seconds = stats::Median(timed->first);
  out.serial_seconds = stats::Median(timed->second);
  out.speedup = stats::MedianRatio(timed->second, timed->first);
  // The routing of one batched pass (TimeBatchedAndSerial's last was serial).
  t.Reset();
  std::vector<float> logits;
  if (auto s = t.Prefill(model::SyntheticTokens(tokens, out.config.vocab, 1), &logits); !s.ok()) return s;
  out.experts_touched = t.experts_touched();
  out.predicted_touched = cost::ExpectedExpertsTouched(out.config, tokens);
  return out;
}

}  // namespace ch13
