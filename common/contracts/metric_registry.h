// A named set of metrics that a chapter library reports to its contracts.
//
// A metric is a number computed or measured on demand (lazily, once): a
// contract asks only for the metrics its claims name, so a contract about
// arithmetic does not pay for a benchmark.
//
//   contracts::MetricRegistry registry;
//   registry.Add("roofline.decode_oi", "FLOP/byte of 7B Q4_K decode",
//                [] { return DecodeOi(); });
//   absl::StatusOr<double> oi = registry.Get("roofline.decode_oi");
#ifndef APR_COMMON_CONTRACTS_METRIC_REGISTRY_H_
#define APR_COMMON_CONTRACTS_METRIC_REGISTRY_H_

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace contracts {

class MetricRegistry {
 public:
  using Compute = std::function<absl::StatusOr<double>()>;

  // Adds a metric; a second metric of the same name is a programmer error.
  void Add(const std::string& name, const std::string& description,
           Compute compute);

  bool Has(const std::string& name) const;
  std::string Description(const std::string& name) const;
  std::vector<std::string> Names() const;

  // The metric's value, computed on first use. NotFound for an unknown name.
  absl::StatusOr<double> Get(const std::string& name);

 private:
  struct Entry {
    std::string description;
    Compute compute;
    std::optional<absl::StatusOr<double>> value;
  };
  std::map<std::string, Entry> entries_;
};

// The sanitizer this process runs under (APR_SANITIZER, .bazelrc), or null:
// timings mean nothing there, so contracts report measured claims instead of
// enforcing them, and what measures may measure less.
const char* Sanitizer();

// Defined by the library that a contract_test links as its metric source.
void RegisterMetrics(MetricRegistry& registry);

}  // namespace contracts

#endif  // APR_COMMON_CONTRACTS_METRIC_REGISTRY_H_
