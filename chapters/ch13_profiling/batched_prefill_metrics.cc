// Metrics of contracts/batched-prefill-v1.yaml.
#include "chapters/ch13_profiling/equivalence_metrics.h"
#include "common/contracts/metric_registry.h"

namespace contracts {

void RegisterMetrics(MetricRegistry& registry) {
  registry.Add("prefill.batched_serial_max_rel_diff",
               "largest relative difference of batched and token-by-token prefill logits",
               []() -> absl::StatusOr<double> {
                 auto e = ch13::MeasureEquivalence();
                 if (!e.ok()) return e.status();
                 return e->batched_serial_max_rel;
               });
  registry.Add("prefill.speedup_91", "serial over batched prefill time of 91 tokens, default model (medians)",
               []() {
                 // Under a sanitizer the claim is reported, not enforced
                 // (.bazelrc): one pair without a warm-up runs the same code
                 // in a third of the time.
                 const bool instrumented = Sanitizer() != nullptr;
                 return ch13::MeasurePrefillSpeedup(instrumented ? 1 : 3, /*warm_up=*/!instrumented);
               });
}

}  // namespace contracts
