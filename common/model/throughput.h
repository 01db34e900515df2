// Timed runs of a Transformer, as llama-bench does them: prompt processing
// (pp: a prompt of n tokens, batched or token by token) and token generation
// (tg: n single-token decode steps), each after `depth` tokens already in the
// cache (llama-bench's --n-depth; prefilled once, untimed, and restored
// before every repetition). Each repetition is timed on its own; a warm-up run comes first.
//
//   auto pp = TimePrompt(t, 91, /*reps=*/3, {});
//   double tps = TokensPerSecond(91, Mean(*pp));
#ifndef APR_COMMON_MODEL_THROUGHPUT_H_
#define APR_COMMON_MODEL_THROUGHPUT_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "common/model/forward.h"

namespace model {

// Deterministic token ids in [0, vocab).
std::vector<int32_t> SyntheticTokens(int n, uint32_t vocab, uint64_t seed);

// A context of `depth` tokens (seed 3) prefilled once, untimed, into a
// second cache of t's weights and type; ResetTo puts t back at it, as a
// fresh prefill would leave it, without recomputing a long context.
class DepthSnapshot {
 public:
  static absl::StatusOr<DepthSnapshot> Prefill(Transformer& t, int depth);
  absl::Status ResetTo(Transformer& t) const;

 private:
  std::unique_ptr<Transformer> filled_;  // null for depth 0
};

// Called before each timed repetition, outside its time (e.g. to time what
// the repetition is set against in the same minute).
using BeforeRepetition = std::function<absl::Status()>;

// Seconds of each repetition.
absl::StatusOr<std::vector<double>> TimePrompt(Transformer& t, int n_prompt, int reps,
                                               const ForwardOptions& options, bool serial = false, int depth = 0,
                                               const BeforeRepetition& before = nullptr);
// Batched and token-by-token prefill of the same prompt, one warm-up each
// (unless !warm_up), then `reps` timed runs of each, alternating, so drift in
// the machine's speed falls on both alike. Returns {batched seconds, serial
// seconds}.
absl::StatusOr<std::pair<std::vector<double>, std::vector<double>>> TimeBatchedAndSerial(
    Transformer& t, int n_prompt, int reps, const ForwardOptions& options, bool warm_up = true);

absl::StatusOr<std::vector<double>> TimeGenerate(Transformer& t, int n_gen, int reps,
                                                 const ForwardOptions& options, int depth = 0,
                                                 const BeforeRepetition& before = nullptr);
// Generation with two option sets, interleaved token by token: `a` and `b`
// are two Transformers over the same weights (one cache each); step i of `a`
// runs right before step i of `b`, so a change in the machine's speed that
// lasts longer than a token falls on both alike. One warm-up run of each,
// then `reps` timed ones. Returns {seconds of a, seconds of b}: each one the
// sum of its n_gen steps in that repetition.
absl::StatusOr<std::pair<std::vector<double>, std::vector<double>>> TimeGenerateInterleaved(
    Transformer& a, const ForwardOptions& options_a, Transformer& b,
    const ForwardOptions& options_b, int n_gen, int reps);

double Mean(const std::vector<double>& v);
// Sample standard deviation of tokens / seconds over the repetitions.
double StddevTps(int tokens, const std::vector<double>& seconds);
double MeanTps(int tokens, const std::vector<double>& seconds);

}  // namespace model

#endif  // APR_COMMON_MODEL_THROUGHPUT_H_
