// Metrics of contracts/ffn-fusion-v1.yaml.
#include <memory>

#include "chapters/ch13_profiling/equivalence_metrics.h"
#include "common/contracts/metric_registry.h"

namespace contracts {

void RegisterMetrics(MetricRegistry& registry) {
  auto e = std::make_shared<absl::StatusOr<ch13::Equivalence>>(absl::UnknownError("not measured"));
  auto get = [e]() -> absl::StatusOr<ch13::Equivalence> {
    if (e->status().code() == absl::StatusCode::kUnknown) *e = ch13::MeasureEquivalence();
    return *e;
  };
  registry.Add("ffn.fused_unfused_max_abs_diff", "largest |fused - unfused| over every logit of a 13-token prompt",
               [get]() -> absl::StatusOr<double> {
                 auto r = get();
                 if (!r.ok()) return r.status();
                 return r->fused_unfused_max_abs;
               });
  registry.Add("ffn.dispatches_fused", "FFN gate/up dispatches per forward pass, fused",
               [get]() -> absl::StatusOr<double> {
                 auto r = get();
                 if (!r.ok()) return r.status();
                 return r->ffn_dispatches_fused;
               });
  registry.Add("ffn.dispatches_unfused", "FFN gate/up dispatches per forward pass, unfused",
               [get]() -> absl::StatusOr<double> {
                 auto r = get();
                 if (!r.ok()) return r.status();
                 return r->ffn_dispatches_unfused;
               });
}

}  // namespace contracts
