#include "gtest/gtest.h"
#include "common/contracts/contract.h"

namespace contracts {
namespace {

constexpr char kGood[] = R"(contract: demo
version: 1
status: enforced
metadata:
  title: Demo
  part: IV
  citations: ["Williams et al. 2009"]
claims:
  - id: oi-above-one
    description: decode reads more than it computes
    metric: roofline.decode_oi
    check: "> 1.0"
    severity: P0
falsification:
  - id: example-fails
    condition: the example exits non-zero
    severity: P0
)";

TEST(ContractLoad, ParsesAWellFormedFile) {
  auto c = ParseContract(kGood, "demo.yaml");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->name, "demo");
  EXPECT_EQ(c->version, 1);
  EXPECT_EQ(c->metadata.at("part"), "IV");
  ASSERT_EQ(c->citations.size(), 1u);
  ASSERT_EQ(c->claims.size(), 1u);
  EXPECT_EQ(c->claims[0].id, "oi-above-one");
  EXPECT_EQ(c->claims[0].metric, "roofline.decode_oi");
  EXPECT_EQ(c->claims[0].line, 9);
  ASSERT_EQ(c->falsification.size(), 1u);
}

struct BadCase {
  const char* what;
  std::string text;
  const char* expected;  // substring of the error
};

std::string Replace(std::string text, const std::string& from, const std::string& to) {
  text.replace(text.find(from), from.size(), to);
  return text;
}

TEST(ContractLoad, EachMalformationHasItsOwnMessage) {
  const std::string good = kGood;
  const BadCase cases[] = {
      {"not yaml", "claims: [", "malformed YAML"},
      {"not a map", "- 1\n- 2\n", "must be a YAML mapping"},
      {"no claims", Replace(good, "claims:", "claimz:"), "unknown key 'claimz'"},
      {"bad version", Replace(good, "version: 1", "version: one"), "'version' must be"},
      {"bad status", Replace(good, "status: enforced", "status: maybe"), "'status' must be"},
      {"bad severity", Replace(good, "severity: P0\nfals", "severity: P9\nfals"),
       "claim 'oi-above-one': severity 'P9'"},
      {"bad check", Replace(good, "\"> 1.0\"", "\">> 1.0\""), "claim 'oi-above-one'"},
      {"no metric", Replace(good, "    metric: roofline.decode_oi\n", ""),
       "claim 'oi-above-one': missing 'metric'"},
      {"unknown claim key", Replace(good, "description:", "descripton:"), "unknown key 'descripton'"},
      {"bad id", Replace(good, "id: oi-above-one", "id: OI Above"), "claim id 'OI Above'"},
      {"duplicate id",
       Replace(good, "falsification:",
               "  - id: oi-above-one\n    metric: x\n    check: \"> 1\"\n    severity: P1\n"
               "falsification:"),
       "duplicate claim id"},
      {"empty claims", Replace(good, "claims:\n", "claims: []\nx:\n"), "unknown key 'x'"},
  };
  for (const BadCase& c : cases) {
    auto result = ParseContract(c.text, "bad.yaml");
    ASSERT_FALSE(result.ok()) << c.what;
    std::string message(result.status().message());
    EXPECT_NE(message.find("bad.yaml:"), std::string::npos) << c.what << ": " << message;
    EXPECT_NE(message.find(c.expected), std::string::npos) << c.what << ": " << message;
  }
}

TEST(ContractLoad, ErrorGivesTheLine) {
  auto result = ParseContract(Replace(kGood, "severity: P0\nfals", "severity: P9\nfals"), "f.yaml");
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.status().message().find("f.yaml:13:"), std::string::npos) << result.status();
}

TEST(ContractLoad, MissingFileIsAnError) {
  auto result = LoadContractFile("/nonexistent/contract.yaml");
  EXPECT_FALSE(result.ok());
}

}  // namespace
}  // namespace contracts
