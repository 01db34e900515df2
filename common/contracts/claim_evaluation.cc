#include "common/contracts/claim_evaluation.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace contracts {

ClaimResult EvaluateClaim(const Contract& contract, const Claim& claim,
                          MetricRegistry& registry) {
  ClaimResult result;
  const std::string where =
      absl::StrCat(contract.path, ":", claim.line, ": claim '", claim.id, "' [", claim.severity, "]");
  auto value = registry.Get(claim.metric);
  if (!value.ok()) {
    result.summary = absl::StrCat(where, ": metric '", claim.metric, "': ", value.status().message());
    return result;
  }
  auto outcome = claim.check.Evaluate(*value, [&](const std::string& name) {
    return registry.Get(name);
  });
  if (!outcome.ok()) {
    result.summary = absl::StrCat(where, ": check '", claim.check.text(), "': ",
                                  outcome.status().message());
    return result;
  }
  result.evaluated = true;
  result.holds = outcome->holds;
  result.value = *value;
  result.bound = outcome->bound;
  result.summary = absl::StrFormat("%s: %s = %.6g, check '%s' (bound %.6g): %s", where,
                                   claim.metric, *value, claim.check.text(), outcome->bound,
                                   outcome->holds ? "holds" : "FALSE");
  return result;
}

}  // namespace contracts
