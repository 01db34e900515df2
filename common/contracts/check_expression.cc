#include "common/contracts/check_expression.h"

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace contracts {

struct Expr {
  enum class Kind { kNumber, kMetric, kAdd, kSub, kMul, kDiv, kNeg } kind;
  double number = 0;
  std::string metric;
  std::shared_ptr<const Expr> left, right;
};

namespace {

using ExprPtr = std::shared_ptr<const Expr>;

ExprPtr Leaf(double number) {
  auto e = std::make_shared<Expr>();
  e->kind = Expr::Kind::kNumber;
  e->number = number;
  return e;
}

ExprPtr Binary(Expr::Kind kind, ExprPtr left, ExprPtr right) {
  auto e = std::make_shared<Expr>();
  e->kind = kind;
  e->left = std::move(left);
  e->right = std::move(right);
  return e;
}

// Recursive-descent parser over one check string.
class Parser {
 public:
  Parser(const std::string& text, std::vector<std::string>* metrics)
      : text_(text), metrics_(metrics) {}

  absl::StatusOr<CompareOp> ParseOp() {
    SkipSpace();
    static const std::pair<const char*, CompareOp> kOps[] = {
        {"<=", CompareOp::kLessEqual}, {">=", CompareOp::kGreaterEqual},
        {"==", CompareOp::kEqual},     {"!=", CompareOp::kNotEqual},
        {"<", CompareOp::kLess},       {">", CompareOp::kGreater}};
    for (const auto& [spelling, op] : kOps) {
      if (text_.compare(pos_, std::char_traits<char>::length(spelling), spelling) == 0) {
        pos_ += std::char_traits<char>::length(spelling);
        return op;
      }
    }
    return Error("expected a comparison (<, <=, >, >=, ==, !=)");
  }

  absl::StatusOr<ExprPtr> ParseExpr() {
    auto left = ParseTerm();
    if (!left.ok()) return left;
    ExprPtr result = *left;
    while (true) {
      SkipSpace();
      if (pos_ >= text_.size() || (text_[pos_] != '+' && text_[pos_] != '-')) break;
      Expr::Kind kind = text_[pos_++] == '+' ? Expr::Kind::kAdd : Expr::Kind::kSub;
      auto right = ParseTerm();
      if (!right.ok()) return right;
      result = Binary(kind, result, *right);
    }
    return result;
  }

  absl::Status ExpectEnd() {
    SkipSpace();
    if (pos_ != text_.size()) return Error("unexpected text after the bound");
    return absl::OkStatus();
  }

 private:
  absl::StatusOr<ExprPtr> ParseTerm() {
    auto left = ParseFactor();
    if (!left.ok()) return left;
    ExprPtr result = *left;
    while (true) {
      SkipSpace();
      if (pos_ >= text_.size() || (text_[pos_] != '*' && text_[pos_] != '/')) break;
      Expr::Kind kind = text_[pos_++] == '*' ? Expr::Kind::kMul : Expr::Kind::kDiv;
      auto right = ParseFactor();
      if (!right.ok()) return right;
      result = Binary(kind, result, *right);
    }
    return result;
  }

  absl::StatusOr<ExprPtr> ParseFactor() {
    SkipSpace();
    if (++depth_ > 64) return Error("expression nested too deeply");
    struct DepthGuard {
      int& d;
      ~DepthGuard() { --d; }
    } guard{depth_};
    if (pos_ >= text_.size()) return Error("expected a number or a metric name");
    char c = text_[pos_];
    if (c == '(') {
      ++pos_;
      auto inner = ParseExpr();
      if (!inner.ok()) return inner;
      SkipSpace();
      if (pos_ >= text_.size() || text_[pos_] != ')') return Error("expected ')'");
      ++pos_;
      return inner;
    }
    if (c == '-') {
      ++pos_;
      auto inner = ParseFactor();
      if (!inner.ok()) return inner;
      auto e = std::make_shared<Expr>();
      e->kind = Expr::Kind::kNeg;
      e->left = *inner;
      return ExprPtr(e);
    }
    if (std::isdigit(static_cast<unsigned char>(c)) || c == '.') {
      const char* begin = text_.c_str() + pos_;
      char* end = nullptr;
      double value = std::strtod(begin, &end);
      if (end == begin || !std::isfinite(value)) return Error("malformed number");
      pos_ += end - begin;
      return Leaf(value);
    }
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      size_t start = pos_;
      while (pos_ < text_.size() &&
             (std::isalnum(static_cast<unsigned char>(text_[pos_])) ||
              text_[pos_] == '_' || text_[pos_] == '.')) {
        ++pos_;
      }
      auto e = std::make_shared<Expr>();
      e->kind = Expr::Kind::kMetric;
      e->metric = text_.substr(start, pos_ - start);
      metrics_->push_back(e->metric);
      return ExprPtr(e);
    }
    return Error("expected a number or a metric name");
  }

  void SkipSpace() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
  }

  absl::Status Error(const std::string& why) const {
    return absl::InvalidArgumentError(
        absl::StrCat("check \"", text_, "\" at character ", pos_ + 1, ": ", why));
  }

  const std::string& text_;
  std::vector<std::string>* metrics_;
  size_t pos_ = 0;
  int depth_ = 0;
};

absl::StatusOr<double> Eval(const Expr& e, const CheckExpression::Lookup& lookup) {
  switch (e.kind) {
    case Expr::Kind::kNumber:
      return e.number;
    case Expr::Kind::kMetric:
      return lookup(e.metric);
    case Expr::Kind::kNeg: {
      auto v = Eval(*e.left, lookup);
      if (!v.ok()) return v;
      return -*v;
    }
    default:
      break;
  }
  auto l = Eval(*e.left, lookup);
  if (!l.ok()) return l;
  auto r = Eval(*e.right, lookup);
  if (!r.ok()) return r;
  switch (e.kind) {
    case Expr::Kind::kAdd: return *l + *r;
    case Expr::Kind::kSub: return *l - *r;
    case Expr::Kind::kMul: return *l * *r;
    default:
      if (*r == 0) return absl::InvalidArgumentError("division by zero in the bound");
      return *l / *r;
  }
}

}  // namespace

absl::StatusOr<CheckExpression> CheckExpression::Parse(const std::string& text) {
  CheckExpression check;
  check.text_ = text;
  Parser parser(check.text_, &check.metrics_);
  auto op = parser.ParseOp();
  if (!op.ok()) return op.status();
  auto rhs = parser.ParseExpr();
  if (!rhs.ok()) return rhs.status();
  if (auto end = parser.ExpectEnd(); !end.ok()) return end;
  check.op_ = *op;
  check.rhs_ = *rhs;
  return check;
}

absl::StatusOr<CheckExpression::Outcome> CheckExpression::Evaluate(
    double value, const Lookup& lookup) const {
  auto bound = Eval(*rhs_, lookup);
  if (!bound.ok()) return bound.status();
  Outcome out;
  out.bound = *bound;
  // Equality is exact: contracts compare counts, not measurements, with ==.
  switch (op_) {
    case CompareOp::kLess: out.holds = value < *bound; break;
    case CompareOp::kLessEqual: out.holds = value <= *bound; break;
    case CompareOp::kGreater: out.holds = value > *bound; break;
    case CompareOp::kGreaterEqual: out.holds = value >= *bound; break;
    case CompareOp::kEqual: out.holds = value == *bound; break;
    case CompareOp::kNotEqual: out.holds = value != *bound; break;
  }
  if (std::isnan(value) || std::isnan(*bound)) out.holds = false;
  return out;
}

}  // namespace contracts
