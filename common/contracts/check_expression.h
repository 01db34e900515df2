// The check of a contract claim: a comparison against an arithmetic bound.
//
//   "> 1.0"   "< machine.ridge_int8"   "== 2 * ffn.dispatches_fused"
//   ">= 0.7 * roofline.decode_ceiling_tps"
//
// Grammar: check := op expr; op := < <= > >= == !=;
// expr := term (('+'|'-') term)*; term := factor (('*'|'/') factor)*;
// factor := number | metric_name | '(' expr ')' | '-' factor.
#ifndef APR_COMMON_CONTRACTS_CHECK_EXPRESSION_H_
#define APR_COMMON_CONTRACTS_CHECK_EXPRESSION_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace contracts {

enum class CompareOp { kLess, kLessEqual, kGreater, kGreaterEqual, kEqual, kNotEqual };

struct Expr;  // defined in check_expression.cc

class CheckExpression {
 public:
  // Parses `text`; the error says which character is wrong and why.
  static absl::StatusOr<CheckExpression> Parse(const std::string& text);

  using Lookup = std::function<absl::StatusOr<double>(const std::string&)>;

  struct Outcome {
    double bound = 0;  // the right-hand side, evaluated
    bool holds = false;
  };
  // Evaluates the bound with `lookup` and compares `value` to it.
  absl::StatusOr<Outcome> Evaluate(double value, const Lookup& lookup) const;

  // Metric names the bound refers to.
  const std::vector<std::string>& metrics() const { return metrics_; }
  const std::string& text() const { return text_; }
  CompareOp op() const { return op_; }

 private:
  std::string text_;
  CompareOp op_ = CompareOp::kEqual;
  std::shared_ptr<const Expr> rhs_;
  std::vector<std::string> metrics_;
};

}  // namespace contracts

#endif  // APR_COMMON_CONTRACTS_CHECK_EXPRESSION_H_
