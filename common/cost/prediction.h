// Places each op on a measured roofline and predicts its time.
//
// An op meets the memory level its working set fits in: weights stream once
// per token, so a weight-bound op meets the level that holds all the weights
// a token reads (DRAM for any real model); attention meets the level that
// holds the whole KV cache; small element-wise ops meet the level their own
// bytes fit in. Its roof is the int8 peak when its kernel is int8, the bf16
// dot product's for BF16 weights where the CPU has a faster one, else the
// FP32 FMA peak. Predicted time = max(bytes / bandwidth, ops / peak), plus one
// fork-join dispatch for ops run on the thread pool.
//
//   auto phase = PredictPhase(DecodeOps(spec, 0), profile, 2, /*tokens=*/1);
//   double tps = phase->TokensPerSecond();
#ifndef APR_COMMON_COST_PREDICTION_H_
#define APR_COMMON_COST_PREDICTION_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/cost/op_cost.h"
#include "common/roofline/machine_profile.h"

namespace cost {

struct OpPrediction {
  OpCost op;
  std::string level;   // "L1".."L3", "DRAM"
  double gbps = 0;     // that level's measured read bandwidth
  double peak_gops = 0;
  std::string roof;    // "int8_dot", "bf16_dot" or "fp32_fma"
  double memory_seconds = 0, compute_seconds = 0, dispatch_seconds = 0;
  double seconds = 0;
  // What this machine's kernels take, from a calibration (calibration/
  // expected_time.h); 0 until one is applied.
  double expected_seconds = 0;
  bool MemoryBound() const { return memory_seconds >= compute_seconds; }
};

struct PhasePrediction {
  std::vector<OpPrediction> ops;
  double tokens = 1;
  int threads = 1;
  double flops = 0, bytes = 0, seconds = 0;
  double weight_bytes = 0;  // weights read in the pass
  double expected_seconds = 0;  // 0: no calibration applied
  double Intensity() const { return bytes > 0 ? flops / bytes : 0; }
  double TokensPerSecond() const { return seconds > 0 ? tokens / seconds : 0; }
  double ExpectedTokensPerSecond() const { return expected_seconds > 0 ? tokens / expected_seconds : 0; }
  // The level and roof that dominate the predicted time.
  std::string DominantLevel() const;
  bool MemoryBound() const;
};

// `threads` must be 1 or the profile's thread count (the two measured).
absl::StatusOr<PhasePrediction> PredictPhase(const std::vector<OpCost>& ops,
                                             const roofline::MachineProfile& profile, int threads,
                                             double tokens);

// The smallest level of `profile` whose capacity (all threads) holds `bytes`.
std::string LevelFor(const roofline::MachineProfile& profile, int threads, double bytes);

}  // namespace cost

#endif  // APR_COMMON_COST_PREDICTION_H_
