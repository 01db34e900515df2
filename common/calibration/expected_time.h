// The expected time of a forward pass on this machine: each op of a
// roofline prediction priced by the calibration of the kernel that runs it
// (calibration.h) instead of by the roof.
//
//   auto phase = cost::PredictPhase(cost::DecodeOps(spec, 64), machine, 2, 1);
//   absl::Status s = AddExpected(calibration, spec, "f16", dram_now, &*phase);
//   double tps = phase->ExpectedTokensPerSecond();
#ifndef APR_COMMON_CALIBRATION_EXPECTED_TIME_H_
#define APR_COMMON_CALIBRATION_EXPECTED_TIME_H_

#include <string>

#include "absl/status/status.h"
#include "common/calibration/calibration.h"
#include "common/cost/op_cost.h"
#include "common/cost/prediction.h"

namespace calibration {

// Sets every op's expected_seconds and the phase's total. A matrix product
// is priced at its own shape and token count; attention a layer from its
// cache bytes and FLOPs (decode when the phase is one token); the other ops
// a layer by their group's line. `dram_gbps` > 0: what decode streams from
// DRAM goes no faster than that read bandwidth (measured now); `cache_type` names the
// KV cache's ("f16"), or its keys' and values' ("q8_0/f16",
// model::KvCacheTypesName). NotFound when a format or a cache type was not
// calibrated; InvalidArgument when the calibration's thread count differs.
absl::Status AddExpected(const Calibration& c, const cost::ModelSpec& spec, const std::string& cache_type,
                         double dram_gbps, cost::PhasePrediction* phase);

// The expected seconds of a pass over `ops` (`tokens` new tokens) on
// `threads` threads, as AddExpected prices it, without a roofline.
absl::StatusOr<double> ExpectedSeconds(const Calibration& c, const cost::ModelSpec& spec,
                                       const std::vector<cost::OpCost>& ops, double tokens, int threads,
                                       const std::string& cache_type, double dram_gbps);

}  // namespace calibration

#endif  // APR_COMMON_CALIBRATION_EXPECTED_TIME_H_
