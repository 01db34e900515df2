// 13.7's long-context measurement: decode after 0, 4096 and 16384 cached
// tokens with the cache in F32, F16 and Q8_0, timed in alternating rounds,
// beside the bytes each token reads and the roofline's prediction.
//
//   auto lc = MeasureLongContext(weights, pool, spec, machine, threads, 3, false, progress);
#ifndef APR_CHAPTERS_CH13_PROFILING_LONG_CONTEXT_H_
#define APR_CHAPTERS_CH13_PROFILING_LONG_CONTEXT_H_

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/cost/op_cost.h"
#include "common/model/kv_cache.h"
#include "common/model/weights.h"
#include "common/parallel/thread_pool.h"
#include "common/roofline/machine_profile.h"

namespace ch13 {

inline constexpr std::array<int, 3> kLongDepths = {0, 4096, 16384};
inline constexpr std::array<model::KvCacheType, 3> kLongCacheTypes = {
    model::KvCacheType::kF32, model::KvCacheType::kF16, model::KvCacheType::kQ8_0};
// Tokens actually prefilled; the cache is filled to each depth by repeating
// their keys and values (decode reads every cached position alike). A quick
// run (instrumented builds) prefills fewer.
inline constexpr int kLongPrefillTokens = 512, kLongPrefillTokensQuick = 64;
inline constexpr int kLongGenTokens = 8;  // decoded per timing

struct LongContextRow {
  model::KvCacheType type;
  int depth = 0;
  double median_seconds = 0;  // per decoded token
  double weight_bytes = 0;    // per decoded token
  double kv_bytes = 0;        // per decoded token, at the cache's type
  double predicted_tps = 0;   // the roofline's bound
  double Tps() const { return median_seconds > 0 ? 1 / median_seconds : 0; }
  double Gbps() const { return (weight_bytes + kv_bytes) * Tps() / 1e9; }
};

struct LongContext {
  std::vector<LongContextRow> rows;  // depth-major, kLongCacheTypes order
  int prefill_tokens = 0;            // really prefilled, then repeated
  // Time of an F32-cache token over a Q8_0-cache token at the deepest depth,
  // the median over the alternating rounds' ratios.
  double f32_over_q8_deepest = 0;
  // Where each type's cache bytes per token overtake the weights'.
  std::array<uint64_t, 3> overtakes_at{};
  const LongContextRow* Find(model::KvCacheType type, int depth) const;
};

absl::StatusOr<LongContext> MeasureLongContext(const model::ModelWeights& weights, parallel::ThreadPool& pool,
                                               const cost::ModelSpec& spec, const roofline::MachineProfile& machine,
                                               int threads, int rounds, bool quick,
                                               const std::function<void(const std::string&)>& progress);

}  // namespace ch13

#endif  // APR_CHAPTERS_CH13_PROFILING_LONG_CONTEXT_H_
