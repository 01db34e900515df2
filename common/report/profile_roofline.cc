#include "common/report/profile_roofline.h"

#include "absl/strings/str_format.h"

namespace report {

RooflineCeilings CeilingsOf(const roofline::MachineProfile& p) {
  RooflineCeilings c;
  for (const std::string& level : p.Levels()) {
    const double gbps = p.ReadGbps(level, p.threads);
    c.memory.push_back({absl::StrFormat("%s %.1f GB/s", level, gbps), gbps});
  }
  const struct {
    const char* kind;
    const char* label;
  } kinds[] = {{"int8_tile", "int8 tiles"}, {"int8_dot", "int8"}, {"fp32_fma", "FP32 FMA"}, {"fp32_scalar", "FP32 scalar"}};
  for (const auto& k : kinds) {
    const double gops = p.PeakGops(k.kind, p.threads);
    if (gops <= 0) continue;
    c.compute.push_back(
        {absl::StrFormat("%s (%s) %.0f GOPS", k.label, p.PeakIsa(k.kind), gops), gops});
  }
  return c;
}

}  // namespace report
