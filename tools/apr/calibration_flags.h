// The `--calibration FILE` option of profile, trace and bench, and the
// calibration they price a model's ops with.
#ifndef APR_TOOLS_APR_CALIBRATION_FLAGS_H_
#define APR_TOOLS_APR_CALIBRATION_FLAGS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/calibration/calibration.h"
#include "common/cost/op_cost.h"
#include "tools/apr/args.h"

namespace apr {

class CalibrationFlags {
 public:
  void AddTo(ArgParser& parser);
  // From the file given (used as it is), else the cached calibration for
  // `threads`, measuring the formats `spec` multiplies that it lacks (a few
  // seconds each, with a progress line; everything, about a minute, when
  // nothing cached fits this machine).
  absl::StatusOr<calibration::Calibration> Load(const cost::ModelSpec& spec, int threads) const;
  const std::string& file() const { return file_; }

 private:
  std::string file_;
};

}  // namespace apr

#endif  // APR_TOOLS_APR_CALIBRATION_FLAGS_H_
