#include "chapters/ch13_profiling/long_context.h"

#include <algorithm>
#include <chrono>
#include <memory>

#include "absl/strings/str_cat.h"
#include "common/cost/prediction.h"
#include "common/model/forward.h"
#include "common/model/throughput.h"
#include "common/stats/median.h"

namespace ch13 {
namespace {

using Clock = std::chrono::steady_clock;

}  // namespace

const LongContextRow* LongContext::Find(model::KvCacheType type, int depth) const {
  for (const LongContextRow& row : rows) {
    if (row.type == type && row.depth == depth) return &row;
  }
  return nullptr;
}

absl::StatusOr<LongContext> MeasureLongContext(const model::ModelWeights& weights, parallel::ThreadPool& pool,
                                               const cost::ModelSpec& spec, const roofline::MachineProfile& machine,
                                               int threads, int rounds, bool quick,
                                               const std::function<void(const std::string&)>& progress) {
  const model::ModelConfig& c = weights.config();
  const int deepest = kLongDepths.back();
  const int context = deepest + kLongGenTokens;
  std::vector<std::unique_ptr<model::Transformer>> caches;
  for (model::KvCacheType type : kLongCacheTypes) {
    if (auto s = model::CheckKvCacheType(c, type); !s.ok()) return s;
    caches.push_back(std::make_unique<model::Transformer>(weights, pool, context, type));
  }
  // One real prefill in the F32 cache, repeated to the deepest depth, then
  // converted into the others: every type holds the same context.
  const int prefill_tokens = quick ? kLongPrefillTokensQuick : kLongPrefillTokens;
  progress(absl::StrCat("13.7 long context: prefill ", prefill_tokens, " tokens, repeated to ", deepest));
  std::vector<float> logits;
  model::ForwardOptions fill;
  fill.no_logits = true;
  if (auto s = caches[0]->Prefill(model::SyntheticTokens(prefill_tokens, c.vocab, 4), &logits, fill); !s.ok()) {
    return s;
  }
  if (auto s = caches[0]->RepeatCache(deepest); !s.ok()) return s;
  for (size_t i = 1; i < caches.size(); ++i) {
    if (auto s = caches[i]->CopyCacheFrom(*caches[0]); !s.ok()) return s;
  }

  LongContext out;
  out.prefill_tokens = prefill_tokens;
  const std::vector<int32_t> next = model::SyntheticTokens(kLongGenTokens, c.vocab, 5);
  // Deepest first: a cache rewinds to a shallower depth, never forward.
  for (auto depth_it = kLongDepths.rbegin(); depth_it != kLongDepths.rend(); ++depth_it) {
    const int depth = *depth_it;
    progress(absl::StrCat("13.7 long context: decode at depth ", depth, ", F32/F16/Q8_0 caches alternating"));
    std::vector<std::vector<double>> seconds(caches.size());
    // Round -1 warms up; a quick run's timings are not judged.
    for (int round = quick ? 0 : -1; round < rounds; ++round) {
      for (size_t k = 0; k < caches.size(); ++k) {
        // Odd rounds run the types in reverse, so none always follows another.
        const size_t i = round % 2 == 0 ? k : caches.size() - 1 - k;
        model::Transformer& t = *caches[i];
        if (auto s = t.Rewind(depth); !s.ok()) return s;
        const Clock::time_point start = Clock::now();
        for (int32_t token : next) {
          if (auto s = t.Forward({token}, &logits); !s.ok()) return s;
        }
        const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
        if (round >= 0) seconds[i].push_back(elapsed / kLongGenTokens);
      }
    }
    for (size_t i = 0; i < caches.size(); ++i) {
      cost::ModelSpec typed = spec;
      typed.kv_bytes_per_element = model::KvCacheBytesPerElement(kLongCacheTypes[i]);
      const uint64_t mid = uint64_t(depth) + kLongGenTokens / 2;
      auto predicted = cost::PredictPhase(cost::DecodeOps(typed, mid), machine, threads, 1);
      if (!predicted.ok()) return predicted.status();
      LongContextRow row;
      row.type = kLongCacheTypes[i];
      row.depth = depth;
      row.median_seconds = stats::Median(seconds[i]);
      row.weight_bytes = predicted->weight_bytes;
      row.kv_bytes = cost::DecodeKvBytes(typed, mid);
      row.predicted_tps = predicted->TokensPerSecond();
      out.rows.push_back(row);
      if (depth == deepest) out.overtakes_at[i] = cost::KvOvertakesWeightsDepth(typed);
    }
    if (depth == deepest) out.f32_over_q8_deepest = stats::MedianRatio(seconds[0], seconds[2]);
  }
  std::stable_sort(out.rows.begin(), out.rows.end(),
                   [](const LongContextRow& a, const LongContextRow& b) { return a.depth < b.depth; });
  return out;
}

}  // namespace ch13
