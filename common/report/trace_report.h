// A measured forward pass beside its roofline prediction: per op group and
// per layer, measured time, predicted time, % of roofline (predicted over
// measured: 100% means the op ran at its roof), achieved GB/s and GOPS.
//
//   TraceComparison c = CompareTrace(times, /*runs=*/n_tokens, prediction, n_layers);
//   for (const TraceRow& row : c.ops) ...
#ifndef APR_COMMON_REPORT_TRACE_REPORT_H_
#define APR_COMMON_REPORT_TRACE_REPORT_H_

#include <string>
#include <vector>

#include "common/cost/prediction.h"
#include "common/model/forward.h"
#include "common/report/roofline_svg.h"

namespace report {

struct TraceRow {
  std::string name;
  double measured_seconds = 0, predicted_seconds = 0;
  double expected_seconds = 0;  // calibrated; 0 when the prediction has none
  double flops = 0, bytes = 0;
  double PercentOfRoofline() const {
    return measured_seconds > 0 ? 100 * predicted_seconds / measured_seconds : 0;
  }
  double AchievedGbps() const { return measured_seconds > 0 ? bytes / measured_seconds / 1e9 : 0; }
  double AchievedGops() const { return measured_seconds > 0 ? flops / measured_seconds / 1e9 : 0; }
  // Faster than its own roof (with 10% for timer noise): the byte or FLOP
  // count, or the roof, is wrong. Reported as an accounting error.
  bool AboveRoof() const { return measured_seconds > 0 && measured_seconds < 0.9 * predicted_seconds; }
  // Measured over expected: 1 when the op ran as its calibration says.
  double MeasuredOverExpected() const { return expected_seconds > 0 ? measured_seconds / expected_seconds : 0; }
};

struct TraceComparison {
  std::vector<TraceRow> ops;     // per engine op group, all layers
  std::vector<TraceRow> layers;  // per layer (-1 first: embedding and head)
  TraceRow total;
};

// The engine op group a cost-model op is timed under.
model::Op EngineOpFor(const std::string& cost_op);

// `times` accumulated over `runs` forward passes, each predicted by `prediction`.
TraceComparison CompareTrace(const model::OpTimes& times, int runs, const cost::PhasePrediction& prediction,
                             int n_layers);

std::string TraceText(const TraceComparison& c, const std::string& title);

// Each op that does operations on bytes as two roofline points, predicted and
// measured, grouped by op, in `series` ("decode", "prefill").
std::vector<RoofPoint> TraceRoofPoints(const TraceComparison& c, const std::string& series);

}  // namespace report

#endif  // APR_COMMON_REPORT_TRACE_REPORT_H_
