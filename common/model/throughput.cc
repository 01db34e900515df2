#include "common/model/throughput.h"

#include <algorithm>
#include <chrono>
#include <cmath>

namespace model {
namespace {

using Clock = std::chrono::steady_clock;

// `depth` tokens in the cache before each run (see DepthSnapshot).
template <typename Run>
absl::StatusOr<std::vector<double>> Repeat(Transformer& t, int reps, int depth, Run run,
                                           const BeforeRepetition& before = nullptr) {
  auto snapshot = DepthSnapshot::Prefill(t, depth);
  if (!snapshot.ok()) return snapshot.status();
  std::vector<double> seconds;
  for (int r = -1; r < reps; ++r) {  // r = -1: warm-up, not recorded
    if (r >= 0 && before) {
      if (absl::Status s = before(); !s.ok()) return s;
    }
    if (absl::Status s = snapshot->ResetTo(t); !s.ok()) return s;
    const Clock::time_point start = Clock::now();
    if (absl::Status s = run(); !s.ok()) return s;
    if (r >= 0) seconds.push_back(std::chrono::duration<double>(Clock::now() - start).count());
  }
  return seconds;
}

}  // namespace

absl::StatusOr<DepthSnapshot> DepthSnapshot::Prefill(Transformer& t, int depth) {
  DepthSnapshot snapshot;
  if (depth == 0) return snapshot;
  snapshot.filled_ = std::make_unique<Transformer>(t.weights(), t.pool(), depth, t.cache_types());
  std::vector<float> unused;
  ForwardOptions fill;
  fill.no_logits = true;
  const std::vector<int32_t> context = SyntheticTokens(depth, t.weights().config().vocab, 3);
  if (absl::Status s = snapshot.filled_->Prefill(context, &unused, fill); !s.ok()) return s;
  return snapshot;
}

absl::Status DepthSnapshot::ResetTo(Transformer& t) const {
  t.Reset();
  return filled_ ? t.CopyCacheFrom(*filled_) : absl::OkStatus();
}

std::vector<int32_t> SyntheticTokens(int n, uint32_t vocab, uint64_t seed) {
  std::vector<int32_t> tokens(n);
  uint64_t state = seed * 0x9e3779b97f4a7c15ull + 1;
  for (int32_t& t : tokens) {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    t = static_cast<int32_t>(state % vocab);
  }
  return tokens;
}

absl::StatusOr<std::vector<double>> TimePrompt(Transformer& t, int n_prompt, int reps,
                                               const ForwardOptions& options, bool serial, int depth,
                                               const BeforeRepetition& before) {
  const std::vector<int32_t> tokens = SyntheticTokens(n_prompt, t.weights().config().vocab, 1);
  std::vector<float> logits;
  return Repeat(t, reps, depth, [&] {
    return serial ? t.PrefillSerial(tokens, &logits, options) : t.Prefill(tokens, &logits, options);
  }, before);
}

absl::StatusOr<std::pair<std::vector<double>, std::vector<double>>> TimeBatchedAndSerial(
    Transformer& t, int n_prompt, int reps, const ForwardOptions& options, bool warm_up) {
  const std::vector<int32_t> tokens = SyntheticTokens(n_prompt, t.weights().config().vocab, 1);
  std::vector<float> logits;
  std::pair<std::vector<double>, std::vector<double>> seconds;
  for (int r = warm_up ? -1 : 0; r < reps; ++r) {  // r = -1: warm-up, not recorded
    for (bool serial : {false, true}) {
      t.Reset();
      const Clock::time_point start = Clock::now();
      absl::Status s = serial ? t.PrefillSerial(tokens, &logits, options) : t.Prefill(tokens, &logits, options);
      if (!s.ok()) return s;
      if (r >= 0) {
        (serial ? seconds.second : seconds.first)
            .push_back(std::chrono::duration<double>(Clock::now() - start).count());
      }
    }
  }
  return seconds;
}

absl::StatusOr<std::vector<double>> TimeGenerate(Transformer& t, int n_gen, int reps,
                                                 const ForwardOptions& options, int depth,
                                                 const BeforeRepetition& before) {
  const std::vector<int32_t> tokens = SyntheticTokens(n_gen, t.weights().config().vocab, 2);
  std::vector<float> logits;
  return Repeat(t, reps, depth, [&]() -> absl::Status {
    for (int i = 0; i < n_gen; ++i) {
      if (absl::Status s = t.Forward({tokens[i]}, &logits, options); !s.ok()) return s;
    }
    return absl::OkStatus();
  }, before);
}

absl::StatusOr<std::pair<std::vector<double>, std::vector<double>>> TimeGenerateInterleaved(
    Transformer& a, const ForwardOptions& options_a, Transformer& b,
    const ForwardOptions& options_b, int n_gen, int reps) {
  const std::vector<int32_t> tokens = SyntheticTokens(n_gen, a.weights().config().vocab, 2);
  std::vector<float> logits;
  std::pair<std::vector<double>, std::vector<double>> seconds;
  for (int r = -1; r < reps; ++r) {  // r = -1: warm-up, not recorded
    a.Reset();
    b.Reset();
    double sum_a = 0, sum_b = 0;
    for (int i = 0; i < n_gen; ++i) {
      const Clock::time_point start = Clock::now();
      if (absl::Status s = a.Forward({tokens[i]}, &logits, options_a); !s.ok()) return s;
      const Clock::time_point middle = Clock::now();
      if (absl::Status s = b.Forward({tokens[i]}, &logits, options_b); !s.ok()) return s;
      sum_a += std::chrono::duration<double>(middle - start).count();
      sum_b += std::chrono::duration<double>(Clock::now() - middle).count();
    }
    if (r >= 0) {
      seconds.first.push_back(sum_a);
      seconds.second.push_back(sum_b);
    }
  }
  return seconds;
}

double Mean(const std::vector<double>& v) {
  double sum = 0;
  for (double x : v) sum += x;
  return v.empty() ? 0 : sum / v.size();
}

double MeanTps(int tokens, const std::vector<double>& seconds) {
  double sum = 0;
  for (double s : seconds) sum += tokens / s;
  return seconds.empty() ? 0 : sum / seconds.size();
}

double StddevTps(int tokens, const std::vector<double>& seconds) {
  if (seconds.size() < 2) return 0;
  const double mean = MeanTps(tokens, seconds);
  double var = 0;
  for (double s : seconds) var += (tokens / s - mean) * (tokens / s - mean);
  return std::sqrt(var / (seconds.size() - 1));
}

}  // namespace model
