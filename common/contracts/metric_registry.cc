#include "common/contracts/metric_registry.h"

#include <cstdio>
#include <cstdlib>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace contracts {

void MetricRegistry::Add(const std::string& name,
                         const std::string& description, Compute compute) {
  if (entries_.count(name)) {
    std::fprintf(stderr, "MetricRegistry: metric %s added twice\n", name.c_str());
    std::abort();
  }
  entries_[name] = Entry{description, std::move(compute), std::nullopt};
}

bool MetricRegistry::Has(const std::string& name) const {
  return entries_.count(name) > 0;
}

std::string MetricRegistry::Description(const std::string& name) const {
  auto it = entries_.find(name);
  return it == entries_.end() ? "" : it->second.description;
}

std::vector<std::string> MetricRegistry::Names() const {
  std::vector<std::string> names;
  for (const auto& [name, entry] : entries_) names.push_back(name);
  return names;
}

absl::StatusOr<double> MetricRegistry::Get(const std::string& name) {
  auto it = entries_.find(name);
  if (it == entries_.end()) {
    return absl::NotFoundError(
        absl::StrCat("no library reports the metric '", name, "'"));
  }
  Entry& entry = it->second;
  if (!entry.value.has_value()) entry.value = entry.compute();
  return *entry.value;
}

const char* Sanitizer() {
  const char* sanitizer = std::getenv("APR_SANITIZER");
  return sanitizer != nullptr && *sanitizer != '\0' ? sanitizer : nullptr;
}

}  // namespace contracts
