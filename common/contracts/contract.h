// A chapter contract: claims about measured or computed metrics, read from YAML.
//
//   contract: apr-book-ch13
//   version: 1
//   status: enforced                 # or: draft (targets: measured, shown, not enforced)
//   metadata: {title: ..., part: IV, example: ch13_profiling, citations: [...]}
//   claims:
//     - id: decode-is-memory-bound
//       description: one decode token reads every weight once
//       metric: roofline.decode_oi_7b_q4k
//       check: "< machine.ridge_int8"
//       severity: P0                 # P0 (blocks) .. P3
//   falsification:
//     - id: example-exits-nonzero
//       condition: the chapter example exits non-zero
//       severity: P0
//
//   absl::StatusOr<Contract> c = LoadContractFile("contracts/x.yaml");
//
// Every error names the file, the line and, where there is one, the claim.
#ifndef APR_COMMON_CONTRACTS_CONTRACT_H_
#define APR_COMMON_CONTRACTS_CONTRACT_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/contracts/check_expression.h"

namespace contracts {

struct Claim {
  std::string id;
  std::string description;
  std::string metric;
  CheckExpression check;
  std::string severity;  // "P0".."P3"
  int line = 0;          // 1-based line of the claim in its file
};

struct Falsification {
  std::string id;
  std::string condition;
  std::string severity;
};

struct Contract {
  std::string path;
  std::string name;
  int version = 0;
  std::string status;
  std::map<std::string, std::string> metadata;  // scalar entries
  std::vector<std::string> citations;
  std::vector<Claim> claims;
  std::vector<Falsification> falsification;
};

// Parses YAML text; `path` is used in messages only.
absl::StatusOr<Contract> ParseContract(const std::string& yaml_text,
                                       const std::string& path);

absl::StatusOr<Contract> LoadContractFile(const std::string& path);

}  // namespace contracts

#endif  // APR_COMMON_CONTRACTS_CONTRACT_H_
