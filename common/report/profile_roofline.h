// The roofline ceilings of a measured machine, ready to draw.
#ifndef APR_COMMON_REPORT_PROFILE_ROOFLINE_H_
#define APR_COMMON_REPORT_PROFILE_ROOFLINE_H_

#include "common/report/roofline_svg.h"
#include "common/roofline/machine_profile.h"

namespace report {

// Load bandwidth of every level and every compute peak, at all threads.
RooflineCeilings CeilingsOf(const roofline::MachineProfile& profile);

}  // namespace report

#endif  // APR_COMMON_REPORT_PROFILE_ROOFLINE_H_
