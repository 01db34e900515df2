#include "chapters/ch13_profiling/fidelity.h"

#include "absl/strings/str_format.h"
#include "common/calibration/expected_time.h"
#include "common/calibration/measure_calibration.h"
#include "common/cost/prediction.h"
#include "common/model/forward.h"

namespace ch13 {

absl::StatusOr<calibration::Calibration> CalibrateModel(const cost::ModelSpec& spec, int threads, bool quick,
                                                        const std::function<void(const std::string&)>& progress) {
  calibration::CalibrateOptions options;
  options.threads = threads;
  options.formats = calibration::MatrixFormats(spec);
  options.quick = quick;
  options.progress = progress;
  return calibration::MeasureCalibration(options);
}

absl::StatusOr<Fidelity> PriceFidelity(const cost::ModelSpec& spec, const roofline::MachineProfile& machine,
                                       int threads, const std::string& cache_type, double dram_gbps, int prompt,
                                       int decode_depth, const calibration::Calibration& for_decode,
                                       const calibration::Calibration& for_prompt) {
  Fidelity f;
  f.calibrated_at = for_prompt.measured_at;
  // Each phase priced on the roofline (the bound) and by a calibration.
  auto phase = [&](const std::vector<cost::OpCost>& ops, double tokens,
                   const calibration::Calibration& cal) -> absl::StatusOr<cost::PhasePrediction> {
    auto p = cost::PredictPhase(ops, machine, threads, tokens);
    if (!p.ok()) return p.status();
    if (auto s = calibration::AddExpected(cal, spec, cache_type, dram_gbps, &*p); !s.ok()) return s;
    return p;
  };
  auto decode = phase(cost::DecodeOps(spec, decode_depth), 1, for_decode);
  if (!decode.ok()) return decode.status();
  auto batched = phase(cost::PromptOps(spec, prompt, 0, model::kPrefillMicroBatch), prompt, for_prompt);
  if (!batched.ok()) return batched.status();
  // Token by token: micro-batches of one, the output head only at the end.
  auto serial = phase(cost::PromptOps(spec, prompt, 0, 1), prompt, for_prompt);
  if (!serial.ok()) return serial.status();
  f.decode_expected_tps = decode->ExpectedTokensPerSecond();
  f.prefill_expected_tps = batched->ExpectedTokensPerSecond();
  f.serial_expected_seconds = serial->expected_seconds;
  f.batched_expected_seconds = batched->expected_seconds;
  f.serial_bound_seconds = serial->seconds;
  f.batched_bound_seconds = batched->seconds;
  f.ops_per_token = batched->flops / prompt;
  f.gemm_gops = batched->flops / batched->expected_seconds / 1e9;
  f.bytes_per_token = serial->bytes / prompt;
  f.decode_gbps = serial->bytes / serial->expected_seconds / 1e9;
  return f;
}

std::string FidelityText(const Fidelity& f, double measured_speedup, double book_speedup) {
  std::string s = "\n  Why this speedup: token by token streams every weight a token at the decode rate,\n"
                  "  batched spends its operations at the GEMM rate. This machine's kernels, calibrated in\n"
                  "  this run (" + f.calibrated_at + "), put those at:\n";
  absl::StrAppendFormat(&s, "    batched: %.2f GOP a token at %.0f GOPS = %.0f tok/s\n", f.ops_per_token / 1e9,
                        f.gemm_gops, f.gemm_gops * 1e9 / f.ops_per_token);
  absl::StrAppendFormat(&s, "    token by token: %.1f MB a token at %.1f GB/s = %.0f tok/s\n", f.bytes_per_token / 1e6,
                        f.decode_gbps, f.decode_gbps * 1e9 / f.bytes_per_token);
  absl::StrAppendFormat(&s,
                        "  speedup expected %.1fx (the balance alone %.1fx), measured %.1fx; at the roofline's\n"
                        "  ceilings this machine would allow %.1fx, against the book's %.1fx\n",
                        f.SpeedupExpected(), f.SpeedupByBalance(), measured_speedup, f.SpeedupAtRoofs(),
                        book_speedup);
  absl::StrAppendFormat(&s, "  (measured over expected, round by round with decode's calibration timed again before\n"
                        "  each pair of runs: %.2f, the median)\n", f.speedup_ratio);
  return s;
}

}  // namespace ch13
