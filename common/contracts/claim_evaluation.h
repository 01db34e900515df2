// Evaluates a contract's claims against the metrics a library reports.
//
//   MetricRegistry registry;  RegisterMetrics(registry);
//   for (const Claim& claim : contract.claims) {
//     ClaimResult r = EvaluateClaim(contract, claim, registry);
//     std::cout << r.summary << "\n";
//   }
#ifndef APR_COMMON_CONTRACTS_CLAIM_EVALUATION_H_
#define APR_COMMON_CONTRACTS_CLAIM_EVALUATION_H_

#include <string>

#include "common/contracts/contract.h"
#include "common/contracts/metric_registry.h"

namespace contracts {

struct ClaimResult {
  bool holds = false;
  bool evaluated = false;  // false: a metric was unknown or failed to compute
  double value = 0;
  double bound = 0;
  // One line: "path:line claim 'id': metric = v, check '> 1' (bound 1): holds"
  // or the reason it could not be evaluated.
  std::string summary;
};

ClaimResult EvaluateClaim(const Contract& contract, const Claim& claim,
                          MetricRegistry& registry);

}  // namespace contracts

#endif  // APR_COMMON_CONTRACTS_CLAIM_EVALUATION_H_
