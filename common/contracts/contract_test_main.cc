// The main of every contract_test: one gtest case per claim of the contract
// files given as arguments, evaluated against the linked library's metrics.
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "common/contracts/claim_evaluation.h"
#include "common/contracts/contract.h"
#include "common/contracts/metric_registry.h"
#include "gtest/gtest.h"

namespace {

std::string TestName(std::string s) {
  for (char& c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return s;
}

class ClaimTest : public testing::Test {
 public:
  ClaimTest(const contracts::Contract* contract, const contracts::Claim* claim,
            contracts::MetricRegistry* registry, bool measured)
      : contract_(contract), claim_(claim), registry_(registry), measured_(measured) {}
  void TestBody() override {
    // A draft contract's claims are targets: measured and shown, not enforced.
    // Under a sanitizer (APR_SANITIZER set) timings mean nothing: a measured
    // contract's claims are likewise shown, not enforced, and a measured
    // draft's are not measured at all (the enforced contract's test and the
    // example's run the same code under the sanitizer).
    const char* sanitizer = contracts::Sanitizer();
    const bool instrumented = sanitizer != nullptr;
    if (contract_->status == "draft" && measured_ && instrumented) {
      GTEST_SKIP() << "draft contract under " << sanitizer << ": targets are timings, not measured here";
    }
    contracts::ClaimResult r = contracts::EvaluateClaim(*contract_, *claim_, *registry_);
    std::printf("%s\n", r.summary.c_str());
    EXPECT_TRUE(r.evaluated) << r.summary;
    if (contract_->status == "draft") {
      if (!r.holds) std::printf("(draft contract: a target not yet met, not enforced)\n");
    } else if (measured_ && instrumented) {
      if (!r.holds) std::printf("(built with %s: measured claims are reported, not enforced)\n", sanitizer);
    } else {
      EXPECT_TRUE(r.holds) << r.summary;
    }
  }

 private:
  const contracts::Contract* contract_;
  const contracts::Claim* claim_;
  contracts::MetricRegistry* registry_;
  bool measured_;
};

class LoadFailure : public testing::Test {
 public:
  explicit LoadFailure(std::string message) : message_(std::move(message)) {}
  void TestBody() override { ADD_FAILURE() << message_; }

 private:
  std::string message_;
};

}  // namespace

int main(int argc, char** argv) {
  testing::InitGoogleTest(&argc, argv);
  // CONTRACT.yaml... [--measured]: contracts over one metric source share
  // one test binary, so a source that runs something long runs it once.
  std::vector<std::string> paths;
  bool measured = false;
  for (int i = 1; i < argc; ++i) {
    if (std::string(argv[i]) == "--measured") {
      measured = true;
    } else {
      paths.push_back(argv[i]);
    }
  }
  if (paths.empty()) {
    std::fprintf(stderr, "usage: %s CONTRACT.yaml... [--measured]\n", argv[0]);
    return 2;
  }
  static contracts::MetricRegistry registry;
  contracts::RegisterMetrics(registry);
  // Registered tests keep pointers into these: never moved or freed.
  static std::deque<absl::StatusOr<contracts::Contract>> contracts_loaded;
  for (const std::string& path : paths) {
    const absl::StatusOr<contracts::Contract>& contract = contracts_loaded.emplace_back(contracts::LoadContractFile(path));
    if (!contract.ok()) {
      std::string message(contract.status().message());
      std::fprintf(stderr, "%s\n", message.c_str());
      testing::RegisterTest("Contract", TestName("Loads_" + path).c_str(), nullptr, nullptr, __FILE__, __LINE__,
                            [message]() -> testing::Test* { return new LoadFailure(message); });
      continue;
    }
    const std::string suite = TestName(contract->name);
    for (const contracts::Claim& claim : contract->claims) {
      const contracts::Claim* c = &claim;
      const contracts::Contract* owner = &*contract;
      testing::RegisterTest(suite.c_str(), TestName(claim.id).c_str(), nullptr, nullptr, path.c_str(), claim.line,
                            [owner, c, measured]() -> testing::Test* {
                              return new ClaimTest(owner, c, &registry, measured);
                            });
    }
  }
  return RUN_ALL_TESTS();
}
