#include "common/quant/decode_prefetch_tuning.h"

#include <algorithm>
#include <chrono>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/quant/cache_line_allocator.h"
#include "common/quant/decode_prefetch.h"
#include "common/stats/median.h"

namespace quant {
namespace {

using Clock = std::chrono::steady_clock;

constexpr int64_t kMinPassBytes = int64_t{64} << 20, kMaxPassBytes = int64_t{1} << 30;

int64_t MatrixBytes(const WeightMatrix& w) { return int64_t(w.Stride()) * w.rows; }

// One token through matrices from `matrices` in order, wrapping, until
// `pass_bytes` are read.
class Pass {
 public:
  Pass(const std::vector<WeightMatrix>& matrices, int64_t pass_bytes) : matrices_(matrices), pass_bytes_(pass_bytes) {
    int64_t cols = 0, rows = 0;
    for (const WeightMatrix& w : matrices) {
      cols = std::max(cols, w.cols);
      rows = std::max(rows, w.rows);
    }
    x_.assign(size_t(cols), 0.25f);
    y_.resize(size_t(rows));
  }
  double Seconds(parallel::ThreadPool& pool) {
    const Clock::time_point start = Clock::now();
    int64_t read = 0;
    for (size_t i = 0; read < pass_bytes_; i = (i + 1) % matrices_.size()) {
      MatMul(pool, "decode_prefetch", matrices_[i], x_.data(), 1, y_.data());
      read += MatrixBytes(matrices_[i]);
    }
    return std::chrono::duration<double>(Clock::now() - start).count();
  }

 private:
  const std::vector<WeightMatrix>& matrices_;
  const int64_t pass_bytes_;
  std::vector<float> x_;
  LineAlignedFloats y_;
};

}  // namespace

std::string DecodePrefetchChoice::Describe() const {
  std::string s = absl::StrCat("decode prefetch ", bytes, " B ahead");
  if (trials.empty()) return s + " (not measured)";
  absl::StrAppend(&s, " (medians of a pass over ", absl::StrFormat("%.0f", double(pass_bytes) / (1 << 20)),
                  " MiB of weights:");
  for (size_t i = 0; i < trials.size(); ++i) {
    absl::StrAppend(&s, i ? ", " : " ", trials[i].bytes, " B ",
                    absl::StrFormat("%.1f", trials[i].pass_seconds * 1e3), " ms");
  }
  return s + ")";
}

int64_t ChooseDecodePrefetch(const std::vector<DecodePrefetchTrial>& trials) {
  constexpr double kTie = 1.03;
  if (trials.empty()) return DecodePrefetchBytes();
  double fastest = trials.front().pass_seconds;
  for (const DecodePrefetchTrial& t : trials) fastest = std::min(fastest, t.pass_seconds);
  int64_t chosen = 0;
  for (const DecodePrefetchTrial& t : trials) {
    if (t.pass_seconds <= kTie * fastest) chosen = std::max(chosen, t.bytes);
  }
  return chosen;
}

DecodePrefetchChoice MeasureDecodePrefetch(parallel::ThreadPool& pool, const std::vector<WeightMatrix>& matrices,
                                           const std::vector<int64_t>& candidates, int rounds) {
  DecodePrefetchChoice choice;
  choice.bytes = DecodePrefetchBytes();
  int64_t total = 0;
  for (const WeightMatrix& w : matrices) total += MatrixBytes(w);
  if (total == 0 || candidates.empty()) return choice;
  const int64_t in_use = choice.bytes;
  choice.pass_bytes = std::clamp(total, kMinPassBytes, kMaxPassBytes);
  Pass pass(matrices, choice.pass_bytes);
  pass.Seconds(pool);
  // Rounds rotate the order, so no candidate always follows the same one
  // (this VM's read rate drifts within seconds).
  std::vector<std::vector<double>> seconds(candidates.size());
  for (int round = 0; round < rounds; ++round) {
    for (size_t k = 0; k < candidates.size(); ++k) {
      const size_t i = (k + size_t(round)) % candidates.size();
      SetDecodePrefetchBytes(candidates[i]);
      seconds[i].push_back(pass.Seconds(pool));
    }
  }
  SetDecodePrefetchBytes(in_use);
  for (size_t i = 0; i < candidates.size(); ++i) choice.trials.push_back({candidates[i], stats::Median(seconds[i])});
  choice.bytes = ChooseDecodePrefetch(choice.trials);
  return choice;
}

const DecodePrefetchChoice& EnsureDecodePrefetchTuned(parallel::ThreadPool& pool,
                                                      absl::FunctionRef<std::vector<WeightMatrix>()> matrices) {
  static std::mutex mutex;
  static DecodePrefetchChoice* chosen = nullptr;
  static DecodePrefetchChoice untimed;
  std::lock_guard<std::mutex> lock(mutex);
  if (chosen != nullptr) return *chosen;
  const std::vector<WeightMatrix> timed = matrices();
  if (timed.empty()) {
    untimed.bytes = DecodePrefetchBytes();
    return untimed;
  }
  chosen = new DecodePrefetchChoice(MeasureDecodePrefetch(pool, timed));
  SetDecodePrefetchBytes(chosen->bytes);
  return *chosen;
}

}  // namespace quant
