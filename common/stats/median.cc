#include "common/stats/median.h"

#include <algorithm>
#include <vector>

namespace stats {

double Median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

double MedianRatio(const std::vector<double>& a, const std::vector<double>& b) {
  std::vector<double> ratios;
  for (size_t i = 0; i < std::min(a.size(), b.size()); ++i) ratios.push_back(a[i] / b[i]);
  return Median(ratios);
}

double MeanWithoutSlowest(std::vector<double> v, double drop_share) {
  if (v.empty()) return 0;
  const size_t keep = v.size() - std::min(v.size() - 1, static_cast<size_t>(drop_share * double(v.size())));
  std::nth_element(v.begin(), v.begin() + (keep - 1), v.end());
  double sum = 0;
  for (size_t i = 0; i < keep; ++i) sum += v[i];
  return sum / double(keep);
}

}  // namespace stats
