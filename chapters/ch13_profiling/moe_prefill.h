// 13.6's mixture-of-experts case: batched against token-by-token prefill of
// the book's 91-token prompt on a small qwen3moe (qwen3-moe-mini: 128
// experts, 8 routed a token), and how many experts the batch's tokens were
// routed to, beside the count uniform routing predicts. Token by token reads
// 8 experts a layer per token; the batch reads each expert it touches once,
// and each of those multiplies only the tokens routed to it.
//
//   auto moe = MeasureMoePrefill(pool, 3, progress);
#ifndef APR_CHAPTERS_CH13_PROFILING_MOE_PREFILL_H_
#define APR_CHAPTERS_CH13_PROFILING_MOE_PREFILL_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/model/forward.h"
#include "common/model/model_config.h"
#include "common/parallel/thread_pool.h"

namespace ch13 {

inline constexpr char kMoePreset[] = "qwen3-moe-mini";

struct MoePrefill {
  std::string model_path;
  double model_seconds = 0;  // to generate (0 when cached)
  model::ModelConfig config;
  int tokens = 0;
  double batched_seconds = 0, serial_seconds = 0;  // medians
  double speedup = 0;  // serial over batched, median over alternating pairs
  std::vector<int> experts_touched;  // per layer, by the batched prompt
  double predicted_touched = 0;      // per layer, under uniform routing
  double MeanTouched() const { return model::SummarizeExpertsTouched(experts_touched).mean; }
  // Tokens each expert the batch touches multiplies at once, on average:
  // tokens x routed over the experts touched. It is also the factor by which
  // batching cuts the experts' bytes (token by token reads tokens x routed
  // expert matrices a layer, the batch those it touches), where a dense
  // FFN's is the whole batch.
  double TokensPerExpert() const { return MeanTouched() > 0 ? tokens * config.n_experts_used / MeanTouched() : 0; }
};

// ~/.cache/apr/models/qwen3-moe-mini-q4_k_m-seed1.gguf, generated once.
std::string MoeModelPath();

absl::StatusOr<MoePrefill> MeasureMoePrefill(parallel::ThreadPool& pool, int tokens, int reps,
                                             const std::function<void(const std::string&)>& progress);

}  // namespace ch13

#endif  // APR_CHAPTERS_CH13_PROFILING_MOE_PREFILL_H_
