#include "chapters/ch13_profiling/equivalence_metrics.h"

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "chapters/ch13_profiling/chapter_run.h"
#include "common/cpu/cpu_features.h"
#include "common/model/forward.h"
#include "common/model/synth.h"
#include "common/model/throughput.h"
#include "common/stats/median.h"

namespace ch13 {
namespace {

model::ModelConfig Small() {
  model::ModelConfig c = model::ChapterDefaultConfig();
  c.name = "ch13-equivalence";
  c.n_layers = 3;
  c.hidden = 512;
  c.n_heads = 4;
  c.n_kv_heads = 2;
  c.ffn = 1024;
  c.vocab = 512;
  return c;
}

}  // namespace

absl::StatusOr<Equivalence> MeasureEquivalence() {
  const std::string path = (std::filesystem::temp_directory_path() / "apr-ch13-equivalence.gguf").string();
  parallel::ThreadPool pool(cpu::AvailableCpus());
  if (auto s = model::WriteSynthModel({Small(), "q4_k", 5}, path, pool); !s.ok()) return s;
  auto weights = model::ModelWeights::Load(path);
  if (!weights.ok()) return weights.status();
  const std::vector<int32_t> prompt = model::SyntheticTokens(13, Small().vocab, 9);
  model::Transformer a(**weights, pool, 32), b(**weights, pool, 32);
  Equivalence e;

  model::ForwardOptions all, all_unfused;
  all.all_logits = all_unfused.all_logits = true;
  all_unfused.fused_ffn = false;
  std::vector<float> fused, unfused;
  pool.ResetStats();
  if (auto s = a.Forward(prompt, &fused, all); !s.ok()) return s;
  if (auto s = a.Forward({7}, &fused); !s.ok()) return s;  // one decode step, counted below
  const double fused_dispatches = pool.Stats("ffn.gate_up").dispatches;
  pool.ResetStats();
  if (auto s = b.Forward(prompt, &unfused, all_unfused); !s.ok()) return s;
  if (auto s = b.Forward({7}, &unfused, all_unfused); !s.ok()) return s;
  const double unfused_dispatches = pool.Stats("ffn.gate").dispatches + pool.Stats("ffn.up").dispatches;
  // Two passes each (prompt, then one token): per pass, i.e. per decoded token.
  e.ffn_dispatches_fused = fused_dispatches / 2;
  e.ffn_dispatches_unfused = unfused_dispatches / 2;
  for (size_t i = 0; i < std::min(fused.size(), unfused.size()); ++i) {
    e.fused_unfused_max_abs = std::max(e.fused_unfused_max_abs, double(std::fabs(fused[i] - unfused[i])));
  }

  a.Reset();
  b.Reset();
  std::vector<float> batched, serial;
  if (auto s = a.Prefill(prompt, &batched); !s.ok()) return s;
  if (auto s = b.PrefillSerial(prompt, &serial); !s.ok()) return s;
  for (size_t i = 0; i < batched.size(); ++i) {
    e.batched_serial_max_rel =
        std::max(e.batched_serial_max_rel, std::fabs(double(batched[i]) - serial[i]) / (1 + std::fabs(serial[i])));
  }
  std::filesystem::remove(path);
  return e;
}

absl::StatusOr<double> MeasurePrefillSpeedup(int repetitions, bool warm_up) {
  const int threads = cpu::AvailableCpus();
  double seconds = 0;
  auto path = EnsureDefaultModel(threads, &seconds);
  if (!path.ok()) return path.status();
  auto weights = model::ModelWeights::Load(*path);
  if (!weights.ok()) return weights.status();
  parallel::ThreadPool pool(threads);
  parallel::ScopedAffinity restore;
  parallel::PinCurrentThreadToCpu(0);
  model::Transformer t(**weights, pool, kPromptTokens + 1);
  auto times = model::TimeBatchedAndSerial(t, kPromptTokens, repetitions, {}, warm_up);
  if (!times.ok()) return times.status();
  return stats::MedianRatio(times->second, times->first);
}

}  // namespace ch13
