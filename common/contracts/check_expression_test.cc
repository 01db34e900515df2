#include "common/contracts/check_expression.h"

#include <map>

#include "gtest/gtest.h"

namespace contracts {
namespace {

const std::map<std::string, double> kMetrics = {{"a.x", 2.0}, {"b", 10.0}};

absl::StatusOr<double> Lookup(const std::string& name) {
  auto it = kMetrics.find(name);
  if (it == kMetrics.end()) return absl::NotFoundError(name);
  return it->second;
}

double Bound(const std::string& text) {
  auto check = CheckExpression::Parse(text);
  EXPECT_TRUE(check.ok()) << check.status();
  auto out = check->Evaluate(0, Lookup);
  EXPECT_TRUE(out.ok()) << out.status();
  return out->bound;
}

TEST(CheckExpression, ArithmeticFollowsPrecedence) {
  EXPECT_DOUBLE_EQ(Bound("> 1 + 2 * 3"), 7.0);
  EXPECT_DOUBLE_EQ(Bound("> (1 + 2) * 3"), 9.0);
  EXPECT_DOUBLE_EQ(Bound("< b / a.x - 1"), 4.0);
  EXPECT_DOUBLE_EQ(Bound(">= -a.x"), -2.0);
  EXPECT_DOUBLE_EQ(Bound("== 2.5e1"), 25.0);
}

TEST(CheckExpression, ComparesEachOperator) {
  struct Case {
    const char* text;
    double value;
    bool holds;
  } cases[] = {{"> 1", 1.5, true},  {"> 1", 1.0, false},  {">= 1", 1.0, true},
               {"< b", 9, true},    {"< b", 10, false},   {"<= b", 10, true},
               {"== 2 * a.x", 4, true}, {"== 2 * a.x", 4.0001, false}, {"!= 3", 3, false}};
  for (const Case& c : cases) {
    auto check = CheckExpression::Parse(c.text);
    ASSERT_TRUE(check.ok()) << c.text;
    auto out = check->Evaluate(c.value, Lookup);
    ASSERT_TRUE(out.ok());
    EXPECT_EQ(out->holds, c.holds) << c.text << " with " << c.value;
  }
}

TEST(CheckExpression, NanNeverHolds) {
  auto check = CheckExpression::Parse("!= 1");
  ASSERT_TRUE(check.ok());
  EXPECT_FALSE(check->Evaluate(std::nan(""), Lookup)->holds);
}

TEST(CheckExpression, ListsMetricsItNames) {
  auto check = CheckExpression::Parse("< 0.7 * a.x + b");
  ASSERT_TRUE(check.ok());
  EXPECT_EQ(check->metrics(), (std::vector<std::string>{"a.x", "b"}));
}

TEST(CheckExpression, RejectsMalformedText) {
  for (const char* bad : {"", "1", "> ", "> 1 +", "> (1", "=> 1", "> 1 2", "> $x", "> 1e999",
                          "> ((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((("
                          "(((((((1)))"}) {
    EXPECT_FALSE(CheckExpression::Parse(bad).ok()) << bad;
  }
}

TEST(CheckExpression, ErrorNamesThePosition) {
  auto check = CheckExpression::Parse("> 1 +");
  ASSERT_FALSE(check.ok());
  EXPECT_NE(check.status().message().find("character 6"), std::string::npos)
      << check.status();
}

TEST(CheckExpression, UnknownMetricAndDivisionByZeroAreErrors) {
  EXPECT_FALSE(CheckExpression::Parse("> nobody")->Evaluate(1, Lookup).ok());
  EXPECT_FALSE(CheckExpression::Parse("> 1 / 0")->Evaluate(1, Lookup).ok());
}

}  // namespace
}  // namespace contracts
