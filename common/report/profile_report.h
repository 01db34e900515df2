// `apr profile`'s report: the per-op table of one layer, per-layer and
// whole-model totals, and the verdict, as text and as JSON; and the ops
// placed on the machine's roofline.
#ifndef APR_COMMON_REPORT_PROFILE_REPORT_H_
#define APR_COMMON_REPORT_PROFILE_REPORT_H_

#include <string>
#include <vector>

#include "common/cost/op_cost.h"
#include "common/cost/prediction.h"
#include "common/report/roofline_svg.h"
#include "common/roofline/machine_profile.h"

namespace report {

struct ProfileReport {
  const cost::ModelSpec* spec = nullptr;
  const roofline::MachineProfile* machine = nullptr;
  uint64_t ctx = 0;    // decode depth
  uint64_t batch = 0;  // prefill tokens
  std::string kv_cache_type = "f16";  // the spec's kv_bytes_per_element is its
  cost::PhasePrediction decode, prefill;
  // Where the phases' expected times come from ("calibrated 2026-12-05T11:48Z"),
  // when they have them.
  std::string calibration;
};

// The model: shape, weight bytes, tensors per type.
std::string ModelSummaryText(const cost::ModelSpec& spec);
// One layer's ops with FLOPs, bytes, intensity, level, roof, bound and time.
std::string OpTableText(const cost::PhasePrediction& phase, int layer);
std::string ProfileText(const ProfileReport& r);
// Raw SI numbers, no unit strings.
std::string ProfileJson(const ProfileReport& r);
// Layer `layer`'s ops of both phases (hollow: predicted), and each phase whole.
std::vector<RoofPoint> ProfileRoofPoints(const ProfileReport& r, int layer);

}  // namespace report

#endif  // APR_COMMON_REPORT_PROFILE_REPORT_H_
