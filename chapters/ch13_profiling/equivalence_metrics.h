// Numerical equivalences the fusion and batching contracts rest on, on a
// small synthetic qwen2 model (Q4_K), and the prefill speedup on the default
// model.
#ifndef APR_CHAPTERS_CH13_PROFILING_EQUIVALENCE_METRICS_H_
#define APR_CHAPTERS_CH13_PROFILING_EQUIVALENCE_METRICS_H_

#include "absl/status/statusor.h"

namespace ch13 {

struct Equivalence {
  double fused_unfused_max_abs = 0;       // over every logit of a 13-token prompt
  double batched_serial_max_rel = 0;      // last-token logits
  double ffn_dispatches_fused = 0;        // per decoded token
  double ffn_dispatches_unfused = 0;
};

absl::StatusOr<Equivalence> MeasureEquivalence();

// Serial over batched median time of a 91-token prefill of the default model.
absl::StatusOr<double> MeasurePrefillSpeedup(int repetitions, bool warm_up = true);

}  // namespace ch13

#endif  // APR_CHAPTERS_CH13_PROFILING_EQUIVALENCE_METRICS_H_
