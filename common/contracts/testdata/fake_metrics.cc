// A metric source for the contract machinery's own tests.
#include "common/contracts/metric_registry.h"

namespace contracts {

void RegisterMetrics(MetricRegistry& registry) {
  registry.Add("fake.three", "the number 3", [] { return 3.0; });
  registry.Add("fake.six", "the number 6", [] { return 6.0; });
}

}  // namespace contracts
