#include "tools/apr/calibration_flags.h"

#include "common/calibration/measure_calibration.h"
#include "common/report/progress_line.h"
#include "tools/apr/commands.h"

namespace apr {

void CalibrationFlags::AddTo(ArgParser& parser) {
  parser.AddString("calibration", &file_, "FILE",
                   "calibration JSON (apr roofline --calibrate --json), used as it is (default: the cached one, "
                   "measuring the formats it lacks)");
}

absl::StatusOr<calibration::Calibration> CalibrationFlags::Load(const cost::ModelSpec& spec, int threads) const {
  if (!file_.empty()) return calibration::LoadCalibrationFile(file_);
  calibration::CalibrateOptions options;
  options.threads = threads;
  options.formats = calibration::MatrixFormats(spec);
  options.commit = BuildCommit();
  report::ProgressLine progress("apr: calibrating this machine's kernels (cached after)");
  options.progress = [&](const std::string& what) { progress.Update(what); };
  auto c = calibration::LoadOrCalibrate(options, /*remeasure=*/false);
  progress.Done();
  return c;
}

}  // namespace apr
