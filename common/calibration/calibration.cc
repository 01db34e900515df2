#include "common/calibration/calibration.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/roofline/machine_profile.h"
#include "nlohmann/json.hpp"

namespace calibration {
namespace {

using nlohmann::json;

// Seconds per call against the weights of the matrix, at one calibrated
// token count: points sorted by weights, those of equal weights averaged.
struct TokenCurve {
  double tokens;
  std::vector<std::pair<double, double>> points;  // (weights, seconds)

  // Through the points: in proportion below the smallest (the origin is
  // the one point a smaller matrix surely lies above), along the last
  // segment's slope beyond the largest, straight between neighbours.
  double At(double weights) const {
    const auto& p = points;
    if (weights <= p.front().first || p.size() == 1) return p.front().second * weights / p.front().first;
    size_t i = 1;
    while (i + 1 < p.size() && p[i].first < weights) ++i;
    const double slope = (p[i].second - p[i - 1].second) / (p[i].first - p[i - 1].first);
    return p[i - 1].second + std::max(0.0, slope) * (weights - p[i - 1].first);
  }
};

std::vector<TokenCurve> CurvesByTokens(const FormatCalibration& f) {
  std::map<int64_t, std::map<double, std::pair<double, int>>> by_tokens;
  for (const MatmulPoint& p : f.points) {
    auto& cell = by_tokens[p.tokens][double(p.rows) * double(p.cols)];
    cell.first += p.seconds;
    cell.second += 1;
  }
  std::vector<TokenCurve> curves;
  for (const auto& [tokens, by_weights] : by_tokens) {
    TokenCurve c{double(tokens), {}};
    for (const auto& [weights, sum] : by_weights) c.points.push_back({weights, sum.first / sum.second});
    curves.push_back(std::move(c));
  }
  return curves;
}

// Between two calibrated counts, as a power of the token count: exact for a
// cost that stays flat (memory-bound) or grows in proportion (compute-bound).
double PowerInterpolate(double n, double n0, double y0, double n1, double y1) {
  if (y0 <= 0 || y1 <= 0) return y0 + (y1 - y0) * (n - n0) / (n1 - n0);
  const double p = std::log(y1 / y0) / std::log(n1 / n0);
  return y0 * std::pow(n / n0, p);
}

absl::Status Bad(const std::string& what) {
  return absl::InvalidArgumentError(absl::StrCat("calibration: ", what));
}

// A non-negative finite number at j[key].
absl::StatusOr<double> Number(const json& j, const char* key) {
  if (!j.contains(key) || !j[key].is_number()) return Bad(absl::StrCat("'", key, "' is missing or not a number"));
  const double v = j[key].get<double>();
  if (!std::isfinite(v) || v < 0) return Bad(absl::StrCat("'", key, "' = ", v, " is not a finite non-negative number"));
  return v;
}

absl::StatusOr<Line> LineFrom(const json& j, const char* key) {
  if (!j.contains(key) || !j[key].is_object()) return Bad(absl::StrCat("'", key, "' is missing"));
  auto fixed = Number(j[key], "fixed");
  if (!fixed.ok()) return fixed.status();
  auto per_unit = Number(j[key], "per_unit");
  if (!per_unit.ok()) return per_unit.status();
  return Line{*fixed, *per_unit};
}

json LineJson(const Line& l) { return {{"fixed", l.fixed}, {"per_unit", l.per_unit}}; }

}  // namespace

Line FitLine(const std::vector<double>& x, const std::vector<double>& y) {
  const size_t n = std::min(x.size(), y.size());
  if (n == 0) return {};
  double mx = 0, my = 0;
  for (size_t i = 0; i < n; ++i) {
    mx += x[i];
    my += y[i];
  }
  mx /= n;
  my /= n;
  double sxx = 0, sxy = 0;
  for (size_t i = 0; i < n; ++i) {
    sxx += (x[i] - mx) * (x[i] - mx);
    sxy += (x[i] - mx) * (y[i] - my);
  }
  Line l;
  l.per_unit = sxx > 0 ? std::max(0.0, sxy / sxx) : (mx > 0 ? my / mx : 0);
  l.fixed = my - l.per_unit * mx;
  if (l.fixed < 0) {  // through the origin instead
    double xx = 0, xy = 0;
    for (size_t i = 0; i < n; ++i) {
      xx += x[i] * x[i];
      xy += x[i] * y[i];
    }
    l.fixed = 0;
    l.per_unit = xx > 0 ? std::max(0.0, xy / xx) : 0;
  }
  return l;
}

namespace {

// Solves a x = b in place by Gaussian elimination with partial pivoting;
// false when a is singular.
bool Solve(std::vector<std::vector<double>> a, std::vector<double> b, std::vector<double>* x) {
  const size_t n = b.size();
  for (size_t col = 0; col < n; ++col) {
    size_t pivot = col;
    for (size_t r = col + 1; r < n; ++r) {
      if (std::abs(a[r][col]) > std::abs(a[pivot][col])) pivot = r;
    }
    if (std::abs(a[pivot][col]) < 1e-300) return false;
    std::swap(a[col], a[pivot]);
    std::swap(b[col], b[pivot]);
    for (size_t r = col + 1; r < n; ++r) {
      const double f = a[r][col] / a[col][col];
      for (size_t k = col; k < n; ++k) a[r][k] -= f * a[col][k];
      b[r] -= f * b[col];
    }
  }
  x->assign(n, 0);
  for (size_t r = n; r-- > 0;) {
    double s = b[r];
    for (size_t k = r + 1; k < n; ++k) s -= a[r][k] * (*x)[k];
    (*x)[r] = s / a[r][r];
  }
  return true;
}

}  // namespace

std::vector<double> NonNegativeLeastSquares(const std::vector<std::vector<double>>& x, const std::vector<double>& y) {
  const size_t k = x.empty() ? 0 : x.front().size();
  std::vector<double> best(k, 0);
  double best_residual = 0;
  for (double v : y) best_residual += v * v;
  for (uint32_t subset = 1; subset < (1u << k); ++subset) {
    std::vector<size_t> cols;
    for (size_t j = 0; j < k; ++j) {
      if (subset & (1u << j)) cols.push_back(j);
    }
    // Normal equations over the columns in the subset, each scaled to unit
    // size first (rows, scores and FLOPs differ by orders of magnitude).
    std::vector<double> scale(cols.size(), 0);
    for (size_t a = 0; a < cols.size(); ++a) {
      for (const auto& row : x) scale[a] = std::max(scale[a], std::abs(row[cols[a]]));
    }
    if (std::find(scale.begin(), scale.end(), 0.0) != scale.end()) continue;
    std::vector<std::vector<double>> ata(cols.size(), std::vector<double>(cols.size(), 0));
    std::vector<double> aty(cols.size(), 0), c;
    for (size_t i = 0; i < x.size(); ++i) {
      for (size_t a = 0; a < cols.size(); ++a) {
        aty[a] += x[i][cols[a]] / scale[a] * y[i];
        for (size_t b = 0; b < cols.size(); ++b) ata[a][b] += x[i][cols[a]] / scale[a] * x[i][cols[b]] / scale[b];
      }
    }
    if (!Solve(ata, aty, &c) || std::any_of(c.begin(), c.end(), [](double v) { return !(v >= 0); })) continue;
    std::vector<double> full(k, 0);
    for (size_t a = 0; a < cols.size(); ++a) full[cols[a]] = c[a] / scale[a];
    double residual = 0;
    for (size_t i = 0; i < x.size(); ++i) {
      double fit = 0;
      for (size_t j = 0; j < k; ++j) fit += x[i][j] * full[j];
      residual += (fit - y[i]) * (fit - y[i]);
    }
    if (residual < best_residual) {
      best_residual = residual;
      best = full;
    }
  }
  return best;
}

const MatmulPoint* SlowerThanFewerTokens(const FormatCalibration& f, const MatmulPoint& p) {
  const MatmulPoint* fewer = nullptr;
  for (const MatmulPoint& q : f.points) {
    if (q.rows == p.rows && q.cols == p.cols && q.tokens > 1 && q.tokens < p.tokens &&
        (fewer == nullptr || q.tokens > fewer->tokens)) {
      fewer = &q;
    }
  }
  if (fewer == nullptr || fewer->seconds <= 0 || p.seconds <= 0) return nullptr;
  const double rate = double(p.tokens) / p.seconds, fewer_rate = double(fewer->tokens) / fewer->seconds;
  return fewer_rate > 1.25 * rate ? fewer : nullptr;
}

const FormatCalibration* Calibration::Format(gguf::GgmlType type) const {
  for (const FormatCalibration& f : formats) {
    if (f.type == type) return &f;
  }
  return nullptr;
}

const AttentionCalibration* Calibration::Attention(const std::string& cache_type) const {
  for (const AttentionCalibration& a : attention) {
    if (a.cache_type == cache_type) return &a;
  }
  return nullptr;
}

const Line* Calibration::Op(const std::string& name) const {
  for (const auto& [n, line] : ops) {
    if (n == name) return &line;
  }
  return nullptr;
}

std::vector<int64_t> CalibratedTokensAround(int64_t tokens) {
  const std::vector<int64_t> counts(std::begin(kCalibrationTokens), std::end(kCalibrationTokens));
  if (tokens <= counts.front()) return {counts.front()};
  size_t i = 1;
  while (i + 1 < counts.size() && counts[i] < tokens) ++i;
  return {counts[i - 1], counts[i]};
}

absl::StatusOr<double> Calibration::MatmulSeconds(gguf::GgmlType type, double rows, double cols, double tokens,
                                                  double dram_gbps) const {
  const FormatCalibration* f = Format(type);
  if (f == nullptr) {
    return absl::NotFoundError(absl::StrCat("no calibration of ", gguf::TypeInfo(type).name, " matrix products"));
  }
  const std::vector<TokenCurve> curves = CurvesByTokens(*f);
  if (curves.empty()) return absl::NotFoundError(absl::StrCat(gguf::TypeInfo(type).name, ": no calibrated points"));
  const double n = std::max(1.0, tokens), weights = rows * cols;
  if (curves.size() == 1 || n <= curves.front().tokens) {
    // Decode streams its weights: no faster than the DRAM read measured now.
    const double bytes = weights * gguf::TypeInfo(type).BytesPerWeight();
    return std::max(curves.front().At(weights), dram_gbps > 0 ? bytes / (dram_gbps * 1e9) : 0.0);
  }
  size_t i = 1;
  while (i + 1 < curves.size() && curves[i].tokens < n) ++i;
  const TokenCurve &lo = curves[i - 1], &hi = curves[i];
  return PowerInterpolate(n, lo.tokens, lo.At(weights), hi.tokens, hi.At(weights));
}

std::string CalibrationToJson(const Calibration& c) {
  json j;
  j["version"] = c.version;
  j["cpu"] = c.cpu;
  j["family"] = c.family;
  j["model"] = c.model;
  j["threads"] = c.threads;
  j["commit"] = c.commit;
  j["measured_at"] = c.measured_at;
  j["formats"] = json::array();
  for (const FormatCalibration& f : c.formats) {
    json points = json::array();
    for (const MatmulPoint& p : f.points) {
      points.push_back({{"rows", p.rows}, {"cols", p.cols}, {"tokens", p.tokens}, {"seconds", p.seconds}});
    }
    j["formats"].push_back({{"type", gguf::TypeInfo(f.type).name},
                            {"kernel", f.kernel},
                            {"read_gbps", f.read_gbps},
                            {"points", points}});
  }
  j["attention"] = json::array();
  for (const AttentionCalibration& a : c.attention) {
    j["attention"].push_back({{"cache_type", a.cache_type},
                              {"decode_fixed", a.decode_fixed},
                              {"decode_per_kv_byte", a.decode_per_kv_byte},
                              {"decode_per_flop", a.decode_per_flop},
                              {"read_gbps", a.read_gbps},
                              {"prefill",
                               {{"per_row", a.prefill.per_row},
                                {"per_score", a.prefill.per_score},
                                {"per_flop", a.prefill.per_flop}}}});
  }
  j["ops"] = json::object();
  for (const auto& [name, line] : c.ops) j["ops"][name] = LineJson(line);
  return j.dump(1);
}

absl::StatusOr<Calibration> CalibrationFromJson(const std::string& text) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return Bad("not a JSON object");
  Calibration c;
  if (!j.contains("version") || !j["version"].is_number_integer()) return Bad("no version");
  c.version = j["version"].get<int>();
  if (c.version != kCalibrationVersion) {
    return Bad(absl::StrCat("version ", c.version, ", this build reads version ", kCalibrationVersion));
  }
  for (const char* key : {"cpu", "commit", "measured_at"}) {
    if (!j.contains(key) || !j[key].is_string()) return Bad(absl::StrCat("'", key, "' is missing or not a string"));
  }
  c.cpu = j["cpu"].get<std::string>();
  c.commit = j["commit"].get<std::string>();
  c.measured_at = j["measured_at"].get<std::string>();
  for (const char* key : {"family", "model", "threads"}) {
    if (!j.contains(key) || !j[key].is_number_integer()) return Bad(absl::StrCat("'", key, "' is not an integer"));
  }
  c.family = j["family"].get<int>();
  c.model = j["model"].get<int>();
  c.threads = j["threads"].get<int>();
  if (c.threads < 1 || c.threads > 4096) return Bad(absl::StrCat("threads = ", c.threads));
  if (!j.contains("formats") || !j["formats"].is_array()) return Bad("no formats");
  for (const json& f : j["formats"]) {
    FormatCalibration fc;
    if (!f.is_object() || !f.contains("type") || !f["type"].is_string()) return Bad("a format without a type");
    auto type = gguf::ParseTensorType(f["type"].get<std::string>());
    if (!type.ok()) return Bad(std::string(type.status().message()));
    fc.type = *type;
    if (!f.contains("kernel") || !f["kernel"].is_string()) return Bad("a format without its kernel");
    fc.kernel = f["kernel"].get<std::string>();
    auto read = Number(f, "read_gbps");
    if (!read.ok()) return read.status();
    fc.read_gbps = *read;
    if (!f.contains("points") || !f["points"].is_array()) return Bad("a format without points");
    for (const json& p : f["points"]) {
      if (!p.is_object()) return Bad("a point is not an object");
      MatmulPoint mp;
      for (auto [key, out] : {std::pair<const char*, int64_t*>{"rows", &mp.rows}, {"cols", &mp.cols},
                              {"tokens", &mp.tokens}}) {
        if (!p.contains(key) || !p[key].is_number_integer() || p[key].get<int64_t>() < 1) {
          return Bad(absl::StrCat("a point's '", key, "' is not a positive integer"));
        }
        *out = p[key].get<int64_t>();
      }
      auto s = Number(p, "seconds");
      if (!s.ok()) return s.status();
      mp.seconds = *s;
      fc.points.push_back(mp);
    }
    c.formats.push_back(std::move(fc));
  }
  if (!j.contains("attention") || !j["attention"].is_array()) return Bad("no attention");
  for (const json& a : j["attention"]) {
    if (!a.is_object() || !a.contains("cache_type") || !a["cache_type"].is_string()) {
      return Bad("an attention entry without its cache type");
    }
    AttentionCalibration ac;
    ac.cache_type = a["cache_type"].get<std::string>();
    for (auto [key, out] : {std::pair<const char*, double*>{"decode_fixed", &ac.decode_fixed},
                            {"decode_per_kv_byte", &ac.decode_per_kv_byte},
                            {"decode_per_flop", &ac.decode_per_flop},
                            {"read_gbps", &ac.read_gbps}}) {
      auto v = Number(a, key);
      if (!v.ok()) return v.status();
      *out = *v;
    }
    if (!a.contains("prefill") || !a["prefill"].is_object()) return Bad("attention: 'prefill' is missing");
    for (auto [key, out] : {std::pair<const char*, double*>{"per_row", &ac.prefill.per_row},
                            {"per_score", &ac.prefill.per_score},
                            {"per_flop", &ac.prefill.per_flop}}) {
      auto v = Number(a["prefill"], key);
      if (!v.ok()) return v.status();
      *out = *v;
    }
    c.attention.push_back(ac);
  }
  if (!j.contains("ops") || !j["ops"].is_object()) return Bad("no ops");
  for (const auto& [name, value] : j["ops"].items()) {
    json holder = {{"line", value}};
    auto line = LineFrom(holder, "line");
    if (!line.ok()) return Bad(absl::StrCat("op ", name, ": ", line.status().message()));
    c.ops.push_back({name, *line});
  }
  return c;
}

std::string CachedCalibrationPath(int threads) {
  return absl::StrCat(roofline::AprCacheDir(), "/calibration-", threads, "t.json");
}

absl::StatusOr<Calibration> LoadCalibrationFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": no calibration"));
  std::stringstream buffer;
  buffer << in.rdbuf();
  auto c = CalibrationFromJson(buffer.str());
  if (!c.ok()) return absl::InvalidArgumentError(absl::StrCat(path, ": ", c.status().message()));
  return c;
}

absl::Status SaveCalibrationFile(const Calibration& c, const std::string& path) {
  std::error_code error;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), error);
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp);
    out << CalibrationToJson(c) << "\n";
    if (!out) return absl::UnavailableError(absl::StrCat(tmp, ": cannot write"));
  }
  std::filesystem::rename(tmp, path, error);
  if (error) return absl::UnavailableError(absl::StrCat(path, ": ", error.message()));
  return absl::OkStatus();
}

}  // namespace calibration
