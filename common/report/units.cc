#include "common/report/units.h"

#include <cmath>

#include "absl/strings/str_format.h"

namespace report {

std::string Si(double value) {
  static const struct {
    double scale;
    const char* prefix;
  } kPrefixes[] = {{1e12, "T"}, {1e9, "G"}, {1e6, "M"}, {1e3, "k"}, {1, ""}, {1e-3, "m"}, {1e-6, "u"}};
  if (value == 0 || !std::isfinite(value)) return absl::StrFormat("%g ", value);
  const double magnitude = std::fabs(value);
  for (const auto& p : kPrefixes) {
    if (magnitude >= p.scale) {
      const double v = value / p.scale;
      return absl::StrFormat(std::fabs(v) >= 100 ? "%.0f %s" : std::fabs(v) >= 10 ? "%.1f %s" : "%.2f %s", v,
                             p.prefix);
    }
  }
  return absl::StrFormat("%.2g ", value);
}

std::string Duration(double seconds) {
  if (seconds >= 1) return absl::StrFormat("%.2f s", seconds);
  if (seconds >= 1e-3) return absl::StrFormat("%.2f ms", seconds * 1e3);
  return absl::StrFormat("%.1f us", seconds * 1e6);
}

std::string Bytes(double bytes) {
  static const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int u = 0;
  while (bytes >= 1024 && u < 4) {
    bytes /= 1024;
    ++u;
  }
  return u == 0 ? absl::StrFormat("%.0f B", bytes) : absl::StrFormat("%.2f %s", bytes, kUnits[u]);
}

}  // namespace report
