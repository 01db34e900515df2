// libFuzzer target: the contract loader and check-expression parser.
#include <cstddef>
#include <cstdint>
#include <string>

#include "common/contracts/claim_evaluation.h"
#include "common/contracts/contract.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto contract = contracts::ParseContract(text, "fuzz.yaml");
  if (contract.ok()) {
    contracts::MetricRegistry registry;
    registry.Add("fuzz.one", "1", [] { return 1.0; });
    for (const contracts::Claim& claim : contract->claims) (void)contracts::EvaluateClaim(*contract, claim, registry);
  }
  (void)contracts::CheckExpression::Parse(text);
  return 0;
}
