// 13.6's expectation: what this machine's calibrated kernels say the default
// model's decode, prefill and batched-over-serial speedup should be,
// calibrated in the same run as the measurements they are set against
// (contracts/fidelity-v1.yaml).
//
// Token by token, a prompt streams every weight once a token at the decode
// rate; batched, it spends its operations at the GEMM rate. So the speedup is
// about (GEMM ops/s / ops a token) / (decode bytes/s / bytes a token).
#ifndef APR_CHAPTERS_CH13_PROFILING_FIDELITY_H_
#define APR_CHAPTERS_CH13_PROFILING_FIDELITY_H_

#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "common/calibration/calibration.h"
#include "common/cost/op_cost.h"
#include "common/roofline/machine_profile.h"

namespace ch13 {

struct Fidelity {
  std::string calibrated_at;
  double decode_expected_tps = 0;   // one token at the chapter's decode depth
  double prefill_expected_tps = 0;  // the prompt, batched
  double serial_expected_seconds = 0, batched_expected_seconds = 0;
  double serial_bound_seconds = 0, batched_bound_seconds = 0;  // the roofline's
  // The balance: a batched token's operations at the GEMM rate the batched
  // pass is expected to reach, a serial token's bytes at decode's rate.
  double ops_per_token = 0, gemm_gops = 0;
  double bytes_per_token = 0, decode_gbps = 0;
  // Decode measured over expected in rounds alternating decode's
  // calibration with a run of decoded tokens: the median, least and most.
  double decode_ratio = 0, decode_ratio_least = 0, decode_ratio_most = 0;
  int decode_rounds = 0;
  // The batched-over-serial speedup measured over expected, the median of
  // rounds each pricing the serial run by decode's calibration timed just
  // before it.
  double speedup_ratio = 0;
  // Batched prefill measured over expected, the median of the same rounds,
  // the least and most.
  double prefill_ratio = 0, prefill_ratio_least = 0, prefill_ratio_most = 0;
  // The share of the model's copied weights and of the calibration's copies
  // on transparent huge pages after the rounds (negative: unknown). A share
  // far below the other's makes their streams unlike.
  double model_huge_pages = -1, calibration_huge_pages = -1;

  double SpeedupExpected() const {
    return batched_expected_seconds > 0 ? serial_expected_seconds / batched_expected_seconds : 0;
  }
  double SpeedupAtRoofs() const { return batched_bound_seconds > 0 ? serial_bound_seconds / batched_bound_seconds : 0; }
  double SpeedupByBalance() const {
    return ops_per_token > 0 && bytes_per_token > 0 && decode_gbps > 0
               ? (gemm_gops / ops_per_token) / (decode_gbps / bytes_per_token)
               : 0;
  }
};

// Calibrates the model's weight formats, attention and the other ops now
// (not cached; `quick` for instrumented builds).
absl::StatusOr<calibration::Calibration> CalibrateModel(const cost::ModelSpec& spec, int threads, bool quick,
                                                        const std::function<void(const std::string&)>& progress);

// Prices a decode at `decode_depth` by `for_decode` (its decode timed around
// the decode measurement), and the `prompt` batched and token by token by
// `for_prompt` (timed around theirs); `dram_gbps`, the best DRAM read seen,
// bounds what streams.
absl::StatusOr<Fidelity> PriceFidelity(const cost::ModelSpec& spec, const roofline::MachineProfile& machine,
                                       int threads, const std::string& cache_type, double dram_gbps, int prompt,
                                       int decode_depth, const calibration::Calibration& for_decode,
                                       const calibration::Calibration& for_prompt);

// 13.6's lines: the prediction beside the measured speedup.
std::string FidelityText(const Fidelity& f, double measured_speedup, double book_speedup);

}  // namespace ch13

#endif  // APR_CHAPTERS_CH13_PROFILING_FIDELITY_H_
