#include "common/contracts/contract.h"

#include <fstream>
#include <set>
#include <sstream>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "yaml-cpp/yaml.h"

namespace contracts {
namespace {

constexpr size_t kMaxFileBytes = 1 << 20;

// Builds "path:line: [claim 'id': ]why".
class ErrorSite {
 public:
  explicit ErrorSite(const std::string& path) : path_(path) {}
  absl::Status At(const YAML::Node& node, const std::string& why,
                  const std::string& claim = "") const {
    int line = node.Mark().line >= 0 ? node.Mark().line + 1 : 0;
    std::string where = line > 0 ? absl::StrCat(path_, ":", line) : path_;
    std::string who = claim.empty() ? "" : absl::StrCat("claim '", claim, "': ");
    return absl::InvalidArgumentError(absl::StrCat(where, ": ", who, why));
  }

 private:
  std::string path_;
};

absl::Status CheckKeys(const YAML::Node& map, const std::set<std::string>& allowed,
                       const ErrorSite& site, const std::string& claim = "") {
  for (const auto& kv : map) {
    std::string key = kv.first.IsScalar() ? kv.first.Scalar() : "";
    if (!allowed.count(key)) {
      return site.At(kv.first,
                     absl::StrCat("unknown key '", key, "' (allowed: ",
                                  absl::StrJoin(allowed, ", "), ")"),
                     claim);
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> RequiredScalar(const YAML::Node& map, const std::string& key,
                                           const ErrorSite& site,
                                           const std::string& claim = "") {
  YAML::Node value = map[key];
  if (!value) return site.At(map, absl::StrCat("missing '", key, "'"), claim);
  if (!value.IsScalar() || value.Scalar().empty()) {
    return site.At(value, absl::StrCat("'", key, "' must be a non-empty scalar"), claim);
  }
  return value.Scalar();
}

bool IsValidId(const std::string& id) {
  if (id.empty() || id.size() > 100) return false;
  for (char c : id) {
    if (!(std::islower(static_cast<unsigned char>(c)) ||
          std::isdigit(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.')) {
      return false;
    }
  }
  return true;
}

absl::Status ValidSeverity(const std::string& severity, const YAML::Node& node,
                           const ErrorSite& site, const std::string& claim) {
  static const std::set<std::string> kSeverities = {"P0", "P1", "P2", "P3"};
  if (!kSeverities.count(severity)) {
    return site.At(node, absl::StrCat("severity '", severity, "' is not one of P0, P1, P2, P3"),
                   claim);
  }
  return absl::OkStatus();
}

absl::StatusOr<Claim> ParseClaim(const YAML::Node& node, const ErrorSite& site) {
  if (!node.IsMap()) return site.At(node, "a claim must be a mapping");
  auto id = RequiredScalar(node, "id", site);
  if (!id.ok()) return id.status();
  if (!IsValidId(*id)) {
    return site.At(node["id"], absl::StrCat("claim id '", *id,
                                            "' must be lower-case letters, digits, '-', '_', '.'"));
  }
  Claim claim;
  claim.id = *id;
  claim.line = node.Mark().line + 1;
  if (auto s = CheckKeys(node, {"id", "description", "metric", "check", "severity"}, site, *id);
      !s.ok()) {
    return s;
  }
  auto metric = RequiredScalar(node, "metric", site, *id);
  if (!metric.ok()) return metric.status();
  claim.metric = *metric;
  auto check_text = RequiredScalar(node, "check", site, *id);
  if (!check_text.ok()) return check_text.status();
  auto check = CheckExpression::Parse(*check_text);
  if (!check.ok()) return site.At(node["check"], std::string(check.status().message()), *id);
  claim.check = *check;
  auto severity = RequiredScalar(node, "severity", site, *id);
  if (!severity.ok()) return severity.status();
  if (auto s = ValidSeverity(*severity, node["severity"], site, *id); !s.ok()) return s;
  claim.severity = *severity;
  if (node["description"]) {
    if (!node["description"].IsScalar()) {
      return site.At(node["description"], "'description' must be text", *id);
    }
    claim.description = node["description"].Scalar();
  }
  return claim;
}

absl::StatusOr<Contract> ParseRoot(const YAML::Node& root, const std::string& path) {
  ErrorSite site(path);
  if (!root.IsMap()) return site.At(root, "a contract file must be a YAML mapping");
  if (auto s = CheckKeys(root, {"contract", "version", "status", "metadata", "claims",
                                "falsification"},
                         site);
      !s.ok()) {
    return s;
  }
  Contract contract;
  contract.path = path;
  auto name = RequiredScalar(root, "contract", site);
  if (!name.ok()) return name.status();
  contract.name = *name;

  auto version = RequiredScalar(root, "version", site);
  if (!version.ok()) return version.status();
  try {
    contract.version = root["version"].as<int>();
  } catch (const YAML::Exception&) {
    contract.version = 0;
  }
  if (contract.version < 1) return site.At(root["version"], "'version' must be a whole number >= 1");

  auto status = RequiredScalar(root, "status", site);
  if (!status.ok()) return status.status();
  if (*status != "enforced" && *status != "draft") {
    return site.At(root["status"], "'status' must be 'enforced' or 'draft'");
  }
  contract.status = *status;

  if (YAML::Node metadata = root["metadata"]) {
    if (!metadata.IsMap()) return site.At(metadata, "'metadata' must be a mapping");
    for (const auto& kv : metadata) {
      const std::string key = kv.first.Scalar();
      if (key == "citations") {
        if (!kv.second.IsSequence()) return site.At(kv.second, "'citations' must be a list");
        for (const auto& c : kv.second) {
          if (!c.IsScalar()) return site.At(c, "a citation must be text");
          contract.citations.push_back(c.Scalar());
        }
      } else if (kv.second.IsScalar()) {
        contract.metadata[key] = kv.second.Scalar();
      } else {
        return site.At(kv.second, absl::StrCat("metadata '", key, "' must be text"));
      }
    }
  }

  YAML::Node claims = root["claims"];
  if (!claims) return site.At(root, "missing 'claims'");
  if (!claims.IsSequence() || claims.size() == 0) {
    return site.At(claims, "'claims' must be a non-empty list");
  }
  std::set<std::string> seen;
  for (const auto& node : claims) {
    auto claim = ParseClaim(node, site);
    if (!claim.ok()) return claim.status();
    if (!seen.insert(claim->id).second) {
      return site.At(node, "duplicate claim id", claim->id);
    }
    contract.claims.push_back(*std::move(claim));
  }

  if (YAML::Node falsification = root["falsification"]) {
    if (!falsification.IsSequence()) return site.At(falsification, "'falsification' must be a list");
    for (const auto& node : falsification) {
      if (!node.IsMap()) return site.At(node, "a falsification entry must be a mapping");
      if (auto s = CheckKeys(node, {"id", "condition", "severity"}, site); !s.ok()) return s;
      Falsification f;
      auto id = RequiredScalar(node, "id", site);
      if (!id.ok()) return id.status();
      auto condition = RequiredScalar(node, "condition", site, *id);
      if (!condition.ok()) return condition.status();
      auto severity = RequiredScalar(node, "severity", site, *id);
      if (!severity.ok()) return severity.status();
      if (auto s = ValidSeverity(*severity, node["severity"], site, *id); !s.ok()) return s;
      contract.falsification.push_back({*id, *condition, *severity});
    }
  }
  return contract;
}

}  // namespace

absl::StatusOr<Contract> ParseContract(const std::string& yaml_text, const std::string& path) {
  try {
    return ParseRoot(YAML::Load(yaml_text), path);
  } catch (const YAML::Exception& e) {
    int line = e.mark.line >= 0 ? e.mark.line + 1 : 0;
    return absl::InvalidArgumentError(
        absl::StrCat(path, ":", line, ": malformed YAML: ", e.msg));
  }
}

absl::StatusOr<Contract> LoadContractFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot open contract file"));
  std::string text;
  text.resize(kMaxFileBytes + 1);
  in.read(text.data(), text.size());
  text.resize(in.gcount());
  if (text.size() > kMaxFileBytes) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": contract file larger than 1 MiB"));
  }
  return ParseContract(text, path);
}

}  // namespace contracts
